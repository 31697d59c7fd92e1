import { runOnce } from "graphile-worker";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { advanceClock, resetClock } from "~/lib/clock.server";
import { withTenant } from "~/db.server";
import { createExperiment } from "~/domain/experiments/assignment.server";
import { awardBirthdayBonus, earnForEvent } from "~/domain/flows/earning.server";
import { adjustPoints } from "~/domain/points/ledger.server";
import { recordPurchase, recordRefund } from "~/domain/flows/purchase.server";
import { saveTierProgram } from "~/domain/tiers/definitions.server";
import type { TierProgramInput } from "~/domain/tiers/types";
import { runNightlyTiers, runTierReevaluation } from "~/domain/tiers/jobs.server";
import type { TierSettings } from "~/domain/tiers/model";
import { getMemberTier, memberTierHistory, memberTierView, pinMemberTier, unpinMemberTier } from "~/domain/tiers/tiers.server";
import { tiersTasks } from "~/jobs/tasks/tiers";
import { jobsLogger } from "~/jobs/worker.server";
import { newId } from "~/lib/ids";
import { ownerUrl, testDb } from "../../support/db";
import { ledgerFixture, SYSTEM, type LedgerFixture } from "../../support/ledger";

/**
 * Tier boundaries against the real ledger and orders: thresholds, period ends, grace, refunds, pins, time zones,
 * the nightly job's idempotency, the earning multiplier, the loyalty holdout and tenancy. The clock is faked so the
 * order paths (which evaluate "now") and the jobs agree on the date.
 */

afterEach(() => resetClock());
const setNow = (iso: string) => {
  resetClock();
  advanceClock(new Date(iso).getTime() - Date.now());
};
const STAFF = { type: "staff" as const, id: "stf_test" };

const LADDER = [
  { name: "Bean", threshold: 10_000, earningPercent: 100 },
  { name: "Roast", threshold: 50_000, earningPercent: 150 },
  { name: "Reserve", threshold: 100_000, earningPercent: 200 },
];

async function withProgram(settings: Partial<TierSettings> = {}, opts: { timezone?: string; tiers?: typeof LADDER; birthday?: number } = {}) {
  const f = await ledgerFixture({}, { timezone: opts.timezone ?? "UTC" });
  const input: TierProgramInput = {
    settings: { basis: "spend", window: "calendar_year", graceDays: 0, downgrade: "one_step", ...settings },
    tiers: (opts.tiers ?? LADDER).map((t) => ({ id: null, exclusiveAccess: false, birthdayBonus: opts.birthday ?? 0, perks: "", ...t })),
  };
  const saved = await f.tx((trx) => saveTierProgram(trx, f.merchantId, input, STAFF, new Date()));
  await runTierReevaluation(f.merchantId, saved.jobId!);
  return f;
}

let orderNo = 0;
async function order(f: LedgerFixture, memberId: string, amountMinor: number, occurredAt: string) {
  setNow(occurredAt);
  orderNo += 1;
  return f.tx((trx) =>
    recordPurchase(
      trx,
      f.merchantId,
      {
        memberId,
        externalOrderId: `t-${orderNo}-${newId("order").slice(-6)}`,
        amountMinor,
        currency: "USD",
        occurredAt: new Date(occurredAt),
        awardPoints: true,
      },
      { channel: "api", actor: SYSTEM },
    ),
  );
}

const tierOf = async (f: LedgerFixture, memberId: string) => (await f.tx((trx) => getMemberTier(trx, f.merchantId, memberId)))?.name ?? null;
const nightly = (f: LedgerFixture, iso: string) => runNightlyTiers(new Date(iso), { merchantIds: [f.merchantId] });
const history = (f: LedgerFixture, memberId: string) => f.tx((trx) => memberTierHistory(trx, f.merchantId, memberId));
const emails = (f: LedgerFixture, template: string) =>
  f.tx((trx) => trx.selectFrom("email_outbox").select(["to_address", "subject"]).where("merchant_id", "=", f.merchantId).where("template", "=", template).execute());

describe("tier thresholds", () => {
  it("upgrades at exactly the threshold, not one below, the moment the order is recorded", async () => {
    const f = await withProgram();
    const m = await f.newMember();
    await order(f, m, 9_999, "2026-03-01T10:00:00Z");
    expect(await tierOf(f, m)).toBeNull();
    await order(f, m, 1, "2026-03-01T11:00:00Z");
    expect(await tierOf(f, m)).toBe("Bean");
    await order(f, m, 39_999, "2026-03-02T10:00:00Z");
    expect(await tierOf(f, m)).toBe("Bean");
    await order(f, m, 1, "2026-03-02T11:00:00Z");
    expect(await tierOf(f, m)).toBe("Roast");
    // Skipping a tier goes straight to the highest one reached.
    const n = await f.newMember();
    await order(f, n, 100_000, "2026-03-03T10:00:00Z");
    expect(await tierOf(f, n)).toBe("Reserve");
    expect((await history(f, n)).map((h) => [h.reason, h.fromName, h.toName])).toEqual([["upgrade", null, "Reserve"]]);
    const reached = await emails(f, "tier-reached");
    expect(reached.filter((e) => e.subject.includes("Reserve"))).toHaveLength(1);
  });

  it("counts points earned (earn journals net of reversals), never adjustments or the spendable balance", async () => {
    const f = await withProgram({ basis: "points" }, { tiers: [{ name: "Bean", threshold: 300, earningPercent: 100 }, { name: "Roast", threshold: 1_000, earningPercent: 100 }] });
    const m = await f.newMember();
    setNow("2026-04-01T10:00:00Z");
    await f.tx((trx) => adjustPoints(trx, f.merchantId, { memberId: m, points: 5_000, reason: "goodwill", idempotencyKey: `adj-${m}`, actor: STAFF }));
    expect(await tierOf(f, m)).toBeNull();
    await order(f, m, 29_900, "2026-04-02T10:00:00Z"); // 299 points
    expect(await tierOf(f, m)).toBeNull();
    await order(f, m, 100, "2026-04-02T11:00:00Z"); // 300
    expect(await tierOf(f, m)).toBe("Bean");
    const big = await order(f, m, 70_000, "2026-04-03T10:00:00Z"); // 1,000
    expect(await tierOf(f, m)).toBe("Roast");
    // A refund reverses points: the figure drops (shown in the portal), the tier stays until the period ends.
    await f.tx((trx) => recordRefund(trx, f.merchantId, { orderId: big.order.id, externalRefundId: "r1", amountMinor: 100, actor: SYSTEM }));
    const view = await f.tx((trx) => memberTierView(trx, f.merchantId, m, new Date("2026-04-04T00:00:00Z")));
    expect(view.figure).toBe(999);
    expect(view.tier?.name).toBe("Roast");
    expect(view.atRisk?.downgradeAt).toBe("2027-01-01T00:00:00.000Z");
  });
});

describe("multiplier and birthday benefits", () => {
  it("applies the tier's earning percent to orders after the upgrade (not to the order that crossed it)", async () => {
    const f = await withProgram();
    const m = await f.newMember();
    const crossing = await order(f, m, 50_000, "2026-05-01T10:00:00Z");
    expect(crossing.points).toBe(500);
    expect(await tierOf(f, m)).toBe("Roast");
    const next = await order(f, m, 1_000, "2026-05-02T10:00:00Z");
    expect(next.points).toBe(15); // 10 points × 150%
    setNow("2026-05-03T10:00:00Z");
    const fresh = await f.newMember();
    const plain = await order(f, fresh, 1_000, "2026-05-03T10:00:00Z");
    expect(plain.points).toBe(10);
  });

  it("adds the tier's birthday bonus to the program's base bonus", async () => {
    const f = await withProgram({}, { birthday: 250 });
    const m = await f.newMember({ birthday: "1990-06-10" });
    await order(f, m, 10_000, "2026-06-01T10:00:00Z");
    expect(await tierOf(f, m)).toBe("Bean");
    const out = await f.tx((trx) => awardBirthdayBonus(trx, f.merchantId, { id: m, birthday: "1990-06-10" }, new Date("2026-06-10T12:00:00Z")));
    expect(out?.points).toBe(100 + 250);
  });
});

describe("period end, grace and refunds", () => {
  it("keeps a calendar-year tier through the next year, then drops one tier at a time on 1 January", async () => {
    const f = await withProgram();
    const m = await f.newMember();
    await order(f, m, 100_000, "2026-03-01T10:00:00Z");
    expect(await tierOf(f, m)).toBe("Reserve");
    await nightly(f, "2026-12-31T23:30:00Z");
    await nightly(f, "2027-06-01T00:30:00Z");
    expect(await tierOf(f, m)).toBe("Reserve");
    // 30 days before the downgrade: one "at risk" e-mail, however many runs see it.
    await nightly(f, "2027-12-01T00:30:00Z");
    expect(await emails(f, "tier-at-risk")).toHaveLength(0);
    await nightly(f, "2027-12-02T00:30:00Z");
    await nightly(f, "2027-12-03T00:30:00Z");
    const risk = await emails(f, "tier-at-risk");
    expect(risk).toHaveLength(1);
    expect(risk[0]!.subject).toBe(`Keep your Reserve status at Ledger ${(await slugOf(f))}`);
    await nightly(f, "2027-12-31T23:59:00Z");
    expect(await tierOf(f, m)).toBe("Reserve");
    await nightly(f, "2028-01-01T00:00:00Z");
    expect(await tierOf(f, m)).toBe("Roast");
    // The next step waits for the end of the following period.
    await nightly(f, "2028-06-01T00:00:00Z");
    expect(await tierOf(f, m)).toBe("Roast");
    await nightly(f, "2029-01-01T00:30:00Z");
    expect(await tierOf(f, m)).toBe("Bean");
    expect((await history(f, m)).map((h) => `${h.reason}:${h.fromName}->${h.toName}`)).toEqual([
      "downgrade:Roast->Bean",
      "downgrade:Reserve->Roast",
      "upgrade:null->Reserve",
    ]);
  });

  it("to_qualified drops straight to what last year's figure reaches; re-qualifying keeps the tier another year", async () => {
    const f = await withProgram({ downgrade: "to_qualified" });
    const a = await f.newMember();
    const b = await f.newMember();
    await order(f, a, 100_000, "2026-03-01T10:00:00Z");
    await order(f, b, 100_000, "2026-03-01T10:00:00Z");
    await order(f, a, 10_000, "2027-02-01T10:00:00Z"); // 2027: Bean level
    await order(f, b, 100_000, "2027-02-01T10:00:00Z"); // 2027: Reserve again
    await nightly(f, "2028-01-01T00:30:00Z");
    expect(await tierOf(f, a)).toBe("Bean");
    expect(await tierOf(f, b)).toBe("Reserve");
    await nightly(f, "2029-01-01T00:30:00Z");
    expect(await tierOf(f, a)).toBeNull();
    expect(await tierOf(f, b)).toBeNull();
  });

  it("waits out the grace days after the period end", async () => {
    const f = await withProgram({ graceDays: 14 });
    const m = await f.newMember();
    await order(f, m, 50_000, "2026-03-01T10:00:00Z");
    await nightly(f, "2028-01-01T00:30:00Z");
    await nightly(f, "2028-01-14T23:59:00Z");
    expect(await tierOf(f, m)).toBe("Roast");
    await nightly(f, "2028-01-15T00:00:00Z");
    expect(await tierOf(f, m)).toBe("Bean");
  });

  it("a refund that pulls the figure below the threshold never downgrades at once; the tier ends with the year", async () => {
    const f = await withProgram();
    const m = await f.newMember();
    const o = await order(f, m, 50_000, "2026-01-10T10:00:00Z");
    expect(await tierOf(f, m)).toBe("Roast");
    setNow("2026-02-01T10:00:00Z");
    await f.tx((trx) => recordRefund(trx, f.merchantId, { orderId: o.order.id, externalRefundId: "r1", amountMinor: 1_000, actor: SYSTEM }));
    expect(await tierOf(f, m)).toBe("Roast");
    await nightly(f, "2026-06-01T00:30:00Z");
    expect(await tierOf(f, m)).toBe("Roast");
    await nightly(f, "2026-12-31T23:00:00Z");
    expect(await tierOf(f, m)).toBe("Roast");
    await nightly(f, "2027-01-01T00:30:00Z");
    // 2026's net spend (490.00) still reaches Bean, which is kept through 2027.
    expect(await tierOf(f, m)).toBe("Bean");
    await nightly(f, "2027-12-31T00:30:00Z");
    expect(await tierOf(f, m)).toBe("Bean");
  });

  it("rolling 12 months: a tier is kept 12 months after the member last qualified", async () => {
    const f = await withProgram({ window: "rolling_12m" });
    const m = await f.newMember();
    await order(f, m, 50_000, "2026-03-15T10:00:00Z");
    await nightly(f, "2026-09-01T00:00:00Z");
    // The order leaves the window on 2027-03-15; the tier stays 12 months after the last night it still counted.
    await nightly(f, "2027-03-15T09:00:00Z");
    await nightly(f, "2027-03-16T09:00:00Z");
    expect(await tierOf(f, m)).toBe("Roast");
    await nightly(f, "2028-03-15T08:59:00Z");
    expect(await tierOf(f, m)).toBe("Roast");
    await nightly(f, "2028-03-15T09:00:00Z");
    expect(await tierOf(f, m)).toBe("Bean");
  });
});

describe("time zones", () => {
  it("turns the calendar year at midnight in the merchant's zone, not UTC", async () => {
    const f = await withProgram({}, { timezone: "Pacific/Auckland" });
    const m = await f.newMember();
    // 2025-12-31T10:59Z is 23:59 on 31 December 2025 in Auckland (UTC+13): it counts for 2025.
    await order(f, m, 50_000, "2025-12-31T10:59:00Z");
    expect(await tierOf(f, m)).toBe("Roast");
    // Kept through 2026 (local), so it ends at 2027-01-01T00:00 NZDT = 2026-12-31T11:00Z.
    await nightly(f, "2026-12-31T10:59:00Z");
    expect(await tierOf(f, m)).toBe("Roast");
    await nightly(f, "2026-12-31T11:00:00Z");
    expect(await tierOf(f, m)).toBe("Bean");

    // An order at 11:00Z on 31 December is already 1 January locally: it counts for the new year.
    const n = await f.newMember();
    await order(f, n, 10_000, "2026-12-31T11:00:00Z");
    const view = await f.tx((trx) => memberTierView(trx, f.merchantId, n, new Date("2026-12-31T12:00:00Z")));
    expect(view.figure).toBe(10_000);
    expect(view.progress?.by).toBe("2027-12-31T11:00:00.000Z");
    const before = await f.tx((trx) => memberTierView(trx, f.merchantId, n, new Date("2026-12-31T10:59:59Z")));
    expect(before.figure).toBe(0);
  });
});

describe("pins", () => {
  it("holds a member at the pinned tier (never below it) until the pin ends, audited with the reason", async () => {
    const f = await withProgram();
    const m = await f.newMember();
    setNow("2026-02-01T10:00:00Z");
    await f.tx(async (trx) => pinMemberTier(trx, f.merchantId, m, { tierId: (await tierId(f, "Reserve"))!, until: new Date("2026-08-01T00:00:00Z"), reason: "Press visit" }, STAFF, new Date("2026-02-01T10:00:00Z")));
    expect(await tierOf(f, m)).toBe("Reserve");
    await order(f, m, 50_000, "2026-03-01T10:00:00Z");
    expect(await tierOf(f, m)).toBe("Reserve");
    await nightly(f, "2026-07-31T23:59:00Z");
    expect(await tierOf(f, m)).toBe("Reserve");
    await nightly(f, "2026-08-01T00:00:00Z");
    expect(await tierOf(f, m)).toBe("Roast");
    const h = await history(f, m);
    expect(h.map((e) => `${e.reason}:${e.fromName}->${e.toName}`)).toEqual(["unpin:Reserve->Roast", "pin:null->Reserve"]);
    expect(h[1]!.note).toBe("Press visit");
    const audit = await f.tx((trx) => trx.selectFrom("audit_log").select(["action", "actor_id"]).where("merchant_id", "=", f.merchantId).where("action", "like", "tier.%").execute());
    expect(audit).toEqual([{ action: "tier.pin", actor_id: "stf_test" }]);
  });

  it("lets a member rise above a pin, and staff can end a pin early", async () => {
    const f = await withProgram();
    const m = await f.newMember();
    setNow("2026-02-01T10:00:00Z");
    await f.tx(async (trx) => pinMemberTier(trx, f.merchantId, m, { tierId: (await tierId(f, "Bean"))!, until: new Date("2027-01-01T00:00:00Z"), reason: "Apology" }, STAFF, new Date()));
    await order(f, m, 100_000, "2026-03-01T10:00:00Z");
    expect(await tierOf(f, m)).toBe("Reserve");
    const n = await f.newMember();
    await f.tx(async (trx) => pinMemberTier(trx, f.merchantId, n, { tierId: (await tierId(f, "Roast"))!, until: new Date("2027-01-01T00:00:00Z"), reason: "VIP" }, STAFF, new Date()));
    await f.tx((trx) => unpinMemberTier(trx, f.merchantId, n, STAFF, new Date("2026-03-02T00:00:00Z")));
    expect(await tierOf(f, n)).toBeNull();
    await expect(
      f.tx(async (trx) => pinMemberTier(trx, f.merchantId, n, { tierId: (await tierId(f, "Roast"))!, until: new Date("2020-01-01T00:00:00Z"), reason: "x" }, STAFF, new Date())),
    ).rejects.toMatchObject({ code: "validation_failed", field: "until" });
  });
});

describe("jobs", () => {
  it("the nightly run is idempotent, also when two runs overlap", async () => {
    const f = await withProgram();
    const members = await Promise.all([f.newMember(), f.newMember(), f.newMember()]);
    for (const m of members) await order(f, m, 100_000, "2026-03-01T10:00:00Z");
    const [a, b] = await Promise.all([nightly(f, "2028-01-01T00:30:00Z"), nightly(f, "2028-01-01T00:30:00Z")]);
    expect(a.changed + b.changed).toBe(3);
    const again = await nightly(f, "2028-01-01T00:30:00Z");
    expect(again.changed).toBe(0);
    for (const m of members) {
      expect(await tierOf(f, m)).toBe("Roast");
      expect((await history(f, m)).filter((h) => h.reason === "downgrade")).toHaveLength(1);
    }
    expect(await emails(f, "tier-at-risk")).toHaveLength(0);
  });

  it("parallel orders crossing a threshold upgrade once: one history row, one e-mail", async () => {
    const f = await withProgram();
    const m = await f.newMember();
    setNow("2026-03-01T10:00:00Z");
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        f.tx((trx) =>
          recordPurchase(
            trx,
            f.merchantId,
            {
              memberId: m,
              externalOrderId: `par-${i}`,
              amountMinor: 5_000,
              currency: "USD",
              occurredAt: new Date("2026-03-01T09:00:00Z"),
              awardPoints: true,
            },
            { channel: "api", actor: SYSTEM },
          ),
        ),
      ),
    );
    expect(await tierOf(f, m)).toBe("Roast");
    const h = await history(f, m);
    expect(h.map((e) => `${e.reason}:${e.fromName}->${e.toName}`)).toEqual(["upgrade:Bean->Roast", "upgrade:null->Bean"]);
    expect((await emails(f, "tier-reached")).map((e) => e.subject.split(" ")[2]).sort()).toEqual(["Bean", "Roast"]);
  });

  it("a definition change re-evaluates everyone in the background with progress", async () => {
    const f = await withProgram();
    const m = await f.newMember();
    await order(f, m, 40_000, "2026-03-01T10:00:00Z");
    expect(await tierOf(f, m)).toBe("Bean");
    setNow("2026-03-02T10:00:00Z");
    const current = await f.tx((trx) => trx.selectFrom("tiers").selectAll().where("merchant_id", "=", f.merchantId).orderBy("rank").execute());
    const input: TierProgramInput = {
      settings: { basis: "spend", window: "calendar_year", graceDays: 0, downgrade: "one_step" },
      tiers: current.map((t) => ({
        id: t.id,
        name: t.name,
        threshold: t.name === "Roast" ? 40_000 : Number(t.threshold),
        earningPercent: t.earning_percent,
        exclusiveAccess: false,
        birthdayBonus: 0,
        perks: "",
      })),
    };
    const saved = await f.tx((trx) => saveTierProgram(trx, f.merchantId, input, STAFF, new Date()));
    expect(saved.changed).toBe(true);
    const queued = await f.tx((trx) => trx.selectFrom("tier_jobs").selectAll().where("id", "=", saved.jobId!).executeTakeFirstOrThrow());
    expect(queued.status).toBe("queued");
    // The worker's queue, with only the tier tasks: graphile-worker picks the job up and runs it.
    await runOnce({ connectionString: ownerUrl, taskList: tiersTasks(), logger: jobsLogger });
    const done = await f.tx((trx) => trx.selectFrom("tier_jobs").selectAll().where("id", "=", saved.jobId!).executeTakeFirstOrThrow());
    expect(done).toMatchObject({ status: "done", total: 1, done: 1, changed: 1 });
    expect(await tierOf(f, m)).toBe("Roast");
    expect((await history(f, m))[0]!.reason).toBe("definition_change");
    // Saving the same program again changes nothing and queues nothing.
    expect(await f.tx((trx) => saveTierProgram(trx, f.merchantId, { ...input, tiers: input.tiers.map((t, i) => (i === 1 ? { ...t, threshold: 40_000 } : t)) }, STAFF, new Date()))).toEqual({
      changed: false,
      jobId: null,
    });
  });
});

describe("holdout and tenancy", () => {
  it("members held out of the loyalty program get no tier, and cannot be pinned", async () => {
    const f = await withProgram();
    const m = await f.newMember();
    const exp = await f.tx((trx) => createExperiment(trx, f.merchantId, { kind: "loyalty_program", name: "Loyalty holdout", holdoutBps: 1000 }));
    await f.tx((trx) =>
      trx.insertInto("experiment_assignments").values({ merchant_id: f.merchantId, experiment_id: exp.id, member_id: m, arm: "control", source: "random" }).execute(),
    );
    await order(f, m, 100_000, "2026-03-01T10:00:00Z");
    expect(await tierOf(f, m)).toBeNull();
    const view = await f.tx((trx) => memberTierView(trx, f.merchantId, m, new Date("2026-03-02T00:00:00Z")));
    expect(view).toMatchObject({ heldOut: true, tier: null, progress: null });
    await expect(
      f.tx(async (trx) => pinMemberTier(trx, f.merchantId, m, { tierId: (await tierId(f, "Roast"))!, until: new Date("2027-01-01T00:00:00Z"), reason: "x" }, STAFF, new Date("2026-03-02T00:00:00Z"))),
    ).rejects.toMatchObject({ code: "not_eligible" });
    expect(await emails(f, "tier-reached")).toHaveLength(0);
  });

  it("never reads or changes another merchant's tiers", async () => {
    const a = await withProgram();
    const b = await withProgram();
    const m = await a.newMember();
    await order(a, m, 100_000, "2026-03-01T10:00:00Z");
    expect(await tierOf(a, m)).toBe("Reserve");
    // Merchant b asking about a's member (same id) sees nothing.
    expect(await b.tx((trx) => getMemberTier(trx, b.merchantId, m))).toBeNull();
    expect(await b.tx((trx) => getMemberTier(trx, a.merchantId, m))).toBeNull();
    const seen = await b.tx((trx) => trx.selectFrom("member_tiers").select("member_id").execute());
    expect(seen.map((r) => r.member_id)).not.toContain(m);
    await expect(b.tx(async (trx) => pinMemberTier(trx, b.merchantId, m, { tierId: (await tierIdIn(trx, b.merchantId, "Roast"))!, until: new Date("2030-01-01"), reason: "x" }, STAFF, new Date()))).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("custom events count toward a points-based tier at once", async () => {
    const f = await withProgram({ basis: "points" }, { tiers: [{ name: "Bean", threshold: 50, earningPercent: 100 }] });
    await f.tx((trx) =>
      trx
        .updateTable("earning_rules")
        .set({ rules: sql`jsonb_set(rules, '{customEvents}', '[{"key":"review","label":"Review","points":50}]'::jsonb)` })
        .where("merchant_id", "=", f.merchantId)
        .execute(),
    );
    const m = await f.newMember();
    setNow("2026-05-01T10:00:00Z");
    await f.tx((trx) => earnForEvent(trx, f.merchantId, { memberId: m, event: "review", idempotencyKey: `rev-${m}`, actor: SYSTEM }));
    expect(await tierOf(f, m)).toBe("Bean");
  });
});

async function tierId(f: LedgerFixture, name: string) {
  return f.tx((trx) => tierIdIn(trx, f.merchantId, name));
}
async function tierIdIn(trx: Parameters<Parameters<LedgerFixture["tx"]>[0]>[0], merchantId: string, name: string) {
  return (await trx.selectFrom("tiers").select("id").where("merchant_id", "=", merchantId).where("name", "=", name).executeTakeFirst())?.id;
}
async function slugOf(f: LedgerFixture) {
  return (await withTenant(testDb(), f.merchantId, (trx) => trx.selectFrom("merchants").select("slug").where("id", "=", f.merchantId).executeTakeFirstOrThrow())).slug;
}
