import { describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { adjustPoints, earnPoints, expireDueLots, forgiveClawback, lockBalance, spendPoints, syncOrderReversal } from "~/domain/points/ledger.server";
import { DEFAULT_EARNING_RULES, type EarningRules } from "~/domain/points/rules";
import { earningRulesToForm } from "~/web/forms/earning-rules";
import { getEarningRules, saveEarningRules } from "~/domain/points/rules.server";
import { monthlyPointsFlow, programStats } from "~/domain/points/stats.server";
import { newId } from "~/lib/ids";
import * as programs from "~/routes/admin.$merchant.programs";
import { testDb } from "../../support/db";
import { createMerchant, createStaff, getRequest, insertMembers, postRequest, thrownResponse } from "../../support/admin";

type Reply = { status?: string; error?: Record<string, string[] | null> };
type ActionOut = { result: Reply; saved: boolean };
const unwrap = (v: unknown): { status: number; body: ActionOut } =>
  v && typeof v === "object" && "init" in v
    ? { status: (v as { init?: { status?: number } }).init?.status ?? 200, body: (v as unknown as { data: ActionOut }).data }
    : { status: 200, body: v as ActionOut };

/** Nested form values → the field names Conform posts ("earning.pointsPerUnit", "campaigns[0].name"). */
function flatten(value: unknown, prefix = ""): Array<[string, string]> {
  if (Array.isArray(value)) return value.flatMap((v, i) => flatten(v, `${prefix}[${i}]`));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
  return value === undefined ? [] : [[prefix, String(value)]];
}

const RULES: EarningRules = {
  ...DEFAULT_EARNING_RULES,
  earning: { pointsPerUnit: 2, rounding: "nearest", minimumOrderMinor: 1000 },
  bonuses: { signup: 250, firstOrder: 500, birthday: 0, profileCompleted: 75 },
  customEvents: [{ key: "review_posted", label: "Review posted", points: 25 }],
  caps: { perDay: 1000, perMonth: null, lifetime: null },
  campaigns: [{ id: "dbl", name: "Double weekend", startsAt: "2026-07-04T04:00:00.000Z", endsAt: "2026-07-06T04:00:00.000Z", multiplierPercent: 200, appliesTo: "orders" }],
  pendingDays: 30,
  expiry: { mode: "inactivity", months: 24 },
  pointValue: { points: 1000, minor: 5 },
};

async function setup() {
  const m = await createMerchant({ timezone: "America/New_York" });
  const owner = await createStaff(m.id, "owner");
  const analyst = await createStaff(m.id, "analyst");
  const opts = { currency: "USD", timezone: "America/New_York" };
  const post = (cookie: string, fields: Array<[string, string]>) =>
    programs.action({ request: postRequest(`/admin/${m.slug}/programs`, cookie, fields), params: { merchant: m.slug }, context: {} });
  const load = (cookie: string) => programs.loader({ request: getRequest(`/admin/${m.slug}/programs`, cookie), params: { merchant: m.slug }, context: {} });
  const tenant = <T,>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(testDb(), m.id, fn);
  const audit = () =>
    tenant((trx) => trx.selectFrom("audit_log").selectAll().where("merchant_id", "=", m.id).where("action", "=", "earning_rules.updated").orderBy("created_at").execute());
  const stored = () => tenant((trx) => trx.selectFrom("earning_rules").selectAll().where("merchant_id", "=", m.id).executeTakeFirst());
  return { m, owner, analyst, opts, post, load, tenant, audit, stored };
}

describe("earning rules: storage and the program page's editor", () => {
  it("defaults until saved; the form saves, the loader reads back the same rules, and the change is audited", async () => {
    const { owner, analyst, opts, post, load, tenant, audit, stored } = await setup();
    const before = await load(analyst.cookie);
    expect(before.rules).toEqual(DEFAULT_EARNING_RULES);
    expect(before.role).toBe("analyst");

    const res = unwrap(await post(owner.cookie, flatten(earningRulesToForm(RULES, opts))));
    expect(res.status).toBe(200);
    expect(res.body.saved).toBe(true);
    expect(res.body.result.status).toBe("success");

    expect((await load(analyst.cookie)).rules).toEqual(RULES);
    const row = await stored();
    expect(row?.updated_by).toBe(owner.id);
    expect(row?.rules).toEqual(RULES);
    expect(await tenant((trx) => getEarningRules(trx, row!.merchant_id))).toEqual(RULES);

    const entries = await audit();
    expect(entries).toHaveLength(1);
    expect(entries[0]!.actor_id).toBe(owner.id);
    expect(entries[0]!.before).toEqual(DEFAULT_EARNING_RULES);
    expect(entries[0]!.after).toEqual(RULES);

    // Saving the same rules again changes nothing and audits nothing.
    const again = unwrap(await post(owner.cookie, flatten(earningRulesToForm(RULES, opts))));
    expect(again.body.saved).toBe(false);
    expect(await audit()).toHaveLength(1);

    // A second change records what it replaced.
    const next = { ...RULES, pendingDays: 0 };
    expect(unwrap(await post(owner.cookie, flatten(earningRulesToForm(next, opts)))).body.saved).toBe(true);
    const [, second] = await audit();
    expect(second!.before).toEqual(RULES);
    expect(second!.after).toEqual(next);
  });

  it("campaign times typed in the merchant's zone are stored as UTC instants", async () => {
    const { owner, opts, post, tenant, m } = await setup();
    const form = earningRulesToForm(DEFAULT_EARNING_RULES, opts);
    const fields = flatten({
      ...form,
      campaigns: [{ id: "", name: "July 4th", startsAt: "2026-07-04T00:00", endsAt: "2026-07-05T00:00", multiplierPercent: "300", appliesTo: "orders_and_events" }],
    });
    expect(unwrap(await post(owner.cookie, fields)).body.saved).toBe(true);
    const rules = await tenant((trx) => getEarningRules(trx, m.id));
    expect(rules.campaigns).toEqual([
      { id: "campaign-1", name: "July 4th", startsAt: "2026-07-04T04:00:00.000Z", endsAt: "2026-07-05T04:00:00.000Z", multiplierPercent: 300, appliesTo: "orders_and_events" },
    ]);
  });

  it("invalid input answers 400 with errors next to the fields and writes nothing", async () => {
    const { owner, opts, post, audit, stored } = await setup();
    const form = earningRulesToForm(RULES, opts);
    const bad = flatten({
      ...form,
      earning: { ...form.earning, pointsPerUnit: "-3", minimumOrder: "ten" },
      customEvents: [...form.customEvents, { key: "review_posted", label: "Again", points: "1.5" }],
      campaigns: [{ ...form.campaigns[0]!, endsAt: form.campaigns[0]!.startsAt }],
      pointValue: { points: "0", amount: "0.05" },
    });
    const res = unwrap(await post(owner.cookie, bad));
    expect(res.status).toBe(400);
    expect(res.body.saved).toBe(false);
    expect(res.body.result.error).toMatchObject({
      "earning.pointsPerUnit": ["Points per currency unit must be at least 0"],
      "earning.minimumOrder": ["Minimum order must be an amount like 5.00"],
      "customEvents[1].key": ['Event key "review_posted" is used twice'],
      "customEvents[1].points": ["Event points must be a whole number"],
      "campaigns[0].endsAt": ["Campaign end must be after its start"],
      "pointValue.points": ["Point value (points) must be at least 1"],
    });
    expect(await stored()).toBeUndefined();
    expect(await audit()).toHaveLength(0);

    // Junk and an empty body are refused the same way.
    expect(unwrap(await post(owner.cookie, [["earning.pointsPerUnit", "1e999"]])).status).toBe(400);
    expect(unwrap(await post(owner.cookie, [])).status).toBe(400);
    expect(await stored()).toBeUndefined();
  });

  it("analysts read the rules but cannot save them", async () => {
    const { analyst, opts, post, stored } = await setup();
    const res = await thrownResponse(() => post(analyst.cookie, flatten(earningRulesToForm(RULES, opts))));
    expect(res.status).toBe(403);
    expect(await stored()).toBeUndefined();
  });

  it("refuses to guess when the stored document is invalid", async () => {
    const { m, tenant } = await setup();
    await tenant((trx) => trx.insertInto("earning_rules").values({ merchant_id: m.id, rules: JSON.stringify({ version: 1, earning: { pointsPerUnit: -1 } }) }).execute());
    await expect(tenant((trx) => getEarningRules(trx, m.id))).rejects.toThrow(/Stored earning rules of merchant .* are invalid/);
  });

  it("saveEarningRules validates again in the domain", async () => {
    const { m, tenant, stored } = await setup();
    const actor: Actor = { type: "system", id: "test" };
    const bad = { ...RULES, pendingDays: 1.5 } as EarningRules;
    await expect(tenant((trx) => saveEarningRules(trx, m.id, bad, actor))).rejects.toThrow(/Pending days must be a whole number/);
    expect(await stored()).toBeUndefined();
  });
});

describe("program statistics from the ledger", () => {
  it("sums the accounts: issued, redeemed, expired, adjusted, outstanding, clawback, forgiven, liability, monthly flows", async () => {
    const { m, owner, analyst, opts, post, load, tenant } = await setup();
    const actor: Actor = { type: "system", id: "test" };
    const [a, b, c, d, e] = await insertMembers(m.id, ["a", "b", "c", "d", "e"].map((x) => ({ email: `${x}-${newId("member")}@example.com` })));
    const orderId = newId("order");
    const order = { id: orderId, member_id: c!, external_order_id: "1043", amount_minor: 2000, refunded_minor: 1000, dispute_status: "none" };
    const now = new Date();
    const threeMonthsAgo = new Date(now.getTime() - 92 * 86_400_000);
    let k = 0;
    const key = () => `test:${++k}`;

    await tenant(async (trx) => {
      await earnPoints(trx, m.id, { memberId: a!, points: 1000, source: "order", idempotencyKey: key(), description: "a", actor });
      await spendPoints(trx, m.id, { memberId: a!, points: 300, idempotencyKey: key(), description: "a spends", actor });
      await adjustPoints(trx, m.id, { memberId: a!, points: -50, reason: "goodwill correction", idempotencyKey: key(), actor });
      await earnPoints(trx, m.id, { memberId: b!, points: 500, source: "order", idempotencyKey: key(), description: "b", pendingUntil: new Date(now.getTime() + 14 * 86_400_000), actor });
      await earnPoints(trx, m.id, { memberId: d!, points: 100, source: "signup", idempotencyKey: key(), description: "d", expiresAt: new Date(now.getTime() - 1000), actor });
      expect(await expireDueLots(trx, m.id, d!)).toBe(100);
      await earnPoints(trx, m.id, { memberId: e!, points: 40, source: "import", idempotencyKey: key(), description: "e", earnedAt: threeMonthsAgo, actor });
      // C earns 200 on an order, spends them, then half the order is refunded: 100 points become a debt.
      await trx
        .insertInto("orders")
        .values({ merchant_id: m.id, id: orderId, member_id: c!, source: "api", external_order_id: "1043", amount_minor: 2000, currency: "USD", occurred_at: now })
        .execute();
      await earnPoints(trx, m.id, { memberId: c!, points: 200, source: "order", orderId, idempotencyKey: key(), description: "c", actor });
      await spendPoints(trx, m.id, { memberId: c!, points: 200, idempotencyKey: key(), description: "c spends", actor });
      await lockBalance(trx, m.id, c!);
      await syncOrderReversal(trx, m.id, order, "refund:r1", "refund", actor);
    });

    const stats = await tenant((trx) => programStats(trx, m.id));
    expect(stats).toEqual({
      issued: 1000 + 500 + 100 + 40 + 200 - 100,
      redeemed: 500,
      expired: 100,
      adjustedOut: 50,
      forgiven: 0,
      available: 650 + 40,
      pending: 500,
      outstanding: 1190,
      clawbackDebt: 100,
      members: 3,
      liabilityMinor: 1190, // defaults: 100 points = 100 minor
      currency: "USD",
    });
    // Every point issued is somewhere.
    expect(stats.issued).toBe(stats.outstanding + stats.redeemed + stats.expired + stats.adjustedOut + stats.forgiven - stats.clawbackDebt);

    await tenant((trx) => forgiveClawback(trx, m.id, { memberId: c!, idempotencyKey: key(), actor }));
    // A point value of 1000 points = 5 cents values the outstanding 1,190 points at 5 cents (rounded down).
    expect(unwrap(await post(owner.cookie, flatten(earningRulesToForm(RULES, opts)))).body.saved).toBe(true);
    const after = await tenant((trx) => programStats(trx, m.id));
    expect(after).toMatchObject({ forgiven: 100, clawbackDebt: 0, outstanding: 1190, liabilityMinor: 5 });

    const flow = await tenant((trx) => monthlyPointsFlow(trx, m.id, 12, { timezone: "America/New_York", at: now }));
    expect(flow).toHaveLength(12);
    const current = flow.at(-1)!;
    expect(current).toEqual({ month: current.month, issued: 1800, redeemed: 500, expired: 100 });
    const older = flow.filter((f) => f.issued === 40);
    expect(older).toHaveLength(1);
    expect(flow.reduce((s, f) => s + f.issued, 0)).toBe(1840);

    const page = await load(analyst.cookie);
    expect(page.stats).toEqual(after);
    expect(page.flow).toHaveLength(12);
  });

  it("an empty program is all zeros", async () => {
    const { m, tenant } = await setup();
    const stats = await tenant((trx) => programStats(trx, m.id));
    expect(stats).toEqual({
      issued: 0,
      redeemed: 0,
      expired: 0,
      adjustedOut: 0,
      forgiven: 0,
      available: 0,
      pending: 0,
      outstanding: 0,
      clawbackDebt: 0,
      members: 0,
      liabilityMinor: 0,
      currency: "USD",
    });
    const flow = await tenant((trx) => monthlyPointsFlow(trx, m.id, 3));
    expect(flow.map((f) => [f.issued, f.redeemed, f.expired])).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });
});
