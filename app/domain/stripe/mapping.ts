import { z } from "zod";
import { emailSchema } from "~/domain/members/schemas";
import { isHandledEventType } from "./event-types";

/**
 * What a Stripe event means for Perennial, decided without I/O: an order, a payment fact (refund total, card
 * fingerprint), a dispute fact, or nothing (with the reason, which becomes the event's stored outcome).
 * Events are validated here (Zod at the edge): only the fields we read are checked, the rest is ignored.
 */

export const stripeEventSchema = z.object({
  id: z.string().min(1).max(255),
  type: z.string().min(1).max(100),
  created: z.number().int().nonnegative().max(32503680000),
  livemode: z.boolean().optional().default(false),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
export type StripeEventEnvelope = z.infer<typeof stripeEventSchema>;

export type StripeFact =
  | {
      kind: "order";
      object: "checkout.session" | "invoice";
      objectId: string;
      externalOrderId: string;
      paymentKey: string;
      email: string;
      amountMinor: number;
      currency: string;
      occurredAt: Date;
      /** What the purchase drew from rewards (issue 16: cost at use). */
      discounts: StripeDiscounts;
    }
  | {
      kind: "payment";
      paymentIntentId: string | null;
      chargeId: string;
      amountMinor: number;
      /** Cumulative, as Stripe reports it on the charge. */
      amountRefundedMinor: number;
      currency: string;
      cardFingerprint: string | null;
      email: string | null;
    }
  | {
      kind: "dispute";
      disputeId: string;
      paymentIntentId: string | null;
      chargeId: string;
      status: string;
      /** Only the funds events move points; created/updated/closed (inquiries included) are informational. */
      funds: "withdrawn" | "reinstated" | null;
    }
  | {
      /** Which payment paid an invoice (since API version 2025-03-31 the invoice itself no longer says). */
      kind: "invoice_payment";
      invoiceId: string;
      paymentKey: string;
    }
  | { kind: "ignore"; reason: string };

/**
 * Promotion codes applied to a purchase, with the amount each took off when Stripe says it (the session's
 * `total_details.breakdown`, an invoice's `total_discount_amounts` with the discount expanded, or the session's one
 * discount when it has only one); `amountMinor` null: several discounts and no breakdown. `subtotalMinor` is the amount
 * before discounts; `creditAppliedMinor` what an invoice drew from the customer's balance (store credit).
 */
export interface StripeDiscounts {
  promotions: { promotionCodeId: string; amountMinor: number | null }[];
  totalMinor: number;
  subtotalMinor: number | null;
  customerId: string | null;
  creditAppliedMinor: number;
}

// Shared with subscription-mapping.ts: the same Stripe field shapes.
export const stripeId = z.string().min(1).max(255);
/** An id, or the object when the field was expanded. */
export const ref = z
  .union([stripeId, z.object({ id: stripeId })])
  .nullish()
  .transform((v) => (v == null ? null : typeof v === "string" ? v : v.id));
export const minor = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const currencyCode = z
  .string()
  .regex(/^[a-zA-Z]{3}$/)
  .transform((c) => c.toUpperCase());

/** A discount: an id (di_…, nothing to match) or the object with its promotion code. */
const discountRef = z.union([stripeId, z.object({ promotion_code: ref })]).transform((v) => (typeof v === "string" ? null : (v.promotion_code ?? null)));

/**
 * The discount fields, parsed apart from the purchase: a shape we do not expect there leaves the rewards' use
 * unrecorded (said in the outcome's absence) but never loses the order.
 */
const sessionDiscountSchema = z.object({
  customer: ref,
  amount_subtotal: minor.nullish(),
  discounts: z.array(z.object({ promotion_code: ref })).nullish(),
  total_details: z
    .object({
      amount_discount: minor.nullish(),
      breakdown: z.object({ discounts: z.array(z.object({ amount: minor, discount: discountRef })).nullish() }).nullish(),
    })
    .nullish(),
});
const invoiceDiscountSchema = z.object({
  customer: ref,
  subtotal: minor.nullish(),
  starting_balance: z.number().int().nullish(),
  ending_balance: z.number().int().nullish(),
  total_discount_amounts: z.array(z.object({ amount: minor, discount: discountRef })).nullish(),
});
const NO_DISCOUNTS: StripeDiscounts = { promotions: [], totalMinor: 0, subtotalMinor: null, customerId: null, creditAppliedMinor: 0 };

const sessionSchema = z.object({
  id: stripeId,
  mode: z.string().nullish(),
  payment_status: z.string().nullish(),
  payment_intent: ref,
  invoice: ref,
  amount_total: minor.nullish(),
  currency: z.string().nullish(),
  customer_details: z.object({ email: z.string().nullish() }).nullish(),
  customer_email: z.string().nullish(),
});

const invoiceSchema = z.object({
  id: stripeId,
  amount_paid: minor.nullish(),
  currency: z.string().nullish(),
  customer_email: z.string().nullish(),
  // Before API version 2025-03-31 the invoice names its PaymentIntent and Charge; since then they are in `payments`
  // (present when the endpoint includes it).
  payment_intent: ref,
  charge: ref,
  payments: z
    .object({ data: z.array(z.object({ payment: z.object({ payment_intent: ref, charge: ref }).partial().nullish() })) })
    .nullish(),
  status_transitions: z.object({ paid_at: z.number().int().nullish() }).nullish(),
});

const invoicePaymentSchema = z.object({
  id: stripeId,
  invoice: ref,
  payment: z.object({ payment_intent: ref, charge: ref }).partial().nullish(),
});

const chargeSchema = z.object({
  id: stripeId,
  payment_intent: ref,
  amount: minor,
  amount_refunded: minor.nullish(),
  currency: z.string(),
  payment_method_details: z.object({ card: z.object({ fingerprint: z.string().max(255).nullish() }).nullish() }).nullish(),
  billing_details: z.object({ email: z.string().nullish() }).nullish(),
});

const disputeSchema = z.object({
  id: stripeId,
  charge: ref,
  payment_intent: ref,
  status: z.string().max(100),
});

const ignore = (reason: string): StripeFact => ({ kind: "ignore", reason });

function problem(err: z.ZodError): string {
  const i = err.issues[0];
  return `${i?.path.join(".") || "object"}: ${i?.message ?? "invalid"}`;
}

function cleanEmail(...candidates: Array<string | null | undefined>): string | null {
  for (const c of candidates) {
    if (!c) continue;
    const parsed = emailSchema.safeParse(c);
    if (parsed.success) return parsed.data;
  }
  return null;
}

export function factFromEvent(event: StripeEventEnvelope): StripeFact {
  if (!isHandledEventType(event.type)) return ignore(`ignored: ${event.type} is not an event Perennial uses`);
  // Subscription states and failed renewals make no order: subscriptions.server.ts records them.
  if (event.type.startsWith("customer.subscription.") || event.type === "invoice.payment_failed") return ignore("no order: a subscription event");
  const object = event.data.object;
  const createdAt = new Date(event.created * 1000);

  if (event.type === "checkout.session.completed" || event.type === "checkout.session.async_payment_succeeded") {
    const p = sessionSchema.safeParse(object);
    if (!p.success) return ignore(`ignored: unexpected checkout session (${problem(p.error)})`);
    const s = p.data;
    // Subscriptions are recorded from their invoices (invoice.paid), which also covers renewals.
    if (s.mode !== "payment") return ignore(`ignored: checkout session in ${s.mode ?? "unknown"} mode (recorded from invoice.paid)`);
    if (s.payment_status !== "paid") return ignore(`ignored: checkout session not paid yet (${s.payment_status ?? "unknown"})`);
    return orderFact("checkout.session", s.id, {
      // A session that created an invoice is the same purchase as that invoice's invoice.paid: one order id for both.
      externalOrderId: s.invoice ?? s.id,
      paymentKey: s.payment_intent ?? s.id,
      email: cleanEmail(s.customer_details?.email, s.customer_email),
      amount: s.amount_total,
      currency: s.currency,
      occurredAt: createdAt,
      discounts: sessionDiscounts(object),
    });
  }

  if (event.type === "invoice.paid") {
    const p = invoiceSchema.safeParse(object);
    if (!p.success) return ignore(`ignored: unexpected invoice (${problem(p.error)})`);
    const inv = p.data;
    const payment = inv.payments?.data.find((d) => d.payment?.payment_intent || d.payment?.charge)?.payment;
    const paidAt = inv.status_transitions?.paid_at;
    return orderFact("invoice", inv.id, {
      externalOrderId: inv.id,
      paymentKey: inv.payment_intent ?? payment?.payment_intent ?? inv.charge ?? payment?.charge ?? inv.id,
      email: cleanEmail(inv.customer_email),
      amount: inv.amount_paid,
      currency: inv.currency,
      occurredAt: paidAt ? new Date(paidAt * 1000) : createdAt,
      discounts: invoiceDiscounts(object),
    });
  }

  if (event.type === "invoice_payment.paid") {
    const p = invoicePaymentSchema.safeParse(object);
    if (!p.success) return ignore(`ignored: unexpected invoice payment (${problem(p.error)})`);
    const paymentKey = p.data.payment?.payment_intent ?? p.data.payment?.charge;
    if (!p.data.invoice || !paymentKey) return ignore("ignored: invoice payment without an invoice or a PaymentIntent/Charge");
    return { kind: "invoice_payment", invoiceId: p.data.invoice, paymentKey };
  }

  if (event.type === "charge.succeeded" || event.type === "charge.refunded") {
    const p = chargeSchema.safeParse(object);
    if (!p.success) return ignore(`ignored: unexpected charge (${problem(p.error)})`);
    const c = p.data;
    const currency = currencyCode.safeParse(c.currency);
    if (!currency.success) return ignore(`ignored: charge currency "${c.currency}" is not an ISO code`);
    return {
      kind: "payment",
      paymentIntentId: c.payment_intent,
      chargeId: c.id,
      amountMinor: c.amount,
      amountRefundedMinor: Math.min(c.amount_refunded ?? 0, c.amount),
      currency: currency.data,
      cardFingerprint: c.payment_method_details?.card?.fingerprint ?? null,
      email: cleanEmail(c.billing_details?.email),
    };
  }

  // charge.dispute.*
  const p = disputeSchema.safeParse(object);
  if (!p.success) return ignore(`ignored: unexpected dispute (${problem(p.error)})`);
  const d = p.data;
  if (!d.charge) return ignore("ignored: dispute without a charge");
  const funds = event.type === "charge.dispute.funds_withdrawn" ? "withdrawn" : event.type === "charge.dispute.funds_reinstated" ? "reinstated" : null;
  return { kind: "dispute", disputeId: d.id, paymentIntentId: d.payment_intent, chargeId: d.charge, status: d.status, funds };
}

function sessionDiscounts(object: unknown): StripeDiscounts {
  const p = sessionDiscountSchema.safeParse(object);
  if (!p.success) return NO_DISCOUNTS;
  const s = p.data;
  const total = s.total_details?.amount_discount ?? 0;
  const breakdown = s.total_details?.breakdown?.discounts;
  const listed = (s.discounts ?? []).map((d) => d.promotion_code ?? null);
  let promotions: StripeDiscounts["promotions"];
  if (breakdown) promotions = breakdown.flatMap((d) => (d.discount ? [{ promotionCodeId: d.discount, amountMinor: d.amount }] : []));
  else if (listed.length === 1 && listed[0]) promotions = [{ promotionCodeId: listed[0], amountMinor: total }];
  else promotions = listed.flatMap((p) => (p ? [{ promotionCodeId: p, amountMinor: null }] : []));
  return { promotions, totalMinor: total, subtotalMinor: s.amount_subtotal ?? null, customerId: s.customer ?? null, creditAppliedMinor: 0 };
}

function invoiceDiscounts(object: unknown): StripeDiscounts {
  const p = invoiceDiscountSchema.safeParse(object);
  if (!p.success) return NO_DISCOUNTS;
  const inv = p.data;
  const amounts = inv.total_discount_amounts ?? [];
  const promotions = amounts.flatMap((d) => (d.discount ? [{ promotionCodeId: d.discount, amountMinor: d.amount }] : []));
  // A negative balance is a credit: what the invoice drew from it is how much less negative it ended.
  const start = inv.starting_balance ?? 0;
  const end = inv.ending_balance ?? start;
  const credit = start < 0 ? Math.max(0, Math.min(-start, end - start)) : 0;
  return {
    promotions,
    totalMinor: amounts.reduce((n, d) => n + d.amount, 0),
    subtotalMinor: inv.subtotal ?? null,
    customerId: inv.customer ?? null,
    creditAppliedMinor: credit,
  };
}

function orderFact(
  object: "checkout.session" | "invoice",
  objectId: string,
  f: {
    externalOrderId: string;
    paymentKey: string;
    email: string | null;
    amount: number | null | undefined;
    currency: string | null | undefined;
    occurredAt: Date;
    discounts: StripeDiscounts;
  },
): StripeFact {
  const label = object === "invoice" ? "invoice" : "checkout session";
  if (!f.email) return ignore(`ignored: ${label} has no customer e-mail to match a member`);
  if (f.amount == null || f.amount === 0) return ignore(`ignored: ${label} has nothing paid`);
  const currency = currencyCode.safeParse(f.currency ?? "");
  if (!currency.success) return ignore(`ignored: ${label} currency "${f.currency ?? ""}" is not an ISO code`);
  if (f.externalOrderId.length > 200) return ignore(`ignored: ${label} id is too long`);
  return {
    kind: "order",
    object,
    objectId,
    externalOrderId: f.externalOrderId,
    paymentKey: f.paymentKey,
    email: f.email,
    amountMinor: f.amount,
    currency: currency.data,
    occurredAt: f.occurredAt,
    discounts: f.discounts,
  };
}
