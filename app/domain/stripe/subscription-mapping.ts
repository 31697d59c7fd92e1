import { z } from "zod";
import { emailSchema } from "~/domain/members/schemas";
import { monthlyAmountMinor, type PlanInterval } from "~/domain/subscriptions/plan";
import { currencyCode, minor, ref, stripeId, type StripeEventEnvelope } from "./mapping";

/**
 * What a Stripe event says about a subscription (issue 16 §5), decided without I/O: the subscription's state
 * (customer.subscription.created / updated / deleted carry the whole object), or one of its invoices paid or failed.
 * An invoice.paid also makes an order through mapping.ts (points, as for any invoice); this only adds the revenue to
 * the subscription. Zod at the edge: only the fields read are checked.
 */

export const SUBSCRIPTION_EVENT_TYPES = ["customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted", "invoice.payment_failed"] as const;

export type SubscriptionFact =
  | {
      kind: "subscription";
      subscriptionId: string;
      customerId: string;
      status: string;
      currency: string;
      planAmountMinor: number;
      interval: PlanInterval;
      intervalCount: number;
      mrrMinor: number;
      startedAt: Date;
      canceledAt: Date | null;
      endedAt: Date | null;
      /** The event's `created`: a later state replaces an earlier one, never the reverse. */
      eventAt: Date;
    }
  | {
      kind: "subscription_invoice";
      invoiceId: string;
      subscriptionId: string;
      customerId: string | null;
      email: string | null;
      status: "paid" | "failed";
      amountMinor: number;
      currency: string;
      occurredAt: Date;
      attempts: number;
    }
  | { kind: "none"; reason: string | null };

const seconds = z.number().int().nonnegative().max(32503680000);

const subscriptionSchema = z.object({
  id: stripeId,
  customer: ref,
  status: z.string().min(1).max(50),
  currency: currencyCode,
  created: seconds,
  start_date: seconds.nullish(),
  canceled_at: seconds.nullish(),
  ended_at: seconds.nullish(),
  items: z.object({
    data: z
      .array(
        z.object({
          quantity: z.number().int().nonnegative().max(1_000_000).nullish(),
          price: z.object({
            unit_amount: minor.nullish(),
            recurring: z.object({ interval: z.enum(["day", "week", "month", "year"]), interval_count: z.number().int().min(1).max(1000) }).nullish(),
          }),
        }),
      )
      .max(100),
  }),
});

const subscriptionInvoiceSchema = z.object({
  id: stripeId,
  customer: ref,
  customer_email: z.string().nullish(),
  currency: currencyCode,
  amount_paid: minor.nullish(),
  amount_due: minor.nullish(),
  attempt_count: z.number().int().nonnegative().max(1000).nullish(),
  // Before API version 2025-03-31 the invoice names its subscription; since then under parent.subscription_details.
  subscription: ref,
  parent: z.object({ type: z.string().nullish(), subscription_details: z.object({ subscription: ref }).nullish() }).nullish(),
  status_transitions: z.object({ paid_at: seconds.nullish() }).nullish(),
});

const none = (reason: string | null): SubscriptionFact => ({ kind: "none", reason });
const at = (s: number) => new Date(s * 1000);

function problem(err: z.ZodError): string {
  const i = err.issues[0];
  return `${i?.path.join(".") || "object"}: ${i?.message ?? "invalid"}`;
}

export function isSubscriptionEventType(type: string): boolean {
  return (SUBSCRIPTION_EVENT_TYPES as readonly string[]).includes(type);
}

/** The subscription side of an event; `none` with a null reason for events that are not about subscriptions. */
export function subscriptionFactFromEvent(event: StripeEventEnvelope): SubscriptionFact {
  const object = event.data.object;
  if (event.type.startsWith("customer.subscription.")) {
    if (!isSubscriptionEventType(event.type)) return none(null);
    const p = subscriptionSchema.safeParse(object);
    if (!p.success) return none(`ignored: unexpected subscription (${problem(p.error)})`);
    const s = p.data;
    if (!s.customer) return none("ignored: subscription without a customer");
    const items = s.items.data.filter((i) => i.price.recurring);
    const first = items[0]?.price.recurring;
    if (!first) return none("ignored: subscription without a recurring price");
    // Per interval of the first item; MRR adds every item at its own interval.
    const amountOf = (i: (typeof items)[number]) => (i.price.unit_amount ?? 0) * (i.quantity ?? 1);
    const planAmountMinor = items.filter((i) => i.price.recurring!.interval === first.interval && i.price.recurring!.interval_count === first.interval_count).reduce((n, i) => n + amountOf(i), 0);
    const mrrMinor = items.reduce((n, i) => n + monthlyAmountMinor(amountOf(i), i.price.recurring!.interval, i.price.recurring!.interval_count), 0);
    const deleted = event.type === "customer.subscription.deleted";
    return {
      kind: "subscription",
      subscriptionId: s.id,
      customerId: s.customer,
      // A deleted subscription is canceled whatever the object's status says.
      status: deleted ? "canceled" : s.status,
      currency: s.currency,
      planAmountMinor,
      interval: first.interval,
      intervalCount: first.interval_count,
      mrrMinor,
      startedAt: at(s.start_date ?? s.created),
      canceledAt: s.canceled_at != null ? at(s.canceled_at) : null,
      endedAt: s.ended_at != null ? at(s.ended_at) : deleted ? at(event.created) : null,
      eventAt: at(event.created),
    };
  }
  if (event.type === "invoice.paid" || event.type === "invoice.payment_failed") {
    const p = subscriptionInvoiceSchema.safeParse(object);
    if (!p.success) return none(event.type === "invoice.paid" ? null : `ignored: unexpected invoice (${problem(p.error)})`);
    const inv = p.data;
    // The parent's details count only under its type (Stripe's examples fill in every kind).
    const parent = inv.parent?.type === "subscription_details" ? inv.parent.subscription_details?.subscription : null;
    const subscriptionId = inv.subscription ?? parent ?? null;
    // A one-off invoice: nothing for subscriptions (invoice.paid still makes its order).
    if (!subscriptionId) return none(event.type === "invoice.paid" ? null : "ignored: failed invoice of no subscription");
    const paid = event.type === "invoice.paid";
    const email = emailSchema.safeParse(inv.customer_email ?? "");
    return {
      kind: "subscription_invoice",
      invoiceId: inv.id,
      subscriptionId,
      customerId: inv.customer,
      email: email.success ? email.data : null,
      status: paid ? "paid" : "failed",
      amountMinor: paid ? (inv.amount_paid ?? 0) : (inv.amount_due ?? 0),
      currency: inv.currency,
      occurredAt: paid && inv.status_transitions?.paid_at ? at(inv.status_transitions.paid_at) : at(event.created),
      attempts: inv.attempt_count ?? 0,
    };
  }
  return none(null);
}
