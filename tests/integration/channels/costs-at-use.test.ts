import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { withTenant, type Trx } from "~/db.server";
import { createExperiment } from "~/domain/experiments/assignment.server";
import { importAssignments } from "~/domain/experiments/import-assignments.server";
import { recordPurchase } from "~/domain/flows/purchase.server";
import { buildIncrementalityReport, withHashPlans } from "~/domain/incrementality/report.server";
import { buildReportSeries } from "~/domain/incrementality/series.server";
import { readIncrementalityReport, refreshExperimentSummary, SUMMARY_WINDOWS } from "~/domain/incrementality/summaries.server";
import { adjustPoints, earnPoints, spendPoints } from "~/domain/points/ledger.server";
import { DEFAULT_EARNING_RULES, EarningRulesSchema } from "~/domain/points/rules";
import { createReward } from "~/domain/rewards/catalog.server";
import { useCode } from "~/domain/rewards/codes.server";
import { grantReward } from "~/domain/rewards/grant.server";
import { saveStripeCredentials } from "~/domain/stripe/connection.server";
import { ingestStripeEvent } from "~/domain/stripe/events.server";
import { resetEnvCache } from "~/lib/env.server";
import { createMerchant, insertMembers } from "../../support/admin";
import { SYSTEM } from "../../support/ledger";
import { testDb } from "../../support/db";
import { startFakeStripe, webhookSecret, type FakeStripe } from "../../support/fake-stripe";

/**
 * Issue 16 §1, with answers known in advance: cost is what the merchant gave up, when it gave it up.
 *  - a 20%-off gift granted to 10 treated members and used by 3 of them on orders of 50.00, 80.00 and 120.00 costs
 *    exactly 10.00 + 16.00 + 24.00 = 50.00 (before: 0, its discount_minor being null);
 *  - a 5.00 code granted to 10 control members and never used costs 0 (before: 50.00, its face value at grant);
 *  - 4 treated members holding 1,000 points each, at 100 points = 0.50 and a breakage of 60% measured on the
 *    merchant's settled lots (1,500 of 2,500 settled points expired), are a liability of 4,000 × 0.005 × 0.4 = 8.00;
 *  - points-funded rewards at their cost to the merchant when the CLTV setting says so;
 *  - a Stripe promotion code used in a checkout costs what Stripe took off; on an invoice that names the discount
 *    only by id (di_…), the invoice is fetched with the discount expanded (the fake Stripe API) and matched alike.
 * And the maintained summaries give exactly the raw computation with these lines.
 */

// Stripe credentials are stored encrypted; the Stripe client talks to the local fake.
process.env.ENCRYPTION_KEY ??= "5e".repeat(32);
let fake: FakeStripe;
beforeAll(async () => {
  fake = await startFakeStripe();
  process.env.STRIPE_API_URL = fake.url;
  resetEnvCache();
});
afterAll(async () => fake?.close());

const DAY = 86_400_000;
const NOW = new Date();
const daysAgo = (n: number) => new Date(NOW.getTime() - n * DAY);
const tx = <T>(merchantId: string, fn: (trx: Trx) => Promise<T>) => withTenant(testDb(), merchantId, fn);

async function world(opts: { settledLots: number }) {
  const m = await createMerchant();
  await tx(m.id, async (trx) => {
    const rules = EarningRulesSchema.parse({ ...DEFAULT_EARNING_RULES, pointValue: { points: 100, minor: 50 } });
    await trx.insertInto("earning_rules").values({ merchant_id: m.id, rules: JSON.stringify(rules) }).execute();
    await sql`insert into cltv_settings (merchant_id, gross_margin_bps) values (${m.id}, 5000)`.execute(trx);
  });
  const members = await insertMembers(
    m.id,
    Array.from({ length: 21 }, (_, i) => ({ email: `c${i}@example.com` })),
  );
  const treated = members.slice(0, 10);
  const control = members.slice(10, 20);
  const history = members[20]!;
  const experiment = await tx(m.id, (trx) =>
    createExperiment(trx, m.id, { kind: "custom", name: "Gift", assignment: "external", arms: [{ arm: "control", control: true }, { arm: "treatment", control: false }] }),
  );
  await tx(m.id, (trx) =>
    importAssignments(trx, m.id, experiment, {
      rows: [...treated, ...control].map((id, i) => ({ line: i + 1, memberId: id, externalId: null, email: null, arm: i < 10 ? "treatment" : "control", assignedAt: daysAgo(10) })),
      errors: [],
      control: "control",
      actor: SYSTEM,
    }),
  );

  // The merchant's history of points: `settledLots` lots of 100 points past their expiry date, 1,000 of them spent.
  await tx(m.id, async (trx) => {
    for (let i = 0; i < opts.settledLots; i++) {
      await earnPoints(trx, m.id, { memberId: history, points: 100, source: "test", idempotencyKey: `h-${i}`, description: "old", earnedAt: daysAgo(400), expiresAt: daysAgo(-30), actor: SYSTEM });
    }
    if (opts.settledLots > 0) {
      await spendPoints(trx, m.id, { memberId: history, points: Math.min(1000, opts.settledLots * 100), idempotencyKey: "h-spend", description: "old spend", actor: SYSTEM });
    }
    await sql`update point_lots set expires_at = ${daysAgo(20)} where merchant_id = ${m.id} and member_id = ${history}`.execute(trx);
  });

  const pct = await tx(m.id, (trx) => createReward(trx, m.id, { name: "20% off", kind: "percent_discount", pointsCost: 400, percentOff: 20 }, SYSTEM));
  const fixed = await tx(m.id, (trx) => createReward(trx, m.id, { name: "5 off", kind: "fixed_discount", pointsCost: 500, discountMinor: 500 }, SYSTEM));
  const codes: string[] = [];
  for (const id of treated) {
    const g = await tx(m.id, (trx) => grantReward(trx, m.id, { memberId: id, rewardId: pct.id, idempotencyKey: `g-${id}`, source: "gift", chargePoints: false, actor: SYSTEM, notify: false }));
    codes.push(g.code!);
  }
  for (const id of control) {
    await tx(m.id, (trx) => grantReward(trx, m.id, { memberId: id, rewardId: fixed.id, idempotencyKey: `f-${id}`, source: "gift", chargePoints: false, actor: SYSTEM, notify: false }));
  }
  // 3 of the 10 treated use the gift on known orders.
  const orders = [5000, 8000, 12000];
  for (let i = 0; i < 3; i++) {
    await tx(m.id, async (trx) => {
      await recordPurchase(trx, m.id, { memberId: treated[i]!, externalOrderId: `o-${i}`, amountMinor: orders[i]!, currency: "USD", occurredAt: daysAgo(2), awardPoints: false }, { channel: "api", actor: SYSTEM });
      await useCode(trx, m.id, { code: codes[i]!, orderId: `o-${i}`, orderAmountMinor: orders[i]! }, SYSTEM);
    });
  }
  // 4 treated members hold 1,000 points each.
  for (const id of treated.slice(6, 10)) {
    await tx(m.id, (trx) => adjustPoints(trx, m.id, { memberId: id, points: 1000, reason: "test", idempotencyKey: `hold-${id}`, actor: SYSTEM }));
  }
  return { merchantId: m.id, experimentId: experiment.id, treated, control };
}

const arm = (r: Awaited<ReturnType<typeof buildIncrementalityReport>>, name: string) => r.arms.find((a) => a.arm === name)!;

describe("cost at use, outstanding points (issue 16 §1)", () => {
  it("a 20%-off gift used by 3 of 10 costs exactly what it took off; a code never used costs 0; the liability uses the measured breakage", async () => {
    const w = await world({ settledLots: 25 });
    const report = await tx(w.merchantId, (trx) => buildIncrementalityReport(trx, w.merchantId, w.experimentId));
    const t = arm(report, "treatment");
    const c = arm(report, "control");
    expect(t.cost.rewardsMinor).toBe(1000 + 1600 + 2400);
    expect(c.cost.rewardsMinor).toBe(0);
    expect(report.breakage).toEqual({ breakageBps: 6000, source: "history", settledLots: 25, settledPoints: 2500, expiredPoints: 1500 });
    expect(t.liability.outstandingPoints).toBe(4000);
    expect(t.liability.minor).toBeCloseTo(800, 9);
    expect(c.liability.minor).toBe(0);
    expect(t.cost.total).toBeCloseTo(5000 + 800, 9);
    // Net value: 50% of 250.00 of orders, less the gift's cost and the liability, over 10 members.
    expect(t.value.mean).toBeCloseTo((0.5 * 25000 - 5000 - 800) / 10, 9);
    expect(c.value.mean).toBe(0);
    expect(report.comparisons[0]!.cost.perMemberDifference).toBeCloseTo(580, 9);
    expect(report.pointsCostBasis).toBe("point_value");
  });

  it("too little settled history: the default breakage (none), and the report says so", async () => {
    const w = await world({ settledLots: 5 });
    const report = await tx(w.merchantId, (trx) => buildIncrementalityReport(trx, w.merchantId, w.experimentId));
    expect(report.breakage).toMatchObject({ breakageBps: 0, source: "default", settledLots: 5 });
    expect(arm(report, "treatment").liability.minor).toBeCloseTo(4000 * 0.5, 9);
  });

  it("points-funded rewards: nominal point value, or the reward's cost to the merchant under the CLTV setting", async () => {
    const w = await world({ settledLots: 0 });
    const coffee = await tx(w.merchantId, (trx) => createReward(trx, w.merchantId, { name: "Coffee", kind: "free_product", pointsCost: 400, productName: "Coffee", costMinor: 120 }, SYSTEM));
    await tx(w.merchantId, async (trx) => {
      await adjustPoints(trx, w.merchantId, { memberId: w.treated[0]!, points: 400, reason: "test", idempotencyKey: "coffee-pts", actor: SYSTEM });
      await grantReward(trx, w.merchantId, { memberId: w.treated[0]!, rewardId: coffee.id, idempotencyKey: "coffee", source: "redeem", chargePoints: true, actor: SYSTEM, notify: false });
    });
    const nominal = await tx(w.merchantId, (trx) => buildIncrementalityReport(trx, w.merchantId, w.experimentId));
    expect(arm(nominal, "treatment").cost.pointsMinor).toBeCloseTo(400 * 0.5, 9);
    await tx(w.merchantId, (trx) => sql`update cltv_settings set points_cost_basis = 'reward_cost' where merchant_id = ${w.merchantId}`.execute(trx));
    const costed = await tx(w.merchantId, (trx) => buildIncrementalityReport(trx, w.merchantId, w.experimentId));
    expect(costed.pointsCostBasis).toBe("reward_cost");
    expect(arm(costed, "treatment").cost.pointsMinor).toBe(120);
    expect(arm(costed, "treatment").value.mean - arm(nominal, "treatment").value.mean).toBeCloseTo((200 - 120) / 10, 9);
  });

  it("the maintained summaries give exactly the raw computation, with the new lines", async () => {
    const w = await world({ settledLots: 25 });
    const at = new Date();
    await tx(w.merchantId, (trx) => refreshExperimentSummary(trx, w.merchantId, w.experimentId, at));
    for (const days of SUMMARY_WINDOWS) {
      const raw = await tx(w.merchantId, async (trx) => {
        const report = await buildIncrementalityReport(trx, w.merchantId, w.experimentId, { windowDays: days });
        const arms = report.arms.map((a) => ({ arm: a.arm, control: a.control }));
        return { report, series: await withHashPlans(trx, () => buildReportSeries(trx, w.merchantId, w.experimentId, report, arms, report.hasPrediction, at)) };
      });
      const read = await tx(w.merchantId, (trx) => readIncrementalityReport(trx, w.merchantId, w.experimentId, { windowDays: days }, { series: true }));
      expect(read.asOf.getTime()).toBe(at.getTime());
      expect(read.report, `window ${days}`).toEqual(raw.report);
      expect(read.series, `window ${days}`).toEqual(raw.series);
      expect(arm(read.report, "treatment").liability.minor).toBeCloseTo(800, 9);
      expect(arm(read.report, "treatment").cost.rewardsMinor).toBe(5000);
    }
  });

  it("a Stripe promotion code used in a checkout costs what Stripe took off, at the purchase", async () => {
    const w = await world({ settledLots: 0 });
    const member = w.treated[5]!;
    const r = await tx(w.merchantId, async (trx) => {
      const row = await trx.selectFrom("reward_redemptions").select(["id"]).where("merchant_id", "=", w.merchantId).where("member_id", "=", member).executeTakeFirstOrThrow();
      await sql`update reward_redemptions set stripe_promotion_code_id = 'promo_test1' where merchant_id = ${w.merchantId} and id = ${row.id}`.execute(trx);
      return row;
    });
    const email = (await tx(w.merchantId, (trx) => trx.selectFrom("members").select("email").where("merchant_id", "=", w.merchantId).where("id", "=", member).executeTakeFirstOrThrow())).email;
    const before = await tx(w.merchantId, (trx) => buildIncrementalityReport(trx, w.merchantId, w.experimentId));
    const event = {
      id: "evt_costs_1",
      type: "checkout.session.completed",
      created: Math.floor(daysAgo(1).getTime() / 1000),
      data: {
        object: {
          id: "cs_costs_1",
          mode: "payment",
          payment_status: "paid",
          payment_intent: "pi_costs_1",
          amount_subtotal: 4000,
          amount_total: 3200,
          currency: "usd",
          customer_details: { email },
          discounts: [{ coupon: "perennial_x_pct20", promotion_code: "promo_test1" }],
          total_details: { amount_discount: 800, amount_shipping: 0, amount_tax: 0 },
        },
      },
    };
    const out = await ingestStripeEvent(testDb(), w.merchantId, event, "webhook");
    expect(out.outcome).toMatch(/1 reward used/);
    const used = await tx(w.merchantId, (trx) => trx.selectFrom("reward_redemptions").selectAll().where("merchant_id", "=", w.merchantId).where("id", "=", r.id).executeTakeFirstOrThrow());
    expect(used).toMatchObject({ status: "used", applied_minor: 800 });
    expect(used.used_at?.getTime()).toBe(event.created * 1000);
    const after = await tx(w.merchantId, (trx) => buildIncrementalityReport(trx, w.merchantId, w.experimentId));
    expect(arm(after, "treatment").cost.rewardsMinor - arm(before, "treatment").cost.rewardsMinor).toBe(800);
  });
  it("an invoice that names its discount only by id (di_…) is matched through the Stripe API, at what it took off", async () => {
    const w = await world({ settledLots: 0 });
    const member = w.treated[4]!;
    const r = await tx(w.merchantId, async (trx) => {
      const row = await trx.selectFrom("reward_redemptions").select(["id"]).where("merchant_id", "=", w.merchantId).where("member_id", "=", member).executeTakeFirstOrThrow();
      await sql`update reward_redemptions set stripe_promotion_code_id = 'promo_di_1' where merchant_id = ${w.merchantId} and id = ${row.id}`.execute(trx);
      return row;
    });
    const email = (await tx(w.merchantId, (trx) => trx.selectFrom("members").select("email").where("merchant_id", "=", w.merchantId).where("id", "=", member).executeTakeFirstOrThrow())).email;
    const invoiceEvent = (id: string) => ({
      id: `evt_${id}`,
      type: "invoice.paid",
      created: Math.floor(daysAgo(1).getTime() / 1000),
      data: {
        object: {
          object: "invoice",
          id,
          status: "paid",
          customer_email: email,
          currency: "usd",
          subtotal: 6000,
          total: 4800,
          amount_paid: 4800,
          amount_due: 4800,
          status_transitions: { paid_at: Math.floor(daysAgo(1).getTime() / 1000) },
          // What a webhook carries: the discount by id only.
          total_discount_amounts: [{ amount: 1200, discount: `di_${id}` }],
        },
      },
    });
    // Without a Stripe API key the discount cannot be looked up: the order is recorded, the reward stays unused.
    const noKey = await ingestStripeEvent(testDb(), w.merchantId, invoiceEvent("in_nokey"), "webhook");
    expect(noKey.outcome).toMatch(/^order .* recorded/);
    expect(noKey.outcome).not.toMatch(/reward/);
    const still = await tx(w.merchantId, (trx) => trx.selectFrom("reward_redemptions").select(["status", "applied_minor"]).where("merchant_id", "=", w.merchantId).where("id", "=", r.id).executeTakeFirstOrThrow());
    expect(still).toEqual({ status: "issued", applied_minor: null });

    await saveStripeCredentials(testDb(), w.merchantId, { webhookSecret: webhookSecret(), apiKey: `rk_test_${"c".repeat(48)}` }, SYSTEM);
    fake.invoices.push({
      ...invoiceEvent("in_di_1").data.object,
      total_discount_amounts: [{ amount: 1200, discount: { id: "di_in_di_1", object: "discount", promotion_code: "promo_di_1", coupon: { id: "perennial_x_pct20" } } }],
    });
    const before = await tx(w.merchantId, (trx) => buildIncrementalityReport(trx, w.merchantId, w.experimentId));
    const out = await ingestStripeEvent(testDb(), w.merchantId, invoiceEvent("in_di_1"), "webhook");
    expect(out.outcome).toMatch(/1 reward used/);
    const fetched = fake.requests.filter((q) => q.path === "/v1/invoices/in_di_1");
    expect(fetched).toHaveLength(1);
    expect([...fetched[0]!.query.entries()]).toEqual([["expand[0]", "total_discount_amounts.discount"]]);
    const used = await tx(w.merchantId, (trx) => trx.selectFrom("reward_redemptions").selectAll().where("merchant_id", "=", w.merchantId).where("id", "=", r.id).executeTakeFirstOrThrow());
    expect(used).toMatchObject({ status: "used", applied_minor: 1200 });
    const after = await tx(w.merchantId, (trx) => buildIncrementalityReport(trx, w.merchantId, w.experimentId));
    expect(arm(after, "treatment").cost.rewardsMinor - arm(before, "treatment").cost.rewardsMinor).toBe(1200);

    // A Stripe API failure stores nothing (the event comes again): here the invoice is unknown to the fake.
    await expect(ingestStripeEvent(testDb(), w.merchantId, invoiceEvent("in_missing"), "webhook")).rejects.toThrow(/No such invoice/);
    const stored = await tx(w.merchantId, (trx) => trx.selectFrom("stripe_events").select("event_id").where("merchant_id", "=", w.merchantId).where("event_id", "=", "evt_in_missing").execute());
    expect(stored).toHaveLength(0);
  });
});
