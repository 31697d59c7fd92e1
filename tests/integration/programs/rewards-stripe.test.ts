import { randomBytes } from "node:crypto";
import { runOnce } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReward } from "~/domain/rewards/catalog.server";
import { grantReward } from "~/domain/rewards/grant.server";
import type { RewardInput } from "~/domain/rewards/schemas";
import { syncRedemptionToStripe } from "~/domain/stripe/reward-sync.server";
import { saveStripeCredentials } from "~/domain/stripe/connection.server";
import { buildTaskList, jobsLogger, prepareJobsSchema } from "~/jobs/worker.server";
import { resetEnvCache } from "~/lib/env.server";
import { ownerUrl, testDb } from "../../support/db";
import { startFakeStripeRewards, type FakeStripeRewards } from "../../support/fake-stripe-rewards";
import { ledgerFixture, SYSTEM, type LedgerFixture } from "../../support/ledger";

/**
 * Rewards on a Stripe-connected merchant, against a local fake Stripe: discount codes become promotion codes (one
 * coupon per reward), store credit a customer balance credit — through the outbox job, with idempotency keys;
 * transient failures retry, permanent ones void the redemption and return the points.
 */

let fake: FakeStripeRewards;
let previousUrl: string | undefined;
beforeAll(async () => {
  await prepareJobsSchema(ownerUrl);
  fake = await startFakeStripeRewards();
  previousUrl = process.env.STRIPE_API_URL;
  process.env.STRIPE_API_URL = fake.url;
  resetEnvCache();
});
afterAll(async () => {
  if (previousUrl === undefined) delete process.env.STRIPE_API_URL;
  else process.env.STRIPE_API_URL = previousUrl;
  resetEnvCache();
  await fake?.close();
});

async function connected(): Promise<LedgerFixture> {
  const f = await ledgerFixture({ bonuses: { signup: 0, firstOrder: 0, birthday: 0, profileCompleted: 0 } });
  await saveStripeCredentials(testDb(), f.merchantId, { apiKey: `rk_test_${randomBytes(24).toString("hex")}` }, SYSTEM);
  return f;
}

async function memberWith(f: LedgerFixture, points: number) {
  const id = await f.newMember({ name: "Ada" });
  const { earnPoints } = await import("~/domain/points/ledger.server");
  await f.tx((trx) => earnPoints(trx, f.merchantId, { memberId: id, points, source: "adjustment", kind: "adjust", idempotencyKey: `seed:${id}`, description: "seed", actor: SYSTEM }));
  return id;
}

const mkReward = (f: LedgerFixture, over: Partial<RewardInput> = {}) =>
  f.tx((trx) => createReward(trx, f.merchantId, { name: "$5 off", kind: "fixed_discount", pointsCost: 500, discountMinor: 500, stockTotal: 10, codeValidDays: 30, ...over }, SYSTEM));

const redeem = (f: LedgerFixture, memberId: string, rewardId: string) =>
  f.tx((trx) => grantReward(trx, f.merchantId, { memberId, rewardId, idempotencyKey: crypto.randomUUID(), source: "redeem", chargePoints: true, actor: SYSTEM }));

const redemption = (f: LedgerFixture, id: string) => f.tx((trx) => trx.selectFrom("reward_redemptions").selectAll().where("id", "=", id).executeTakeFirstOrThrow());
const emails = (f: LedgerFixture, template: string) => f.tx((trx) => trx.selectFrom("email_outbox").selectAll().where("template", "=", template as never).execute());
const forRedemption = (id: string) => fake.requests.filter((r) => r.idempotencyKey?.endsWith(id));

describe("Stripe-backed rewards", () => {
  it("success through the worker: pending in the redeeming transaction, then one coupon per reward and one promotion code per redemption", { timeout: 60_000 }, async () => {
    const f = await connected();
    const member = await memberWith(f, 2000);
    const reward = await mkReward(f);
    const a = await redeem(f, member, reward.id);
    const b = await redeem(f, member, reward.id);
    expect(a).toMatchObject({ status: "pending", code: null, pointsSpent: 500 });
    expect(await f.balance(member)).toMatchObject({ available: 1000 });
    expect(await emails(f, "reward-issued")).toHaveLength(0);

    await runOnce({ connectionString: ownerUrl, taskList: buildTaskList(), logger: jobsLogger });

    const ra = await redemption(f, a.redemptionId);
    const rb = await redemption(f, b.redemptionId);
    expect(ra.status).toBe("issued");
    expect(rb.status).toBe("issued");
    expect(ra.stripe_promotion_code_id).toMatch(/^promo_/);
    expect(ra.code).toMatch(/^[A-Z0-9]{12}$/);
    const couponsForReward = [...fake.coupons.values()].filter((c) => c.id.includes(reward.id));
    expect(couponsForReward).toHaveLength(1);
    expect(couponsForReward[0]).toMatchObject({ amount_off: 500, currency: "usd", duration: "once" });
    const promos = fake.promotionCodes.filter((p) => [a.redemptionId, b.redemptionId].includes(p.metadata.perennial_redemption_id));
    expect(promos).toHaveLength(2);
    expect(promos.map((p) => p.code).sort()).toEqual([ra.code, rb.code].sort());
    expect(promos[0].max_redemptions).toBe(1);
    expect(await emails(f, "reward-issued")).toHaveLength(2);
    expect((await f.tx((trx) => trx.selectFrom("rewards").select("stripe_coupon_id").where("id", "=", reward.id).executeTakeFirstOrThrow())).stripe_coupon_id).toBe(couponsForReward[0].id);
  });

  it("retry: Stripe answers 500 twice, then succeeds — one promotion code, every try with the same idempotency key", { timeout: 60_000 }, async () => {
    const f = await connected();
    const member = await memberWith(f, 1000);
    const reward = await mkReward(f, { kind: "percent_discount", discountMinor: null, percentOff: 10, minOrderMinor: 2000 });
    const g = await redeem(f, member, reward.id);
    fake.fail({ method: "POST", path: /^\/v1\/promotion_codes$/, status: 500, times: 2 });
    expect(await syncRedemptionToStripe(f.merchantId, g.redemptionId, { lastAttempt: false })).toBe("issued");
    const tries = forRedemption(g.redemptionId).filter((r) => r.path === "/v1/promotion_codes");
    expect(tries).toHaveLength(3);
    expect(new Set(tries.map((t) => t.idempotencyKey)).size).toBe(1);
    expect(fake.promotionCodes.filter((p) => p.metadata.perennial_redemption_id === g.redemptionId)).toHaveLength(1);
    expect((await redemption(f, g.redemptionId)).status).toBe("issued");
    expect(fake.promotionCodes.find((p) => p.metadata.perennial_redemption_id === g.redemptionId).restrictions.minimum_amount).toBe(2000);
  });

  it("a job attempt that keeps failing is retried by the job; the last failing attempt voids", { timeout: 60_000 }, async () => {
    const f = await connected();
    const member = await memberWith(f, 1000);
    const reward = await mkReward(f);
    const g = await redeem(f, member, reward.id);
    // More 500s than the client's own retries: the attempt throws, the job will run again.
    fake.fail({ method: "POST", path: /^\/v1\/(coupons|promotion_codes)$/, status: 500, times: 3 });
    await expect(syncRedemptionToStripe(f.merchantId, g.redemptionId, { lastAttempt: false })).rejects.toThrow();
    expect((await redemption(f, g.redemptionId)).status).toBe("pending");
    fake.fail({ method: "POST", path: /^\/v1\/(coupons|promotion_codes)$/, status: 500, times: 3 });
    expect(await syncRedemptionToStripe(f.merchantId, g.redemptionId, { lastAttempt: true })).toBe("voided");
    expect((await redemption(f, g.redemptionId)).status).toBe("void");
    expect(await f.balance(member)).toMatchObject({ available: 1000 });
  });

  it("permanent failure (400): the redemption is void, points and stock come back once, the member is told", { timeout: 60_000 }, async () => {
    const f = await connected();
    const member = await memberWith(f, 1000);
    const reward = await mkReward(f, { stockTotal: 1 });
    const g = await redeem(f, member, reward.id);
    expect(await f.balance(member)).toMatchObject({ available: 500 });
    fake.fail({ method: "POST", path: /^\/v1\/(coupons|promotion_codes)$/, status: 400, code: "parameter_invalid_integer", message: "Invalid amount" });
    expect(await syncRedemptionToStripe(f.merchantId, g.redemptionId, { lastAttempt: false })).toBe("voided");
    const r = await redemption(f, g.redemptionId);
    expect(r).toMatchObject({ status: "void", void_reason: expect.stringContaining("Invalid amount") });
    expect(r.refund_journal_id).toMatch(/^jnl_/);
    expect(await f.balance(member)).toMatchObject({ available: 1000 });
    expect((await f.tx((trx) => trx.selectFrom("rewards").select("stock_remaining").where("id", "=", reward.id).executeTakeFirstOrThrow())).stock_remaining).toBe(1);
    const told = await emails(f, "reward-voided");
    expect(told).toHaveLength(1);
    expect(told[0]!.text_body).toContain("500 points you spent are back");
    // Running again (a duplicate job) changes nothing.
    expect(await syncRedemptionToStripe(f.merchantId, g.redemptionId, { lastAttempt: true })).toBe("skipped");
    expect(await f.balance(member)).toMatchObject({ available: 1000 });
    expect(await f.reconcile()).toMatchObject({ mismatches: [] });
  });

  it("store credit becomes a customer balance credit (customer found or created once)", { timeout: 60_000 }, async () => {
    const f = await connected();
    const member = await memberWith(f, 2000);
    const reward = await mkReward(f, { name: "$10 credit", kind: "store_credit", discountMinor: 1000, codeValidDays: null });
    const a = await redeem(f, member, reward.id);
    const b = await redeem(f, member, reward.id);
    expect(a.code).toBeNull();
    expect(await syncRedemptionToStripe(f.merchantId, a.redemptionId, { lastAttempt: false })).toBe("issued");
    expect(await syncRedemptionToStripe(f.merchantId, b.redemptionId, { lastAttempt: false })).toBe("issued");
    const ra = await redemption(f, a.redemptionId);
    const rb = await redemption(f, b.redemptionId);
    expect(ra.stripe_customer_id).toMatch(/^cus_/);
    expect(rb.stripe_customer_id).toBe(ra.stripe_customer_id);
    const customer = fake.customers.find((c) => c.id === ra.stripe_customer_id);
    expect(customer.balance).toBe(-2000);
    expect(ra.stripe_balance_transaction_id).toMatch(/^cbtxn_/);
  });
});
