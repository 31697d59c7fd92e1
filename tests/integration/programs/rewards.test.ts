import { sql } from "kysely";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { advanceClock, resetClock } from "~/lib/clock.server";
import type { ApiScope } from "~/domain/api-keys/scopes";
import { createExperiment, isHeldOutOfProgram } from "~/domain/experiments/assignment.server";
import { createReward, fulfilGift, liabilityByReward } from "~/domain/rewards/catalog.server";
import { grantReward } from "~/domain/rewards/grant.server";
import type { RewardInput } from "~/domain/rewards/schemas";
import { newId } from "~/lib/ids";
import { api, createKey, startRouteServer, type ApiResult } from "../../support/api";
import { ledgerFixture, SYSTEM, type LedgerFixture } from "../../support/ledger";

/**
 * Reward catalog and redemption through the API: every eligibility error, idempotent replay, grants without points,
 * points as money, the checkout code API (validate / use / release), tenancy, and stock / limit / balance under 50
 * parallel HTTP clients. Stripe-backed rewards are in rewards-stripe.test.ts.
 */

const ALL: ApiScope[] = ["orders:write", "points:write", "points:read", "rewards:read", "rewards:write"];

interface Fixture extends LedgerFixture {
  token: string;
}

async function fixture(): Promise<Fixture> {
  const f = await ledgerFixture({ bonuses: { signup: 0, firstOrder: 0, birthday: 0, profileCompleted: 0 } });
  const { token } = await createKey(f.merchantId, ALL);
  return { ...f, token };
}

const uuid = () => crypto.randomUUID();
const post = (f: { token: string }, path: string, body: unknown, key: string | null = uuid()): Promise<ApiResult> =>
  api("POST", path, { token: f.token, body, ...(key === null ? {} : { idempotencyKey: key }) });
const get = (f: { token: string }, path: string) => api("GET", path, { token: f.token });

async function memberWith(f: Fixture, points: number): Promise<string> {
  const id = await f.newMember();
  if (points > 0) {
    const r = await post(f, `/api/v1/members/${id}/points/adjust`, { points, reason: "starting balance" });
    expect(r.status, r.text).toBe(201);
  }
  return id;
}

async function reward(f: Fixture, over: Partial<RewardInput> = {}): Promise<string> {
  const r = await f.tx((trx) => createReward(trx, f.merchantId, { name: "$5 off", kind: "fixed_discount", pointsCost: 500, discountMinor: 500, ...over }, SYSTEM));
  return r.id;
}

const redeem = (f: Fixture, memberId: string, rewardId: string, key = uuid(), extra: Record<string, unknown> = {}) =>
  post(f, `/api/v1/members/${memberId}/redemptions`, { reward_id: rewardId, ...extra }, key);

const stockOf = (f: Fixture, rewardId: string) =>
  f.tx(async (trx) => (await trx.selectFrom("rewards").select("stock_remaining").where("id", "=", rewardId).executeTakeFirstOrThrow()).stock_remaining);

afterEach(() => resetClock());

describe("redeeming a reward", () => {
  it("spends the points through the ledger, takes stock, issues a unique readable code and e-mails it", async () => {
    const f = await fixture();
    const member = await memberWith(f, 1200);
    const rewardId = await reward(f, { stockTotal: 10, codeValidDays: 30 });
    const r = await redeem(f, member, rewardId);
    expect(r.status, r.text).toBe(201);
    expect(r.json).toMatchObject({ reward_id: rewardId, member_id: member, status: "issued", points_spent: 500, discount_minor: 500, kind: "fixed_discount", source: "redeem" });
    expect(r.json.code).toMatch(/^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$/);
    expect(new Date(r.json.expires_at).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(await f.balance(member)).toMatchObject({ available: 700 });
    expect(await stockOf(f, rewardId)).toBe(9);
    const journals = await f.tx((trx) => trx.selectFrom("ledger_journals").selectAll().where("member_id", "=", member).where("kind", "=", "spend").execute());
    expect(journals).toHaveLength(1);
    expect(journals[0]!.points).toBe(-500);
    const email = await f.tx((trx) => trx.selectFrom("email_outbox").selectAll().where("template", "=", "reward-issued").executeTakeFirstOrThrow());
    expect(email.text_body).toContain(r.json.code);
    const list = await get(f, `/api/v1/members/${member}/redemptions`);
    expect(list.status).toBe(200);
    expect(list.json.data).toHaveLength(1);
    expect(await f.reconcile()).toMatchObject({ mismatches: [] });
  });

  it("replays the same Idempotency-Key with the same answer and one debit; the key on another reward is a 409", async () => {
    const f = await fixture();
    const member = await memberWith(f, 2000);
    const rewardId = await reward(f);
    const key = uuid();
    const first = await redeem(f, member, rewardId, key);
    const again = await redeem(f, member, rewardId, key);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.json).toEqual(first.json);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await f.balance(member)).toMatchObject({ available: 1500 });
    const other = await reward(f, { name: "Other" });
    const conflict = await redeem(f, member, other, key);
    expect(conflict.status).toBe(409);
    expect(conflict.json.error.code).toBe("idempotency_conflict");
  });

  it("answers each eligibility error precisely and writes nothing", async () => {
    const f = await fixture();
    const rich = await memberWith(f, 5000);

    const poor = await memberWith(f, 100);
    const r1 = await redeem(f, poor, await reward(f));
    expect([r1.status, r1.json.error.code]).toEqual([409, "insufficient_points"]);

    const none = await reward(f, { stockTotal: 0 });
    const r2 = await redeem(f, rich, none);
    expect([r2.status, r2.json.error.code]).toEqual([409, "out_of_stock"]);

    const once = await reward(f, { limitCount: 1, limitPeriod: "day" });
    expect((await redeem(f, rich, once)).status).toBe(201);
    const r3 = await redeem(f, rich, once);
    expect([r3.status, r3.json.error.code]).toEqual([409, "limit_reached"]);

    const ended = await reward(f, { startsAt: new Date(Date.now() - 86_400_000 * 2), endsAt: new Date(Date.now() - 86_400_000) });
    const r4 = await redeem(f, rich, ended);
    expect([r4.status, r4.json.error.code]).toEqual([409, "inactive"]);

    // A tier restriction: the member holds no tier of that rank.
    const tierId = `tier_${uuid().slice(0, 8)}`;
    await f.tx((trx) => sql`insert into tiers (merchant_id, id, name, rank, threshold) values (${f.merchantId}, ${tierId}, 'Reserve', 3, 100000)`.execute(trx));
    const reserved = await reward(f, { minTierId: tierId });
    const r5 = await redeem(f, rich, reserved);
    expect([r5.status, r5.json.error.code]).toEqual([403, "not_eligible"]);

    const unknown = await redeem(f, rich, newId("reward"));
    expect([unknown.status, unknown.json.error.code]).toEqual([404, "not_found"]);

    // Only the one successful redemption debited anything.
    expect(await f.balance(rich)).toMatchObject({ available: 4500 });
    expect(await f.balance(poor)).toMatchObject({ available: 100 });
  });

  it("refuses members held out of the loyalty program (sticky random holdout) with not_eligible", async () => {
    const f = await fixture();
    await f.tx((trx) => createExperiment(trx, f.merchantId, { kind: "loyalty_program", name: "Loyalty holdout", holdoutBps: 5000 }));
    const rewardId = await reward(f);
    let heldOut: string | null = null;
    for (let i = 0; i < 40 && !heldOut; i++) {
      const m = await memberWith(f, 1000);
      if (await f.tx((trx) => isHeldOutOfProgram(trx, f.merchantId, "loyalty_program", m))) heldOut = m;
    }
    expect(heldOut).not.toBeNull();
    const r = await redeem(f, heldOut!, rewardId);
    expect([r.status, r.json.error.code]).toEqual([403, "not_eligible"]);
    expect(await f.balance(heldOut!)).toMatchObject({ available: 1000 });
  });

  it("grants without points (offers, gifts, referrals) still take stock and issue a code; gifts are fulfilled by staff", async () => {
    const f = await fixture();
    const member = await memberWith(f, 0);
    const rewardId = await reward(f, { stockTotal: 1 });
    const g = await f.tx((trx) =>
      grantReward(trx, f.merchantId, { memberId: member, rewardId, idempotencyKey: "offer:1", source: "offer", sourceId: "off_1", chargePoints: false, actor: SYSTEM }),
    );
    expect(g).toMatchObject({ status: "issued", pointsSpent: 0, replayed: false });
    expect(g.code).toMatch(/^[A-Z0-9]{4}-/);
    const again = await f.tx((trx) =>
      grantReward(trx, f.merchantId, { memberId: member, rewardId, idempotencyKey: "offer:1", source: "offer", chargePoints: false, actor: SYSTEM }),
    );
    expect(again).toMatchObject({ redemptionId: g.redemptionId, replayed: true });
    await expect(
      f.tx((trx) => grantReward(trx, f.merchantId, { memberId: member, rewardId, idempotencyKey: "offer:2", source: "offer", chargePoints: false, actor: SYSTEM })),
    ).rejects.toMatchObject({ code: "out_of_stock" });

    const giftId = await reward(f, { name: "Tote bag", kind: "gift", discountMinor: null });
    const gift = await f.tx((trx) =>
      grantReward(trx, f.merchantId, { memberId: member, rewardId: giftId, idempotencyKey: "gift:1", source: "gift", chargePoints: false, actor: SYSTEM }),
    );
    expect(gift).toMatchObject({ status: "issued", code: null });
    const done = await f.tx((trx) => fulfilGift(trx, f.merchantId, gift.redemptionId, { type: "staff", id: "stf_test" }));
    expect(done.status).toBe("fulfilled");
    await expect(f.tx((trx) => fulfilGift(trx, f.merchantId, gift.redemptionId, { type: "staff", id: "stf_test" }))).rejects.toMatchObject({ code: "conflict" });
    expect(await f.balance(member)).toMatchObject({ available: 0 });
  });

  it("points as money: spends a multiple of the step for a capped discount code", async () => {
    const f = await fixture();
    const member = await memberWith(f, 5000);
    const rewardId = await reward(f, { name: "Points as money", kind: "points_discount", pointsCost: 100, discountMinor: 100, maxDiscountMinor: 2000 });
    const r = await redeem(f, member, rewardId, uuid(), { points: 700, order_amount_minor: 4000 });
    expect(r.status, r.text).toBe(201);
    expect(r.json).toMatchObject({ points_spent: 700, discount_minor: 700 });
    expect(await f.balance(member)).toMatchObject({ available: 4300 });
    const over = await redeem(f, member, rewardId, uuid(), { points: 2100 });
    expect([over.status, over.json.error.code, over.json.error.field]).toEqual([422, "validation_failed", "points"]);
    const odd = await redeem(f, member, rewardId, uuid(), { points: 150 });
    expect([odd.status, odd.json.error.field]).toEqual([422, "points"]);
    const v = await post(f, "/api/v1/codes/validate", { code: r.json.code, order_amount_minor: 4000 }, null);
    expect(v.json.discount_minor).toBe(700);
    expect(await f.balance(member)).toMatchObject({ available: 4300 });
  });
});

describe("checkout codes", () => {
  it("validates for an order, is used once per order (idempotent), released on cancellation, and refuses wrong member, minimum and expiry", async () => {
    const f = await fixture();
    const member = await memberWith(f, 5000);
    const other = await memberWith(f, 0);
    const pct = await reward(f, { name: "15% off", kind: "percent_discount", discountMinor: null, percentOff: 15, minOrderMinor: 3000, codeValidDays: 7 });
    const r = await redeem(f, member, pct);
    const code: string = r.json.code;

    const ok = await post(f, "/api/v1/codes/validate", { code: code.toLowerCase().replace(/-/g, " "), order_amount_minor: 5000, member_id: member }, null);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toMatchObject({ code, discount_minor: 750, status: "issued", kind: "percent_discount" });

    const low = await post(f, "/api/v1/codes/validate", { code, order_amount_minor: 2999 }, null);
    expect([low.status, low.json.error.code]).toEqual([422, "below_minimum"]);
    const wrong = await post(f, "/api/v1/codes/validate", { code, order_amount_minor: 5000, member_id: other }, null);
    expect([wrong.status, wrong.json.error.code]).toEqual([403, "wrong_member"]);
    const unknown = await post(f, "/api/v1/codes/validate", { code: "AAAA-BBBB-CCCC", order_amount_minor: 5000 }, null);
    expect([unknown.status, unknown.json.error.code]).toEqual([404, "not_found"]);

    const use1 = await post(f, "/api/v1/codes/use", { code, order_id: "order-1", order_amount_minor: 5000 });
    const use2 = await post(f, "/api/v1/codes/use", { code, order_id: "order-1", order_amount_minor: 5000 });
    expect(use1.status, use1.text).toBe(200);
    expect(use2.status).toBe(200);
    expect(use2.json).toMatchObject({ status: "used", used_order_id: "order-1" });
    const taken = await post(f, "/api/v1/codes/use", { code, order_id: "order-2", order_amount_minor: 5000 });
    expect([taken.status, taken.json.error.code]).toEqual([409, "used"]);
    const used = await post(f, "/api/v1/codes/validate", { code, order_amount_minor: 5000 }, null);
    expect(used.json.error.code).toBe("used");

    const badRelease = await post(f, "/api/v1/codes/release", { code, order_id: "order-2" });
    expect(badRelease.status).toBe(409);
    const rel = await post(f, "/api/v1/codes/release", { code, order_id: "order-1" });
    expect(rel.status, rel.text).toBe(200);
    expect(rel.json).toEqual({ code, status: "issued", released: true });
    const relAgain = await post(f, "/api/v1/codes/release", { code, order_id: "order-1" });
    expect(relAgain.json.released).toBe(false);
    expect((await post(f, "/api/v1/codes/use", { code, order_id: "order-2", order_amount_minor: 5000 })).status).toBe(200);

    const fresh = await redeem(f, member, pct);
    advanceClock(8 * 86_400_000);
    const expired = await post(f, "/api/v1/codes/validate", { code: fresh.json.code, order_amount_minor: 5000 }, null);
    expect([expired.status, expired.json.error.code]).toEqual([410, "expired"]);
  });

  it("a code used on a refunded order stays used and its points are not returned (spends are final in the ledger)", async () => {
    const f = await fixture();
    const member = await memberWith(f, 1000);
    const r = await redeem(f, member, await reward(f));
    const order = await post(f, "/api/v1/orders", { order_id: "o-refund", member: { id: member }, amount_minor: 2000, currency: "USD", occurred_at: new Date(Date.now() - 60_000).toISOString() });
    expect(order.status, order.text).toBe(201);
    expect((await post(f, "/api/v1/codes/use", { code: r.json.code, order_id: "o-refund", order_amount_minor: 2000 })).status).toBe(200);
    const before = await f.balance(member);
    const refund = await post(f, "/api/v1/refunds", { refund_id: "rf-1", order_id: "o-refund", amount_minor: 2000 });
    expect(refund.status, refund.text).toBe(201);
    const after = await f.balance(member);
    // Only what the order earned is reversed; the 500 points spent on the code stay spent.
    expect(before.available - after.available).toBe(order.json.points_earned);
    const v = await post(f, "/api/v1/codes/validate", { code: r.json.code, order_amount_minor: 2000 }, null);
    expect(v.json.error.code).toBe("used");
  });
});

describe("tenancy", () => {
  it("another merchant's rewards, members and codes are 404s", async () => {
    const a = await fixture();
    const b = await fixture();
    const memberA = await memberWith(a, 1000);
    const memberB = await memberWith(b, 1000);
    const rewardA = await reward(a);
    const issued = await redeem(a, memberA, rewardA);
    expect((await get(b, `/api/v1/rewards/${rewardA}`)).status).toBe(404);
    expect((await redeem(b, memberB, rewardA)).json.error.code).toBe("not_found");
    expect((await redeem(b, memberA, await reward(b))).status).toBe(404);
    expect((await get(b, `/api/v1/members/${memberA}/redemptions`)).status).toBe(404);
    expect((await post(b, "/api/v1/codes/validate", { code: issued.json.code, order_amount_minor: 1000 }, null)).status).toBe(404);
    expect((await post(b, "/api/v1/codes/use", { code: issued.json.code, order_id: "x", order_amount_minor: 1000 })).status).toBe(404);
    expect((await get(b, "/api/v1/rewards")).json.data.map((x: { id: string }) => x.id)).not.toContain(rewardA);
    expect(await a.balance(memberA)).toMatchObject({ available: 500 });
  });

  it("scopes: rewards endpoints need rewards:read / rewards:write", async () => {
    const f = await fixture();
    const { token } = await createKey(f.merchantId, ["points:read"]);
    const r = await api("GET", "/api/v1/rewards", { token });
    expect([r.status, r.json.error.code]).toEqual([403, "insufficient_scope"]);
    const w = await api("POST", "/api/v1/codes/use", { token, body: { code: "AAAA-BBBB-CCCC", order_id: "x", order_amount_minor: 1 }, idempotencyKey: uuid() });
    expect(w.status).toBe(403);
  });

  it("the liability report counts outstanding codes at the point value", async () => {
    const f = await fixture();
    const member = await memberWith(f, 2000);
    const rewardId = await reward(f, { stockTotal: 5 });
    await redeem(f, member, rewardId);
    await redeem(f, member, rewardId);
    const rows = await f.tx((trx) => liabilityByReward(trx, f.merchantId));
    const row = rows.find((x) => x.rewardId === rewardId)!;
    expect(row).toMatchObject({ redeemed: 2, outstanding: 2, outstandingPoints: 1000, stockRemaining: 3, stockTotal: 5 });
    expect(row.outstandingValueMinor).toBeGreaterThan(0);
  });
});

describe("concurrency through HTTP (50 parallel clients)", () => {
  let server: Awaited<ReturnType<typeof startRouteServer>>;
  beforeAll(async () => {
    server = await startRouteServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  async function http(f: Fixture, path: string, body: unknown, key: string) {
    const res = await fetch(`${server.baseUrl}${path}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${f.token}`, "Content-Type": "application/json", "Idempotency-Key": key },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, text, json: JSON.parse(text) };
  }

  it("the last unit goes once: 50 members race for it → one 201, 49 out_of_stock, one debit", { timeout: 120_000 }, async () => {
    const f = await fixture();
    const rewardId = await reward(f, { stockTotal: 1 });
    const members = await Promise.all(Array.from({ length: 50 }, () => memberWith(f, 500)));
    const results = await Promise.all(members.map((m) => http(f, `/api/v1/members/${m}/redemptions`, { reward_id: rewardId }, uuid())));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.json.error.code === "out_of_stock")).toHaveLength(49);
    expect(await stockOf(f, rewardId)).toBe(0);
    const balances = await Promise.all(members.map((m) => f.balance(m)));
    expect(balances.filter((b) => b.available === 0)).toHaveLength(1);
    expect(balances.filter((b) => b.available === 500)).toHaveLength(49);
    expect(await f.reconcile()).toMatchObject({ mismatches: [] });
  });

  it("one member, 50 parallel tries at the last unit → one 201, the rest out_of_stock, balance debited once", { timeout: 120_000 }, async () => {
    const f = await fixture();
    const member = await memberWith(f, 100_000);
    const rewardId = await reward(f, { stockTotal: 1 });
    const results = await Promise.all(Array.from({ length: 50 }, () => http(f, `/api/v1/members/${member}/redemptions`, { reward_id: rewardId }, uuid())));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.json.error?.code === "out_of_stock")).toHaveLength(49);
    expect(await f.balance(member)).toMatchObject({ available: 99_500 });
  });

  it("per-member limit under 50 parallel tries (unlimited stock) → exactly the limit succeeds", { timeout: 120_000 }, async () => {
    const f = await fixture();
    const member = await memberWith(f, 100_000);
    const rewardId = await reward(f, { limitCount: 2, limitPeriod: "month" });
    const results = await Promise.all(Array.from({ length: 50 }, () => http(f, `/api/v1/members/${member}/redemptions`, { reward_id: rewardId }, uuid())));
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    expect(results.filter((r) => r.json.error?.code === "limit_reached")).toHaveLength(48);
    expect(await f.balance(member)).toMatchObject({ available: 99_000 });
  });

  it("balance under 50 parallel redemptions: a balance for 3 redeems exactly 3", { timeout: 120_000 }, async () => {
    const f = await fixture();
    const member = await memberWith(f, 1500);
    const rewardId = await reward(f);
    const results = await Promise.all(Array.from({ length: 50 }, () => http(f, `/api/v1/members/${member}/redemptions`, { reward_id: rewardId }, uuid())));
    expect(results.filter((r) => r.status === 201)).toHaveLength(3);
    expect(results.filter((r) => r.json.error?.code === "insufficient_points")).toHaveLength(47);
    expect(await f.balance(member)).toMatchObject({ available: 0 });
    expect(await f.reconcile()).toMatchObject({ mismatches: [] });
  });
});

describe("catalog API", () => {
  it("creates a reward and names a wrong field in the API's own spelling", async () => {
    const f = await fixture();
    const ok = await post(f, "/api/v1/rewards", { name: "$3 off", kind: "fixed_discount", points_cost: 300, discount_minor: 300, stock_total: 5, limit_count: 1, limit_period: "week" });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.json).toMatchObject({ id: expect.stringMatching(/^rwd_/), stock_total: 5, stock_remaining: 5, limit_period: "week", status: "active" });
    expect((await get(f, `/api/v1/rewards/${ok.json.id}`)).json.name).toBe("$3 off");
    const bad = await post(f, "/api/v1/rewards", { name: "Percent", kind: "percent_discount", points_cost: 300 });
    expect([bad.status, bad.json.error.code, bad.json.error.field]).toEqual([422, "validation_failed", "percent_off"]);
    const unknown = await post(f, "/api/v1/rewards", { name: "x", kind: "gift", points_cost: 1, colour: "red" });
    expect(unknown.status).toBe(422);
  });
});
