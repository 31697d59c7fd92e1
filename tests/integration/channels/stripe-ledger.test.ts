import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { getMemberBalance } from "~/domain/points/balance.server";
import { spendPoints } from "~/domain/points/ledger.server";
import { DEFAULT_EARNING_RULES } from "~/domain/points/rules";
import { saveEarningRules } from "~/domain/points/rules.server";
import { insertMembers } from "../../support/admin";
import { testDb } from "../../support/db";
import {
  charge,
  checkoutSession,
  connectedMerchant,
  deliverWebhook,
  invoice,
  invoicePayment,
  nowSeconds,
  purchaseScenario,
  startBuiltApp,
  stripeEvent,
  stripeFootprint,
  stripeId,
} from "../../support/fake-stripe";

/**
 * reliability.md W3, W5, W6 and the event → order mapping, delivered over HTTP to the production build, checked
 * in the ledger (balances, lots, journals).
 */

process.env.ENCRYPTION_KEY ??= "5e".repeat(32);

let app: { baseUrl: string; close: () => Promise<void> };
beforeAll(async () => {
  app = await startBuiltApp();
}, 180_000);
afterAll(async () => {
  await app?.close();
});

type Merchant = Awaited<ReturnType<typeof connectedMerchant>>;

/** A connected merchant whose points are available at once (no return window) and never expire: easier to read. */
async function merchant(currency = "USD"): Promise<Merchant> {
  const m = await connectedMerchant({ currency });
  await withTenant(testDb(), m.id, (trx) =>
    saveEarningRules(trx, m.id, { ...DEFAULT_EARNING_RULES, pendingDays: 0, expiry: { mode: "never" } }, { type: "system", id: null }),
  );
  return m;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Stripe events are loose JSON
async function send(m: Merchant, event: any): Promise<string> {
  const res = await deliverWebhook(app.baseUrl, m.id, event, { secret: m.secret });
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json.outcome as string;
}

/** Everything the ledger says about one customer's Stripe purchase. */
async function ledgerOf(m: Merchant, email: string) {
  return withTenant(testDb(), m.id, async (trx) => {
    const member = await trx.selectFrom("members").select("id").where("merchant_id", "=", m.id).where("email", "=", email).executeTakeFirstOrThrow();
    const b = await getMemberBalance(trx, m.id, member.id);
    const orders = await trx
      .selectFrom("orders")
      .select(["id", "amount_minor", "refunded_minor", "dispute_status", "card_fingerprint", "stripe_payment_key", "source"])
      .where("merchant_id", "=", m.id)
      .where("member_id", "=", member.id)
      .execute();
    const lots = await trx.selectFrom("point_lots").select(["source", "points", "remaining", "consumed", "reversed"]).where("merchant_id", "=", m.id).where("member_id", "=", member.id).orderBy("source").execute();
    const journals = await trx
      .selectFrom("ledger_journals")
      .select(["kind", "source", "points"])
      .where("merchant_id", "=", m.id)
      .where("member_id", "=", member.id)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return { memberId: member.id, balance: { available: b.available, pending: b.pending, clawbackDebt: b.clawbackDebt }, orders, lots, journals };
  });
}

const reversedFor = (journals: Array<{ kind: string; points: number }>) => 0 - journals.filter((j) => j.kind === "reverse" || j.kind === "restore").reduce((s, j) => s + j.points, 0) || 0;

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((rest) => [x, ...rest]));
}

describe("orders from Stripe", () => {
  it("a paid Checkout Session records an order for the member matched by e-mail, creating them with the sign-up bonus", async () => {
    const m = await merchant();
    const s = purchaseScenario({ email: "New.Customer@Example.com", amount: 4_250 });
    const outcome = await send(m, s.purchased());
    expect(outcome).toMatch(/^order ord_\w+ recorded for member mbr_\w+: 42 points$/);
    const l = await ledgerOf(m, "new.customer@example.com");
    expect(l.orders).toEqual([
      expect.objectContaining({ source: "stripe", amount_minor: 4_250, refunded_minor: 0, dispute_status: "none", stripe_payment_key: s.pi }),
    ]);
    expect(l.balance).toEqual({ available: 142, pending: 0, clawbackDebt: 0 });
    expect(l.journals.map((j) => [j.kind, j.source, j.points])).toEqual([
      ["earn", "signup", 100],
      ["earn", "order", 42],
    ]);
    const order = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("orders").select(["external_order_id", "currency"]).where("merchant_id", "=", m.id).executeTakeFirstOrThrow());
    expect(order).toEqual({ external_order_id: s.session.id, currency: "USD" });
  });

  it("an existing member is matched case-insensitively and gets no sign-up bonus", async () => {
    const m = await merchant();
    const [memberId] = await insertMembers(m.id, [{ email: "known@example.com" }]);
    await send(m, purchaseScenario({ email: "KNOWN@example.com", amount: 1_000 }).purchased());
    const l = await ledgerOf(m, "known@example.com");
    expect(l.memberId).toBe(memberId);
    expect(l.journals.map((j) => j.source)).toEqual(["order"]);
    expect((await stripeFootprint(m.id)).members).toBe(1);
  });

  it("a purchase in another currency than the merchant's is stored but records nothing", async () => {
    const m = await merchant("EUR");
    const outcome = await send(m, purchaseScenario({ email: "usd@example.com", amount: 1_000, currency: "usd" }).purchased());
    expect(outcome).toBe("ignored: currency USD (this merchant records EUR only)");
    expect(await stripeFootprint(m.id)).toMatchObject({ events: 1, orders: 0, members: 0, journals: 0 });
  });

  it("unpaid sessions, subscription-mode sessions and unrelated events are stored with the reason and change nothing", async () => {
    const m = await merchant();
    const outcomes = [
      await send(m, stripeEvent("checkout.session.completed", checkoutSession({ email: "a@example.com", amount: 100, paymentStatus: "unpaid" }))),
      await send(m, stripeEvent("checkout.session.completed", checkoutSession({ email: "a@example.com", amount: 100, mode: "subscription" }))),
      await send(m, stripeEvent("customer.created", { id: "cus_1", object: "customer" })),
    ];
    expect(outcomes[0]).toMatch(/not paid yet/);
    expect(outcomes[1]).toMatch(/subscription mode/);
    expect(outcomes[2]).toMatch(/not an event Perennial uses/);
    expect(await stripeFootprint(m.id)).toMatchObject({ events: 3, orders: 0, members: 0 });
  });

  it("invoice.paid records an order; a Checkout Session and the invoice it created are one order, in either order of arrival", async () => {
    const m = await merchant();
    const inv = invoice({ email: "sub@example.com", amount: 2_000 });
    expect(await send(m, stripeEvent("invoice.paid", inv))).toMatch(/recorded.*: 20 points$/);

    for (const [i, invoiceFirst] of [true, false].entries()) {
      const email = `both${i}@example.com`;
      const pi = stripeId("pi");
      const invoiceId = stripeId("in");
      const session = checkoutSession({ email, amount: 3_000, paymentIntent: pi, invoice: invoiceId });
      const paid = invoice({ email, amount: 3_000, id: invoiceId });
      const events = [stripeEvent("checkout.session.completed", session), stripeEvent("invoice.paid", paid)];
      if (invoiceFirst) events.reverse();
      for (const e of events) await send(m, e);
      // A refund keyed by the PaymentIntent finds the order whichever came first.
      await send(m, stripeEvent("charge.refunded", charge({ paymentIntent: pi, amount: 3_000, amountRefunded: 3_000 })));
      const l = await ledgerOf(m, email);
      expect(l.orders).toHaveLength(1);
      expect(l.orders[0]).toMatchObject({ stripe_payment_key: pi, refunded_minor: 3_000 });
      expect(reversedFor(l.journals)).toBe(30);
    }
  });

  it("a subscription invoice without its PaymentIntent (API ≥ 2025-03-31) is linked through invoice_payment.paid, in either order", async () => {
    const m = await merchant();
    for (const [i, linkFirst] of [false, true].entries()) {
      const email = `renewal${i}@example.com`;
      const pi = stripeId("pi");
      const inv = invoice({ email, amount: 4_000 });
      const events = [stripeEvent("invoice.paid", inv), stripeEvent("invoice_payment.paid", invoicePayment({ invoice: inv.id, paymentIntent: pi, amount: 4_000 }))];
      if (linkFirst) events.reverse();
      const outcomes = [];
      for (const e of events) outcomes.push(await send(m, e));
      if (linkFirst) expect(outcomes[0]).toMatch(/linked when the invoice arrives/);
      else expect(outcomes[1]).toMatch(new RegExp(`linked to payment ${pi}`));
      expect(await send(m, stripeEvent("charge.refunded", charge({ paymentIntent: pi, amount: 4_000, amountRefunded: 1_000 })))).toMatch(/10 points reversed$/);
      const l = await ledgerOf(m, email);
      expect(l.orders).toEqual([expect.objectContaining({ stripe_payment_key: pi, refunded_minor: 1_000 })]);
    }
  });

  it("a charge delivered before its purchase keeps the card fingerprint for the order (Referrals uses it)", async () => {
    const m = await merchant();
    const s = purchaseScenario({ email: "early@example.com", amount: 900, fingerprint: "Xyz123Fingerprint" });
    expect(await send(m, s.succeeded())).toMatch(/kept until its order arrives/);
    await send(m, s.purchased());
    const l = await ledgerOf(m, "early@example.com");
    expect(l.orders[0]).toMatchObject({ card_fingerprint: "Xyz123Fingerprint" });
    const payment = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("stripe_payments").selectAll().where("merchant_id", "=", m.id).executeTakeFirstOrThrow());
    expect(payment).toMatchObject({ payment_key: s.pi, charge_id: s.chargeId, order_id: l.orders[0]!.id, card_fingerprint: "Xyz123Fingerprint", customer_email: "early@example.com" });
  });
});

describe("W3 delivery order", () => {
  it("every order of purchase → partial refund → full refund → dispute funds withdrawn gives the same final ledger", async () => {
    const m = await merchant();
    const steps = ["purchase", "partial refund", "full refund", "funds withdrawn"] as const;
    const orders = permutations([...steps]);
    expect(orders).toHaveLength(24);
    const results = [];
    for (const [i, order] of orders.entries()) {
      const email = `w3-${i}@example.com`;
      const s = purchaseScenario({ email, amount: 10_000 });
      const t = nowSeconds() - 100;
      // Stripe created these in the natural order; they are delivered in `order`.
      const events = {
        purchase: s.purchased(t),
        "partial refund": s.refunded(2_500, t + 10),
        "full refund": s.refunded(10_000, t + 20),
        "funds withdrawn": s.disputeEvent("charge.dispute.funds_withdrawn", "needs_response", t + 30),
      };
      for (const step of order) await send(m, events[step]);
      const l = await ledgerOf(m, email);
      results.push({
        order: order.join(" → "),
        balance: l.balance,
        orders: l.orders.map((o) => ({ refunded_minor: o.refunded_minor, dispute_status: o.dispute_status, card_fingerprint: o.card_fingerprint === s.fingerprint })),
        lots: l.lots,
        reversed: reversedFor(l.journals),
      });
    }
    const expected = {
      balance: { available: 100, pending: 0, clawbackDebt: 0 },
      orders: [{ refunded_minor: 10_000, dispute_status: "withdrawn", card_fingerprint: true }],
      lots: [
        { source: "order", points: 100, remaining: 0, consumed: 0, reversed: 100 },
        { source: "signup", points: 100, remaining: 100, consumed: 0, reversed: 0 },
      ],
      reversed: 100,
    };
    for (const r of results) expect({ ...r, order: undefined }, r.order).toEqual({ ...expected, order: undefined });
  });

  it("withdrawn and reinstated in either order, around the purchase, end with the points restored", async () => {
    const m = await merchant();
    const steps = ["purchase", "withdrawn", "reinstated"] as const;
    for (const [i, order] of permutations([...steps]).entries()) {
      const email = `w3r-${i}@example.com`;
      const s = purchaseScenario({ email, amount: 5_000 });
      const events = {
        purchase: s.purchased(),
        withdrawn: s.disputeEvent("charge.dispute.funds_withdrawn", "needs_response"),
        reinstated: s.disputeEvent("charge.dispute.funds_reinstated", "won"),
      };
      for (const step of order) await send(m, events[step]);
      const l = await ledgerOf(m, email);
      expect(l.balance, order.join(" → ")).toEqual({ available: 150, pending: 0, clawbackDebt: 0 });
      expect(l.orders[0]!.dispute_status, order.join(" → ")).toBe("reinstated");
      expect(reversedFor(l.journals), order.join(" → ")).toBe(0);
    }
  });
});

describe("W5 refunds", () => {
  it("partial refunds reverse in proportion to the cumulative amount_refunded; a stale total changes nothing", async () => {
    const m = await merchant();
    const s = purchaseScenario({ email: "w5@example.com", amount: 3_333 });
    await send(m, s.purchased());
    expect((await ledgerOf(m, "w5@example.com")).lots.find((l) => l.source === "order")!.points).toBe(33);
    expect(await send(m, s.refunded(1_000))).toMatch(/refunded 1000 so far; 9 points reversed$/);
    expect(await send(m, s.refunded(2_000))).toMatch(/refunded 2000 so far; 10 points reversed$/);
    // Delivered late: the 1,000 total is older than what we know.
    expect(await send(m, s.refunded(1_000))).toMatch(/refunded 2000 so far$/);
    expect(await send(m, s.refunded(3_333))).toMatch(/refunded 3333 so far; 14 points reversed$/);
    const l = await ledgerOf(m, "w5@example.com");
    expect(l.journals.filter((j) => j.kind === "reverse").map((j) => j.points)).toEqual([-9, -10, -14]);
    expect(l.orders[0]!.refunded_minor).toBe(3_333);
    expect(l.balance).toEqual({ available: 100, pending: 0, clawbackDebt: 0 });
  });

  it("a refund after the points were spent leaves a clawback debt the merchant can see", async () => {
    const m = await merchant();
    const s = purchaseScenario({ email: "spent@example.com", amount: 10_000 });
    await send(m, s.purchased());
    const { memberId } = await ledgerOf(m, "spent@example.com");
    await withTenant(testDb(), m.id, (trx) =>
      spendPoints(trx, m.id, { memberId, points: 180, idempotencyKey: `test-spend-${memberId}`, description: "Reward", actor: { type: "system", id: null } }),
    );
    await send(m, s.refunded(10_000));
    const l = await ledgerOf(m, "spent@example.com");
    // 200 earned; 180 spent oldest lot first — the order's lot (earned when the purchase happened) before the
    // sign-up bonus (granted when the event was processed). The refund takes back 100 spent points: a debt of 100.
    expect(l.balance).toEqual({ available: 20, pending: 0, clawbackDebt: 100 });
    expect(l.lots.find((x) => x.source === "order")).toMatchObject({ points: 100, reversed: 100, remaining: 0 });
    const debt = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("member_balances").select("clawback_debt").where("merchant_id", "=", m.id).where("member_id", "=", memberId).executeTakeFirstOrThrow());
    expect(debt.clawback_debt).toBe(100);
  });
});

describe("W6 disputes", () => {
  it("inquiries (warning_*) change nothing; funds withdrawn reverses once; reinstated restores once and stays", async () => {
    const m = await merchant();
    const s = purchaseScenario({ email: "w6@example.com", amount: 5_000 });
    await send(m, s.purchased());
    const start = await ledgerOf(m, "w6@example.com");
    expect(start.balance.available).toBe(150);

    for (const [type, status] of [
      ["charge.dispute.created", "warning_needs_response"],
      ["charge.dispute.updated", "warning_under_review"],
      ["charge.dispute.closed", "warning_closed"],
    ] as const) {
      expect(await send(m, s.disputeEvent(type, status))).toMatch(new RegExp(`is ${status}: no effect on points$`));
    }
    const afterInquiry = await ledgerOf(m, "w6@example.com");
    expect(afterInquiry.journals).toEqual(start.journals);
    expect(afterInquiry.orders[0]!.dispute_status).toBe("none");

    // A real dispute: created (no money moves yet), then the funds are withdrawn — twice, as separate events.
    await send(m, s.disputeEvent("charge.dispute.created", "needs_response"));
    expect(await send(m, s.disputeEvent("charge.dispute.funds_withdrawn", "needs_response"))).toMatch(/50 points reversed$/);
    expect(await send(m, s.disputeEvent("charge.dispute.funds_withdrawn", "under_review"))).not.toMatch(/reversed/);
    expect((await ledgerOf(m, "w6@example.com")).balance.available).toBe(100);

    expect(await send(m, s.disputeEvent("charge.dispute.funds_reinstated", "won"))).toMatch(/50 points restored$/);
    expect(await send(m, s.disputeEvent("charge.dispute.funds_reinstated", "won"))).not.toMatch(/restored/);
    // A withdrawal delivered after the reinstatement (out of order) does not withdraw again.
    expect(await send(m, s.disputeEvent("charge.dispute.funds_withdrawn", "needs_response"))).toMatch(/stays reinstated/);
    await send(m, s.disputeEvent("charge.dispute.closed", "won"));

    const end = await ledgerOf(m, "w6@example.com");
    expect(end.balance).toEqual({ available: 150, pending: 0, clawbackDebt: 0 });
    expect(end.orders[0]!.dispute_status).toBe("reinstated");
    expect(end.journals.filter((j) => j.source === "dispute").map((j) => [j.kind, j.points])).toEqual([
      ["reverse", -50],
      ["restore", 50],
    ]);
  });
});
