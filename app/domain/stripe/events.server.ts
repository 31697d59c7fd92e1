import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import { withTenant, type DB, type Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { enrollMember } from "~/domain/flows/enrolment.server";
import { purchaseCurrencyRule, recordPurchase, setOrderDisputeStatus, setOrderRefundedTotal } from "~/domain/flows/purchase.server";
import { attributeFromStripe } from "~/domain/flows/referral-rewards.server";
import { stripeReferralCodes } from "~/domain/referrals/stripe-codes";
import { recordStripeRewardUse } from "~/domain/rewards/stripe-use.server";
import { DomainError } from "~/lib/errors";
import type { DisputeStatus, Order } from "~db/schema";
import { factFromEvent, stripeEventSchema, type StripeEventEnvelope, type StripeFact } from "./mapping";
import { expandInvoiceDiscounts } from "./invoice-discounts.server";
import { isSubscriptionEventType } from "./subscription-mapping";
import { applySubscriptionEvent } from "./subscriptions.server";

/**
 * Stripe events → orders and ledger effects. One path for the webhook and the reconcile command:
 * `ingestStripeEvent` stores each event once and applies it in the same transaction; `applyStripeEvent` decides
 * and performs the effect.
 *
 * Refund and dispute facts are kept per payment in `stripe_payments` (keyed by PaymentIntent, else Charge), because
 * Stripe may deliver them before the purchase itself; whichever event comes last pushes the facts to the order.
 *
 * A merchant's Stripe events are applied one at a time (a transaction-scoped advisory lock per merchant). Even a busy
 * shop sends a few per second, and it makes every check across events — is the order there yet, which payment paid
 * this invoice, is this event stored already — free of races, without a lock order to get wrong.
 */

export type StripeVia = "webhook" | "reconcile";

export interface IngestResult {
  eventId: string;
  duplicate: boolean;
  outcome: string;
}

type Payment = {
  payment_key: string;
  order_id: string | null;
  amount_refunded_minor: number;
  dispute_status: DisputeStatus;
  card_fingerprint: string | null;
};

function actorFor(via: StripeVia): Actor {
  return { type: "system", id: via === "webhook" ? "stripe" : "stripe:reconcile" };
}

/** Until the transaction ends, this merchant's other Stripe events wait (64-bit hash of the id; a collision only costs waiting). */
async function lockMerchantEvents(trx: Trx, merchantId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`stripe-events:${merchantId}`}, 0))`.execute(trx);
}

class AlreadyStored extends Error {}

/**
 * Stores the event once and applies it, all in one transaction: a crash or database failure before the commit
 * leaves nothing (the caller answers 5xx and Stripe retries); a second delivery finds the stored row and changes
 * nothing. stripe_events is append-only for the app, so the outcome is known before the row is written:
 * concurrent deliveries wait on the merchant's lock and then find the row; the primary key stays the backstop.
 */
export async function ingestStripeEvent(database: DB, merchantId: string, delivered: unknown, via: StripeVia): Promise<IngestResult> {
  // Discounts named only by id are looked up before the transaction (no network call while holding the lock).
  const payload = await expandInvoiceDiscounts(database, merchantId, delivered);
  const parsed = stripeEventSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DomainError("invalid_event", `Not a Stripe event: ${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`);
  }
  const event = parsed.data;
  try {
    return await withTenant(database, merchantId, async (trx) => {
      await lockMerchantEvents(trx, merchantId);
      const seen = await trx
        .selectFrom("stripe_events")
        .select("outcome")
        .where("merchant_id", "=", merchantId)
        .where("event_id", "=", event.id)
        .executeTakeFirst();
      if (seen) return { eventId: event.id, duplicate: true, outcome: seen.outcome };
      const outcome = await applyStripeEvent(trx, merchantId, event, via);
      const stored = await trx
        .insertInto("stripe_events")
        .values({
          merchant_id: merchantId,
          event_id: event.id,
          type: event.type,
          stripe_created_at: new Date(event.created * 1000),
          livemode: event.livemode,
          payload: JSON.stringify(payload),
          outcome,
          received_via: via,
          received_at: now(),
        })
        .onConflict((oc) => oc.columns(["merchant_id", "event_id"]).doNothing())
        .returning("event_id")
        .executeTakeFirst();
      if (!stored) throw new AlreadyStored();
      return { eventId: event.id, duplicate: false, outcome };
    });
  } catch (err) {
    // Stored meanwhile by a writer that did not take the lock: roll our effects back, report a duplicate.
    if (err instanceof AlreadyStored) return { eventId: event.id, duplicate: true, outcome: "duplicate" };
    throw err;
  }
}

/**
 * Applies one event and returns its outcome in words (stored with the event, shown in Settings › Stripe).
 * A DomainError from the ledger (e.g. an order id already used with other facts) is a permanent answer, not an
 * outage: its effects are rolled back to a savepoint and the event is stored as rejected, so Stripe does not retry
 * it for days. Anything else propagates and fails the transaction.
 */
export async function applyStripeEvent(trx: Trx, merchantId: string, event: StripeEventEnvelope, via: StripeVia): Promise<string> {
  const order = await applyOrderSide(trx, merchantId, event, via);
  // The subscription side (issue 16 §5), after the order so a paid invoice's member exists. A subscription event
  // makes no order; an invoice's revenue is recorded even when its order was ignored or rejected (Stripe was paid).
  const subscription = await applySubscriptionEvent(trx, merchantId, event);
  if (!subscription) return order;
  return isSubscriptionEventType(event.type) ? subscription : `${order}; ${subscription}`;
}

async function applyOrderSide(trx: Trx, merchantId: string, event: StripeEventEnvelope, via: StripeVia): Promise<string> {
  const fact = factFromEvent(event);
  if (fact.kind === "ignore") return fact.reason;
  const actor = actorFor(via);
  await sql`savepoint stripe_event`.execute(trx);
  try {
    const outcome =
      fact.kind === "order"
        ? await applyOrder(trx, merchantId, event, fact, actor)
        : fact.kind === "invoice_payment"
          ? await applyInvoicePayment(trx, merchantId, event, fact, actor)
          : fact.kind === "payment"
            ? await applyPayment(trx, merchantId, event, fact, actor)
            : await applyDispute(trx, merchantId, event, fact, actor);
    await sql`release savepoint stripe_event`.execute(trx);
    return outcome;
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    await sql`rollback to savepoint stripe_event`.execute(trx);
    return `rejected: ${err.message}`;
  }
}

// ---- purchases ---------------------------------------------------------------------------------------------

async function applyOrder(trx: Trx, merchantId: string, event: StripeEventEnvelope, f: Extract<StripeFact, { kind: "order" }>, actor: Actor): Promise<string> {
  // The purchase flow's currency rule, checked before the payer is enrolled: a foreign payment makes no member.
  const merchant = await trx.selectFrom("merchants").select("currency").where("id", "=", merchantId).executeTakeFirstOrThrow();
  const currency = purchaseCurrencyRule("stripe", f.currency, merchant.currency);
  if (!currency.ok) return `ignored: ${currency.reason}`;

  // An invoice.paid without its PaymentIntent (API versions since 2025-03-31): an invoice_payment.paid stored
  // earlier may have said which payment it was.
  const paymentKey = f.object === "invoice" && f.paymentKey === f.objectId ? ((await paymentOfInvoice(trx, merchantId, f.objectId)) ?? f.paymentKey) : f.paymentKey;
  const existing = await trx
    .selectFrom("orders")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where((eb) => eb.or([eb.and([eb("source", "=", "stripe"), eb("external_order_id", "=", f.externalOrderId)]), eb("stripe_payment_key", "=", paymentKey)]))
    .executeTakeFirst();
  if (existing) return adoptPaymentKey(trx, merchantId, existing, paymentKey, event, actor);

  // A customer new to the program joins (the `stripe_checkout` row of ENROLMENT_POLICY).
  const { member } = await enrollMember(trx, { id: merchantId }, { email: f.email }, { channel: "stripe_checkout", actor });
  const stored = await paymentRow(trx, merchantId, paymentKey);
  // A referral code in the checkout's metadata or promotion code attributes a member not yet referred (issue 5).
  await attributeFromStripe(trx, merchantId, member.id, stripeReferralCodes(event.data.object));
  const recorded = await recordPurchase(
    trx,
    merchantId,
    {
      memberId: member.id,
      externalOrderId: f.externalOrderId,
      amountMinor: f.amountMinor,
      currency: f.currency,
      occurredAt: f.occurredAt,
      stripePaymentKey: paymentKey,
      cardFingerprint: stored?.card_fingerprint ?? null,
    },
    { channel: "stripe", actor },
  );
  if (recorded.outcome === "ignored") return `ignored: ${recorded.reason}`;
  const payment = await upsertPayment(trx, merchantId, { paymentKey, orderId: recorded.order.id, amountMinor: f.amountMinor, customerEmail: f.email });
  const late = await pushPaymentFacts(trx, merchantId, recorded.order, payment, event.id, actor);
  // Reward codes and store credit this purchase used: their cost is what Stripe took off (issue 16).
  const used = await recordStripeRewardUse(trx, merchantId, { memberId: member.id, orderId: recorded.order.id, occurredAt: f.occurredAt, ...f.discounts });
  return `order ${recorded.order.id} recorded for member ${member.id}: ${recorded.points} points${late}${used ? `; ${used} reward${used === 1 ? "" : "s"} used` : ""}`;
}

/**
 * The purchase is already an order (a Checkout Session and the invoice it created are one order). When this event
 * names the real PaymentIntent and the order only knew the invoice id, the order takes the PaymentIntent's key so
 * refunds and disputes find it.
 */
async function adoptPaymentKey(trx: Trx, merchantId: string, order: Order, paymentKey: string, event: StripeEventEnvelope, actor: Actor): Promise<string> {
  const better = order.source === "stripe" && order.stripe_payment_key !== paymentKey && /^(pi|ch)_/.test(paymentKey) && !/^(pi|ch)_/.test(order.stripe_payment_key ?? "");
  if (!better) return `already recorded as order ${order.id}`;
  const taken = await trx.selectFrom("orders").select("id").where("merchant_id", "=", merchantId).where("stripe_payment_key", "=", paymentKey).executeTakeFirst();
  if (taken) return `already recorded as order ${order.id}; payment ${paymentKey} belongs to order ${taken.id}`;
  const updated = await trx
    .updateTable("orders")
    .set({ stripe_payment_key: paymentKey })
    .where("merchant_id", "=", merchantId)
    .where("id", "=", order.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const payment = await upsertPayment(trx, merchantId, { paymentKey, orderId: order.id });
  const late = await pushPaymentFacts(trx, merchantId, updated, payment, event.id, actor);
  return `already recorded as order ${order.id}; linked to payment ${paymentKey}${late}`;
}

/** invoice_payment.paid: links an invoice's order to the payment that paid it, so refunds and disputes find it. */
async function applyInvoicePayment(trx: Trx, merchantId: string, event: StripeEventEnvelope, f: Extract<StripeFact, { kind: "invoice_payment" }>, actor: Actor): Promise<string> {
  const order = await trx
    .selectFrom("orders")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("source", "=", "stripe")
    .where("external_order_id", "=", f.invoiceId)
    .executeTakeFirst();
  if (!order) return `invoice ${f.invoiceId} paid by ${f.paymentKey}; linked when the invoice arrives`;
  return adoptPaymentKey(trx, merchantId, order, f.paymentKey, event, actor);
}

/** The payment an earlier invoice_payment.paid named for this invoice, if one was stored. */
async function paymentOfInvoice(trx: Trx, merchantId: string, invoiceId: string): Promise<string | undefined> {
  const rows = await trx
    .selectFrom("stripe_events")
    .select("payload")
    .where("merchant_id", "=", merchantId)
    .where("type", "=", "invoice_payment.paid")
    .where((eb) => eb.or([eb(sql<string>`payload #>> '{data,object,invoice}'`, "=", invoiceId), eb(sql<string>`payload #>> '{data,object,invoice,id}'`, "=", invoiceId)]))
    .execute();
  for (const row of rows) {
    const parsed = stripeEventSchema.safeParse(row.payload);
    const fact = parsed.success ? factFromEvent(parsed.data) : null;
    if (fact?.kind === "invoice_payment") return fact.paymentKey;
  }
  return undefined;
}

// ---- payments, refunds, disputes ---------------------------------------------------------------------------

async function applyPayment(trx: Trx, merchantId: string, event: StripeEventEnvelope, f: Extract<StripeFact, { kind: "payment" }>, actor: Actor): Promise<string> {
  const key = f.paymentIntentId ?? (await keyForCharge(trx, merchantId, f.chargeId)) ?? f.chargeId;
  const payment = await upsertPayment(trx, merchantId, {
    paymentKey: key,
    chargeId: f.chargeId,
    amountMinor: f.amountMinor,
    refundedMinor: f.amountRefundedMinor,
    cardFingerprint: f.cardFingerprint,
    customerEmail: f.email,
  });
  const facts = `refunded ${payment.amount_refunded_minor} so far`;
  const order = await orderForPayment(trx, merchantId, payment);
  if (!order) return `payment ${key}: ${facts}; kept until its order arrives`;
  const effects = await pushPaymentFacts(trx, merchantId, order, payment, event.id, actor);
  return `payment ${key} (order ${order.id}): ${facts}${effects}`;
}

async function applyDispute(trx: Trx, merchantId: string, event: StripeEventEnvelope, f: Extract<StripeFact, { kind: "dispute" }>, actor: Actor): Promise<string> {
  // Inquiries (warning_*) and status changes move no money; funds_withdrawn / funds_reinstated do.
  if (!f.funds) return `dispute ${f.disputeId} is ${f.status}: no effect on points`;
  const key = f.paymentIntentId ?? (await keyForCharge(trx, merchantId, f.chargeId)) ?? f.chargeId;
  const payment = await upsertPayment(trx, merchantId, { paymentKey: key, chargeId: f.chargeId, disputeStatus: f.funds });
  const facts = `dispute ${f.disputeId} funds ${f.funds}${payment.dispute_status !== f.funds ? ` (stays ${payment.dispute_status})` : ""}`;
  const order = await orderForPayment(trx, merchantId, payment);
  if (!order) return `payment ${key}: ${facts}; kept until its order arrives`;
  const effects = await pushPaymentFacts(trx, merchantId, order, payment, event.id, actor);
  return `payment ${key} (order ${order.id}): ${facts}${effects}`;
}

/** Brings the order up to the payment's facts (card fingerprint, cumulative refund, dispute) and says what moved. */
async function pushPaymentFacts(trx: Trx, merchantId: string, order: Order, payment: Payment, eventId: string, actor: Actor): Promise<string> {
  if (payment.card_fingerprint && order.card_fingerprint !== payment.card_fingerprint) {
    await trx
      .updateTable("orders")
      .set({ card_fingerprint: payment.card_fingerprint })
      .where("merchant_id", "=", merchantId)
      .where("id", "=", order.id)
      .execute();
  }
  let reversed = 0;
  let restored = 0;
  if (payment.amount_refunded_minor > order.refunded_minor) {
    const r = await setOrderRefundedTotal(trx, merchantId, { orderId: order.id, refundedMinor: payment.amount_refunded_minor, causeKey: `stripe:${eventId}:refund`, actor });
    reversed += r.pointsReversed;
  }
  if (payment.dispute_status !== "none" && payment.dispute_status !== order.dispute_status) {
    const d = await setOrderDisputeStatus(trx, merchantId, { orderId: order.id, status: payment.dispute_status, causeKey: `stripe:${eventId}:dispute`, actor });
    reversed += d.pointsReversed;
    restored += d.pointsRestored;
  }
  const parts = [reversed ? `${reversed} points reversed` : "", restored ? `${restored} points restored` : ""].filter(Boolean);
  return parts.length ? `; ${parts.join(", ")}` : "";
}

async function paymentRow(trx: Trx, merchantId: string, paymentKey: string): Promise<Payment | undefined> {
  return trx
    .selectFrom("stripe_payments")
    .select(["payment_key", "order_id", "amount_refunded_minor", "dispute_status", "card_fingerprint"])
    .where("merchant_id", "=", merchantId)
    .where("payment_key", "=", paymentKey)
    .executeTakeFirst();
}

/** A dispute or charge without a PaymentIntent id: the payment already seen for that charge, if any. */
async function keyForCharge(trx: Trx, merchantId: string, chargeId: string): Promise<string | undefined> {
  const row = await trx
    .selectFrom("stripe_payments")
    .select("payment_key")
    .where("merchant_id", "=", merchantId)
    .where("charge_id", "=", chargeId)
    .executeTakeFirst();
  return row?.payment_key;
}

async function orderForPayment(trx: Trx, merchantId: string, payment: Payment): Promise<Order | undefined> {
  const order = await trx
    .selectFrom("orders")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("stripe_payment_key", "=", payment.payment_key)
    .executeTakeFirst();
  if (order && payment.order_id !== order.id) {
    await trx
      .updateTable("stripe_payments")
      .set({ order_id: order.id })
      .where("merchant_id", "=", merchantId)
      .where("payment_key", "=", payment.payment_key)
      .execute();
  }
  return order;
}

/**
 * Merges what an event says about a payment into its row. Facts only move forward: the refunded total is the
 * largest seen (Stripe's amount_refunded is cumulative, deliveries are unordered), and a reinstated dispute stays
 * reinstated (a withdrawal delivered late must not withdraw again).
 */
async function upsertPayment(
  trx: Trx,
  merchantId: string,
  p: {
    paymentKey: string;
    chargeId?: string | null;
    orderId?: string | null;
    amountMinor?: number | null;
    refundedMinor?: number;
    disputeStatus?: "withdrawn" | "reinstated";
    cardFingerprint?: string | null;
    customerEmail?: string | null;
  },
): Promise<Payment> {
  const dispute = p.disputeStatus ?? "none";
  return trx
    .insertInto("stripe_payments")
    .values({
      merchant_id: merchantId,
      payment_key: p.paymentKey,
      charge_id: p.chargeId ?? null,
      order_id: p.orderId ?? null,
      amount_minor: p.amountMinor ?? null,
      amount_refunded_minor: p.refundedMinor ?? 0,
      dispute_status: dispute,
      card_fingerprint: p.cardFingerprint ?? null,
      customer_email: p.customerEmail ?? null,
      updated_at: now(),
    })
    .onConflict((oc) =>
      oc.columns(["merchant_id", "payment_key"]).doUpdateSet({
        charge_id: sql`coalesce(excluded.charge_id, stripe_payments.charge_id)`,
        order_id: sql`coalesce(excluded.order_id, stripe_payments.order_id)`,
        amount_minor: sql`coalesce(stripe_payments.amount_minor, excluded.amount_minor)`,
        amount_refunded_minor: sql`greatest(stripe_payments.amount_refunded_minor, excluded.amount_refunded_minor)`,
        dispute_status: sql`case
          when stripe_payments.dispute_status = 'reinstated' or excluded.dispute_status = 'none' then stripe_payments.dispute_status
          else excluded.dispute_status end`,
        card_fingerprint: sql`coalesce(excluded.card_fingerprint, stripe_payments.card_fingerprint)`,
        customer_email: sql`coalesce(stripe_payments.customer_email, excluded.customer_email)`,
        updated_at: now(),
      }),
    )
    .returning(["payment_key", "order_id", "amount_refunded_minor", "dispute_status", "card_fingerprint"])
    .executeTakeFirstOrThrow();
}
