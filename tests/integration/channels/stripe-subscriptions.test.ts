import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { receiveStripeWebhook } from "~/domain/stripe/webhook.server";
import { STRIPE_SUBSCRIPTION } from "../../fixtures";
import { testDb } from "../../support/db";
import { connectedMerchant, invoice, nowSeconds, signatureHeader, stripeEvent, stripeId } from "../../support/fake-stripe";

/**
 * Issue 16 §5: Stripe subscriptions through the webhook's own path (signature, de-duplication, the merchant's event
 * lock), checked in the `subscriptions` / `subscription_invoices` records and in the orders the invoices make.
 */

process.env.ENCRYPTION_KEY ??= "5e".repeat(32);

type Merchant = Awaited<ReturnType<typeof connectedMerchant>>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Stripe objects are loose JSON
type Json = any;

const EXAMPLE: Json = JSON.parse(fs.readFileSync(STRIPE_SUBSCRIPTION, "utf8"));

/** Stripe's example subscription with the scenario's fields filled in. */
function subscription(o: {
  id: string;
  customer: string;
  status?: string;
  amount: number;
  interval?: "month" | "year" | "week";
  startDate: number;
  canceledAt?: number | null;
  endedAt?: number | null;
  quantity?: number;
}): Json {
  const s = structuredClone(EXAMPLE);
  s.id = o.id;
  s.customer = o.customer;
  s.status = o.status ?? "active";
  s.created = o.startDate;
  s.start_date = o.startDate;
  s.canceled_at = o.canceledAt ?? null;
  s.ended_at = o.endedAt ?? null;
  s.cancel_at = null;
  s.cancel_at_period_end = false;
  const item = s.items.data[0];
  item.subscription = o.id;
  item.quantity = o.quantity ?? 1;
  item.price.unit_amount = o.amount;
  item.price.currency = "usd";
  item.price.recurring.interval = o.interval ?? "month";
  item.price.recurring.interval_count = 1;
  s.items.data = [item];
  return s;
}

/** A subscription's invoice (API version 2025-03-31: the subscription under parent.subscription_details). */
function subscriptionInvoice(o: { subscription: string; customer: string; email: string; amount: number; paidAt?: number; id?: string; status?: "paid" | "open"; attempts?: number }): Json {
  const inv = invoice({ email: o.email, amount: o.amount, paidAt: o.paidAt, id: o.id });
  inv.customer = o.customer;
  inv.billing_reason = "subscription_cycle";
  inv.parent = { type: "subscription_details", quote_details: null, subscription_details: { metadata: {}, subscription: o.subscription } };
  inv.attempt_count = o.attempts ?? 1;
  if (o.status === "open") {
    inv.status = "open";
    inv.amount_paid = 0;
    inv.amount_remaining = o.amount;
    inv.status_transitions.paid_at = null;
  }
  return inv;
}

async function deliver(m: Merchant, event: Json, secret = m.secret) {
  const raw = JSON.stringify(event);
  return receiveStripeWebhook(testDb(), m.id, raw, signatureHeader(raw, secret));
}

async function subscriptionsOf(m: Merchant) {
  return withTenant(testDb(), m.id, (trx) =>
    trx
      .selectFrom("subscriptions")
      .select(["stripe_subscription_id", "stripe_customer_id", "member_id", "status", "plan_amount_minor", "plan_interval", "mrr_minor", "started_at", "canceled_at", "ended_at"])
      .where("merchant_id", "=", m.id)
      .orderBy("stripe_subscription_id")
      .execute(),
  );
}

async function invoicesOf(m: Merchant) {
  return withTenant(testDb(), m.id, (trx) =>
    trx.selectFrom("subscription_invoices").select(["invoice_id", "status", "amount_minor", "failed_attempts"]).where("merchant_id", "=", m.id).orderBy("invoice_id").execute(),
  );
}

async function ordersOf(m: Merchant) {
  return withTenant(testDb(), m.id, (trx) => trx.selectFrom("orders").select(["id", "member_id", "external_order_id", "amount_minor"]).where("merchant_id", "=", m.id).execute());
}

const DAY = 86_400;

describe("customer.subscription.* events", () => {
  it("a signed created event stores the subscription: plan amount, interval, MRR; a bad signature stores nothing", async () => {
    const m = await connectedMerchant();
    const start = nowSeconds() - 40 * DAY;
    const sub = subscription({ id: stripeId("sub"), customer: stripeId("cus"), amount: 2000, quantity: 2, startDate: start });
    await expect(deliver(m, stripeEvent("customer.subscription.created", sub, { created: start }), "whsec_wrong")).rejects.toMatchObject({ code: "invalid_signature" });
    expect(await subscriptionsOf(m)).toEqual([]);

    const r = await deliver(m, stripeEvent("customer.subscription.created", sub, { created: start }));
    expect(r).toMatchObject({ duplicate: false, outcome: `subscription ${sub.id} active` });
    expect(await subscriptionsOf(m)).toEqual([
      expect.objectContaining({ stripe_subscription_id: sub.id, status: "active", plan_amount_minor: 4000, plan_interval: "month", mrr_minor: 4000, started_at: new Date(start * 1000), ended_at: null }),
    ]);
    // Yearly plans count a twelfth in MRR.
    const yearly = subscription({ id: stripeId("sub"), customer: stripeId("cus"), amount: 12_000, interval: "year", startDate: start });
    await deliver(m, stripeEvent("customer.subscription.created", yearly, { created: start }));
    expect((await subscriptionsOf(m)).find((s) => s.stripe_subscription_id === yearly.id)).toMatchObject({ plan_amount_minor: 12_000, plan_interval: "year", mrr_minor: 1000 });
  });

  it("a repeated delivery is a duplicate and changes nothing", async () => {
    const m = await connectedMerchant();
    const start = nowSeconds() - 10 * DAY;
    const sub = subscription({ id: stripeId("sub"), customer: stripeId("cus"), amount: 1500, startDate: start });
    const event = stripeEvent("customer.subscription.created", sub, { created: start });
    await deliver(m, event);
    const again = await deliver(m, event);
    expect(again.duplicate).toBe(true);
    expect(await subscriptionsOf(m)).toHaveLength(1);
  });

  it("out-of-order deliveries converge: every order of created / updated (plan change) / deleted ends canceled on the new plan", async () => {
    const start = nowSeconds() - 90 * DAY;
    const customer = stripeId("cus");
    const id = stripeId("sub");
    const created = stripeEvent("customer.subscription.created", subscription({ id, customer, amount: 1000, startDate: start }), { created: start });
    const upgraded = stripeEvent("customer.subscription.updated", subscription({ id, customer, amount: 2500, startDate: start }), { created: start + 30 * DAY });
    const ended = start + 60 * DAY;
    const deleted = stripeEvent("customer.subscription.deleted", subscription({ id, customer, amount: 2500, status: "canceled", startDate: start, canceledAt: ended, endedAt: ended }), {
      created: ended,
    });
    const orders = [
      [created, upgraded, deleted],
      [deleted, upgraded, created],
      [upgraded, deleted, created],
      [deleted, created, upgraded],
    ];
    const finals = [];
    for (const order of orders) {
      const m = await connectedMerchant();
      for (const e of order) await deliver(m, e);
      const rows = await subscriptionsOf(m);
      expect(rows).toHaveLength(1);
      finals.push(rows[0]);
    }
    for (const f of finals) expect(f).toEqual(finals[0]);
    expect(finals[0]).toMatchObject({ status: "canceled", plan_amount_minor: 2500, mrr_minor: 2500, ended_at: new Date(ended * 1000), canceled_at: new Date(ended * 1000) });
  });
});

describe("invoice.paid / invoice.payment_failed of a subscription", () => {
  it("a paid renewal makes one order (as any invoice) and records the revenue once; the subscription is linked to the member", async () => {
    const m = await connectedMerchant();
    const start = nowSeconds() - 5 * DAY;
    const customer = stripeId("cus");
    const sub = subscription({ id: stripeId("sub"), customer, amount: 3000, startDate: start });
    await deliver(m, stripeEvent("customer.subscription.created", sub, { created: start }));
    const inv = subscriptionInvoice({ subscription: sub.id, customer, email: "subscriber@example.com", amount: 3000, paidAt: start });
    const paid = stripeEvent("invoice.paid", inv, { created: start + 1 });
    const r = await deliver(m, paid);
    expect(r.outcome).toMatch(new RegExp(`^order ord_\\w+ recorded for member mbr_\\w+: \\d+ points; subscription ${sub.id} invoice ${inv.id} paid 3000; linked to member mbr_\\w+$`));
    // Redelivered, and also sent again under a new event id (Stripe's retry after a lost response): still one of each.
    expect((await deliver(m, paid)).duplicate).toBe(true);
    await deliver(m, stripeEvent("invoice.paid", inv, { created: start + 2 }));
    const orders = await ordersOf(m);
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ external_order_id: inv.id, amount_minor: 3000 });
    expect(await invoicesOf(m)).toEqual([{ invoice_id: inv.id, status: "paid", amount_minor: 3000, failed_attempts: 0 }]);
    expect((await subscriptionsOf(m))[0]!.member_id).toBe(orders[0]!.member_id);
  });

  it("an invoice paid before its subscription is known links the member when the subscription arrives", async () => {
    const m = await connectedMerchant();
    const start = nowSeconds() - 3 * DAY;
    const customer = stripeId("cus");
    const sub = subscription({ id: stripeId("sub"), customer, amount: 900, startDate: start });
    await deliver(m, stripeEvent("invoice.paid", subscriptionInvoice({ subscription: sub.id, customer, email: "early@example.com", amount: 900, paidAt: start }), { created: start + 5 }));
    const r = await deliver(m, stripeEvent("customer.subscription.created", sub, { created: start }));
    expect(r.outcome).toMatch(/; linked to member mbr_\w+$/);
    const [row] = await subscriptionsOf(m);
    const [order] = await ordersOf(m);
    expect(row!.member_id).toBe(order!.member_id);
  });

  it("a failed payment then its success ends paid; a failure delivered after the payment leaves it paid; no order for a failure", async () => {
    const start = nowSeconds() - 40 * DAY;
    const customer = stripeId("cus");
    const subId = stripeId("sub");
    const invId = stripeId("in");
    const failed = stripeEvent("invoice.payment_failed", subscriptionInvoice({ id: invId, subscription: subId, customer, email: "dunning@example.com", amount: 1200, status: "open", attempts: 2 }), {
      created: start,
    });
    const paid = stripeEvent("invoice.paid", subscriptionInvoice({ id: invId, subscription: subId, customer, email: "dunning@example.com", amount: 1200, paidAt: start + DAY, attempts: 3 }), {
      created: start + DAY,
    });
    for (const order of [
      [failed, paid],
      [paid, failed],
    ]) {
      const m = await connectedMerchant();
      const first = await deliver(m, order[0]);
      if (order[0] === failed) {
        expect(first.outcome).toBe(`subscription ${subId} invoice ${invId} payment failed (attempt 2)`);
        expect(await ordersOf(m)).toEqual([]);
      }
      await deliver(m, order[1]);
      expect(await invoicesOf(m)).toEqual([{ invoice_id: invId, status: "paid", amount_minor: 1200, failed_attempts: 2 }]);
      expect(await ordersOf(m)).toHaveLength(1);
    }
  });

  it("a one-off invoice (no subscription) is an order only, as before", async () => {
    const m = await connectedMerchant();
    const r = await deliver(m, stripeEvent("invoice.paid", invoice({ email: "oneoff@example.com", amount: 700 })));
    expect(r.outcome).toMatch(/^order ord_\w+ recorded for member mbr_\w+: \d+ points$/);
    expect(await invoicesOf(m)).toEqual([]);
  });
});
