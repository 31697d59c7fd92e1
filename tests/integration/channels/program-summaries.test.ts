import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { withTenant } from "~/db.server";
import { refreshMerchantSummaries } from "~/jobs/tasks/summaries";
import { experimentCounts } from "~/domain/offers/offers.server";
import { giftCountsBasis, offerCountsPage } from "~/domain/offers/summaries.server";
import { getEarningRules } from "~/domain/points/rules.server";
import { monthlyPointsFlow, programStats } from "~/domain/points/stats.server";
import { PROGRAM_FLOW_MONTHS, programStatsPage, refreshPointsSummary } from "~/domain/points/summaries.server";
import { referralOverview, referralOverviewPage } from "~/domain/referrals/summaries.server";
import { latestTierJob } from "~/domain/tiers/definitions.server";
import { tierCountsBasis, tierCountsPage, tierMemberCounts } from "~/domain/tiers/summaries.server";
import { loadTierProgram } from "~/domain/tiers/tiers.server";
import { newId } from "~/lib/ids";
import { adjustPoints } from "~/domain/points/ledger.server";
import { createMerchant, insertMembers } from "../../support/admin";
import { testDb } from "../../support/db";
import { demoDatabase, useDatabase, type DemoDatabase } from "../../support/database-clones";

/**
 * The program stats pages (program, tiers, offers and gifts, referrals) read maintained summaries (issue 14): right
 * after a refresh by the summaries job, what they show is exactly what the raw computation gives at that instant.
 */
describe("on the demo merchant, right after the summaries job", () => {
  let demo: DemoDatabase;
  let merchant: { id: string; currency: string; timezone: string };
  const at = new Date();
  beforeAll(async () => {
    demo = await demoDatabase();
    merchant = await demo.db.selectFrom("merchants").select(["id", "currency", "timezone"]).where("id", "=", demo.seed.merchantId).executeTakeFirstOrThrow();
    // The job's own per-merchant refresh, on the demo clone (it uses the process-wide pool).
    const back = await useDatabase(demo.ownerUrl);
    try {
      await refreshMerchantSummaries(merchant, at);
    } finally {
      await back();
    }
  }, 480_000);
  afterAll(async () => demo?.close());
  const tx = <T>(fn: Parameters<typeof withTenant<T>>[2]) => withTenant(demo.db, merchant.id, fn);

  it("the program page: ledger figures and monthly flow", async () => {
    const raw = await tx(async (trx) => ({ stats: await programStats(trx, merchant.id), flow: await monthlyPointsFlow(trx, merchant.id, PROGRAM_FLOW_MONTHS, { timezone: merchant.timezone, at }) }));
    const page = await tx(async (trx) => programStatsPage(trx, merchant, await getEarningRules(trx, merchant.id)));
    expect(raw.stats.issued).toBeGreaterThan(0);
    expect(page).toEqual({ ...raw, asOf: at });
  });

  it("the tiers page: members per tier", async () => {
    const raw = await tx((trx) => tierMemberCounts(trx, merchant.id));
    const page = await tx(async (trx) => tierCountsPage(trx, merchant.id, tierCountsBasis(await loadTierProgram(trx, merchant.id), await latestTierJob(trx, merchant.id))));
    expect(Object.values(raw).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(page).toEqual({ members: raw, asOf: at });
  });

  it("every offer's and gift's arm and event counts", async () => {
    const subjects = await tx(async (trx) => [
      ...(await trx.selectFrom("offers").select(["experiment_id", "status"]).where("merchant_id", "=", merchant.id).execute()).map((o) => ({ id: o.experiment_id, basis: { status: o.status } })),
      ...(await trx.selectFrom("surprise_gifts").select(["experiment_id", "status", "done", "failed"]).where("merchant_id", "=", merchant.id).execute()).map((g) => ({ id: g.experiment_id, basis: giftCountsBasis(g) })),
    ]);
    expect(subjects.length).toBeGreaterThan(0);
    for (const s of subjects) {
      const raw = await tx((trx) => experimentCounts(trx, merchant.id, s.id));
      const page = await tx((trx) => offerCountsPage(trx, merchant.id, s.id, s.basis));
      expect(page, s.id).toEqual({ counts: raw, asOf: at });
    }
  });

  it("the referrals page: weekly funnel and top referrers", async () => {
    const raw = await tx((trx) => referralOverview(trx, merchant, at));
    const page = await tx((trx) => referralOverviewPage(trx, merchant));
    expect(raw.top.length).toBeGreaterThan(0);
    expect(raw.weeks.some((w) => w.signups > 0 || w.clicks > 0)).toBe(true);
    expect(page.asOf).toEqual(at);
    expect(page.overview).toEqual(raw);
    expect(page.names.size).toBe(raw.top.length);
  });

  it("a refresh aborted by the worker's shutdown stops before the experiments' windows and keeps nothing", async () => {
    const later = new Date(at.getTime() + 60_000);
    const back = await useDatabase(demo.ownerUrl);
    try {
      await expect(refreshMerchantSummaries(merchant, later, AbortSignal.abort())).rejects.toThrow();
    } finally {
      await back();
    }
    const kept = await tx(async (trx) =>
      (await sql<{ n: number }>`select count(*)::int as n from experiment_summaries where merchant_id = ${merchant.id} and computed_at >= ${later}`.execute(trx)).rows[0]!.n,
    );
    expect(kept).toBe(0);
    expect(await tx(async (trx) => (await sql<{ n: number }>`select count(*)::int as n from experiment_summaries where merchant_id = ${merchant.id}`.execute(trx)).rows[0]!.n)).toBeGreaterThan(0);
  });

  it("the job stored a row for each page (and each offer and gift)", async () => {
    const rules = await tx((trx) => getEarningRules(trx, merchant.id));
    const rows = await tx(async (trx) => {
      await programStatsPage(trx, merchant, rules);
      return (await sql<{ n: number }>`select count(*)::int as n from program_summaries where merchant_id = ${merchant.id}`.execute(trx)).rows[0]!.n;
    });
    expect(rows).toBeGreaterThanOrEqual(4);
  });
});

describe("freshness", () => {
  it("the program page shows the ledger as of the refresh until the next one, and recomputes at once under another time zone", async () => {
    const m = await createMerchant();
    const [memberId] = await insertMembers(m.id, [{ email: "p0@example.com" }]);
    const merchant = { id: m.id, currency: "USD", timezone: "UTC" };
    const read = () => withTenant(testDb(), m.id, async (trx) => programStatsPage(trx, merchant, await getEarningRules(trx, m.id)));
    const first = await read();
    expect(first.stats.issued).toBe(0);
    // Points issued after the summary show after the next refresh, not before.
    await withTenant(testDb(), m.id, (trx) => adjustPoints(trx, m.id, { memberId: memberId!, points: 100, reason: "test", idempotencyKey: newId("order"), actor: { type: "system", id: "test" } }));
    const stale = await read();
    expect(stale.asOf).toEqual(first.asOf);
    expect(stale.stats.available).toBe(0);
    const raw = await withTenant(testDb(), m.id, (trx) => programStats(trx, m.id));
    await withTenant(testDb(), m.id, (trx) => refreshPointsSummary(trx, merchant));
    const fresh = await read();
    expect(fresh.stats).toEqual(raw);
    expect(fresh.stats.available).toBe(100);
    expect(fresh.asOf.getTime()).toBeGreaterThan(first.asOf.getTime());
    // Months are calendar months of the merchant's zone: another zone recomputes on view.
    const other = await withTenant(testDb(), m.id, async (trx) => programStatsPage(trx, { ...merchant, timezone: "Asia/Tokyo" }, await getEarningRules(trx, m.id)));
    expect(other.asOf.getTime()).toBeGreaterThan(fresh.asOf.getTime());
  });
});
