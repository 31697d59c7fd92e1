import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { now } from "~/lib/clock.server";
import type { StripeEventEnvelope } from "./mapping";
import { subscriptionFactFromEvent, type SubscriptionFact } from "./subscription-mapping";

/**
 * Stripe subscriptions → the `subscriptions` and `subscription_invoices` records (issue 16 §5). Runs inside the
 * event's transaction, under the merchant's event lock (events.server.ts), after the event's order (if any) is
 * recorded: a paid invoice's member then exists, and the subscription is linked to them.
 *
 * Deliveries arrive in any order and more than once; both records converge to the same state whatever the order:
 * a subscription keeps the state of the latest event (by Stripe's `created`; on a tie an ended state wins, since a
 * canceled subscription never comes back), an invoice once paid stays paid.
 */

/** Applies the subscription side of an event; null when the event is not about a subscription. */
export async function applySubscriptionEvent(trx: Trx, merchantId: string, event: StripeEventEnvelope): Promise<string | null> {
  const fact = subscriptionFactFromEvent(event);
  if (fact.kind === "none") return fact.reason;
  if (fact.kind === "subscription") return recordSubscriptionState(trx, merchantId, fact);
  return recordSubscriptionInvoice(trx, merchantId, fact);
}

async function recordSubscriptionState(trx: Trx, merchantId: string, f: Extract<SubscriptionFact, { kind: "subscription" }>): Promise<string> {
  const row = await trx
    .insertInto("subscriptions")
    .values({
      merchant_id: merchantId,
      stripe_subscription_id: f.subscriptionId,
      stripe_customer_id: f.customerId,
      status: f.status,
      currency: f.currency,
      plan_amount_minor: f.planAmountMinor,
      plan_interval: f.interval,
      plan_interval_count: f.intervalCount,
      mrr_minor: f.mrrMinor,
      started_at: f.startedAt,
      canceled_at: f.canceledAt,
      ended_at: f.endedAt,
      stripe_event_at: f.eventAt,
      updated_at: now(),
    })
    .onConflict((oc) =>
      oc
        .columns(["merchant_id", "stripe_subscription_id"])
        .doUpdateSet({
          status: sql`excluded.status`,
          currency: sql`excluded.currency`,
          plan_amount_minor: sql`excluded.plan_amount_minor`,
          plan_interval: sql`excluded.plan_interval`,
          plan_interval_count: sql`excluded.plan_interval_count`,
          mrr_minor: sql`excluded.mrr_minor`,
          started_at: sql`excluded.started_at`,
          canceled_at: sql`coalesce(excluded.canceled_at, subscriptions.canceled_at)`,
          ended_at: sql`coalesce(excluded.ended_at, subscriptions.ended_at)`,
          stripe_event_at: sql`excluded.stripe_event_at`,
          updated_at: sql`excluded.updated_at`,
        })
        // Only a newer state replaces the stored one; on the same second, an ended state beats a live one.
        .where(sql<boolean>`excluded.stripe_event_at > subscriptions.stripe_event_at
          or (excluded.stripe_event_at = subscriptions.stripe_event_at and (excluded.ended_at is not null or subscriptions.ended_at is null))`),
    )
    .returning("status")
    .executeTakeFirst();
  const linked = await linkCustomer(trx, merchantId, f.customerId);
  const state = row ? `subscription ${f.subscriptionId} ${f.status}` : `subscription ${f.subscriptionId}: a newer state is already stored`;
  return `${state}${linked ? `; linked to member ${linked}` : ""}`;
}

async function recordSubscriptionInvoice(trx: Trx, merchantId: string, f: Extract<SubscriptionFact, { kind: "subscription_invoice" }>): Promise<string> {
  await trx
    .insertInto("subscription_invoices")
    .values({
      merchant_id: merchantId,
      invoice_id: f.invoiceId,
      stripe_subscription_id: f.subscriptionId,
      stripe_customer_id: f.customerId,
      customer_email: f.email,
      status: f.status,
      amount_minor: f.amountMinor,
      currency: f.currency,
      occurred_at: f.occurredAt,
      failed_attempts: f.status === "failed" ? Math.max(1, f.attempts) : 0,
    })
    .onConflict((oc) =>
      oc.columns(["merchant_id", "invoice_id"]).doUpdateSet({
        // Paid is final: a failed attempt delivered after the payment changes nothing but the attempt count.
        status: sql`case when subscription_invoices.status = 'paid' then subscription_invoices.status else excluded.status end`,
        amount_minor: sql`case when subscription_invoices.status = 'paid' then subscription_invoices.amount_minor else excluded.amount_minor end`,
        occurred_at: sql`case when subscription_invoices.status = 'paid' then subscription_invoices.occurred_at else excluded.occurred_at end`,
        stripe_customer_id: sql`coalesce(subscription_invoices.stripe_customer_id, excluded.stripe_customer_id)`,
        customer_email: sql`coalesce(subscription_invoices.customer_email, excluded.customer_email)`,
        failed_attempts: sql`greatest(subscription_invoices.failed_attempts, excluded.failed_attempts)`,
      }),
    )
    .execute();
  const linked = f.customerId ? await linkCustomer(trx, merchantId, f.customerId) : null;
  const what = f.status === "paid" ? `paid ${f.amountMinor}` : `payment failed (attempt ${Math.max(1, f.attempts)})`;
  return `subscription ${f.subscriptionId} invoice ${f.invoiceId} ${what}${linked ? `; linked to member ${linked}` : ""}`;
}

/**
 * Links the customer's subscriptions that have no member yet to the member whose e-mail one of the customer's invoices
 * carries (the member the invoice's order enrolled). Returns the member id when a link was made.
 */
async function linkCustomer(trx: Trx, merchantId: string, customerId: string): Promise<string | null> {
  const member = await trx
    .selectFrom("subscription_invoices as i")
    .innerJoin("members as m", (j) => j.onRef("m.merchant_id", "=", "i.merchant_id").onRef("m.email", "=", "i.customer_email"))
    .select("m.id")
    .where("i.merchant_id", "=", merchantId)
    .where("m.merchant_id", "=", merchantId)
    .where("i.stripe_customer_id", "=", customerId)
    .orderBy("i.occurred_at")
    .limit(1)
    .executeTakeFirst();
  if (!member) return null;
  const updated = await trx
    .updateTable("subscriptions")
    .set({ member_id: member.id })
    .where("merchant_id", "=", merchantId)
    .where("stripe_customer_id", "=", customerId)
    .where("member_id", "is", null)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0 ? member.id : null;
}
