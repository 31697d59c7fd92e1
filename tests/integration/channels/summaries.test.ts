import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { withTenant, type DB } from "~/db.server";
import { cltvModelOverview } from "~/domain/cltv/current-model.server";
import { loadCltvReport } from "~/domain/cltv/report.server";
import { cltvOverviewPage, cltvReportPage, refreshCltvSummary } from "~/domain/cltv/summaries.server";
import { createExperiment } from "~/domain/experiments/assignment.server";
import { listReportPrograms, loadReportPage } from "~/domain/incrementality/page.server";
import { buildIncrementalityReport, withHashPlans, type ReportWindow } from "~/domain/incrementality/report.server";
import { buildReportSeries } from "~/domain/incrementality/series.server";
import { readIncrementalityReport, refreshExperimentSummary, SUMMARY_WINDOWS } from "~/domain/incrementality/summaries.server";
import { dashboardPage, merchantDashboard, refreshDashboardSummary } from "~/domain/merchants/dashboard.server";
import { newId } from "~/lib/ids";
import { createMerchant, insertMembers } from "../../support/admin";
import { testDb } from "../../support/db";
import { demoDatabase, type DemoDatabase } from "../../support/database-clones";

/**
 * The merchant-wide pages read maintained summaries (issue 14): what they show must be exactly what the raw
 * computation (kept as the reference: buildIncrementalityReport + buildReportSeries, loadCltvReport,
 * cltvModelOverview, merchantDashboard) gives at the summary's instant — on the demo merchant and on edge cases
 * (an empty merchant, an experiment with an empty arm, one with no members). And a summary is used only while the
 * settings it was computed under stand.
 */

/** The raw report page of one window at `at`, as the page computed it before the summaries. */
async function rawPage(db: DB, merchantId: string, experimentId: string, w: ReportWindow, at: Date) {
  return withTenant(db, merchantId, async (trx) => {
    const report = await buildIncrementalityReport(trx, merchantId, experimentId, w);
    const arms = report.arms.map((a) => ({ arm: a.arm, control: a.control }));
    const series = await withHashPlans(trx, () => buildReportSeries(trx, merchantId, experimentId, report, arms, report.hasPrediction, at));
    return { report, series };
  });
}

async function expectReportsMatch(db: DB, merchantId: string, experimentId: string) {
  const at = new Date();
  await withTenant(db, merchantId, (trx) => refreshExperimentSummary(trx, merchantId, experimentId, at));
  for (const days of SUMMARY_WINDOWS) {
    const w: ReportWindow = { windowDays: days };
    const raw = await rawPage(db, merchantId, experimentId, w, at);
    const read = await withTenant(db, merchantId, (trx) => readIncrementalityReport(trx, merchantId, experimentId, w, { series: true }));
    expect(read.asOf.getTime(), `window ${days}`).toBe(at.getTime());
    expect(read.report, `report, window ${days}`).toEqual(raw.report);
    expect(read.series, `series, window ${days}`).toEqual(raw.series);
  }
}

describe("on the demo merchant", () => {
  let demo: DemoDatabase;
  let merchantId: string;
  beforeAll(async () => {
    demo = await demoDatabase();
    merchantId = demo.seed.merchantId;
  }, 480_000);
  afterAll(async () => demo?.close());

  it("reads every experiment's report and charts exactly as the raw computation gives them, in every kept window", async () => {
    const experiments = await withTenant(demo.db, merchantId, (trx) => trx.selectFrom("experiments").select(["id", "kind"]).where("merchant_id", "=", merchantId).execute());
    expect(experiments.length).toBeGreaterThan(0);
    for (const e of experiments) await expectReportsMatch(demo.db, merchantId, e.id);
    // The list's headlines come from the same summaries.
    const list = await withTenant(demo.db, merchantId, (trx) => listReportPrograms(trx, merchantId));
    const loyalty = list.find((p) => p.kind === "loyalty_program")!;
    const raw = await rawPage(demo.db, merchantId, loyalty.id, {}, new Date());
    expect(loyalty.members).toBe(raw.report.arms.reduce((n, a) => n + a.n, 0));
    expect(loyalty.headline?.lift).toBe(raw.report.comparisons[0]!.value.lift);
  }, 120_000); // six windows of every demo experiment, each computed raw as well: 14 s on a quiet machine, 44 s at load 11

  it("reads the CLTV page and GET /api/v1/cltv exactly as the raw computation gives them", async () => {
    const at = new Date();
    const { currency } = await demo.db.selectFrom("merchants").select("currency").where("id", "=", merchantId).executeTakeFirstOrThrow();
    await withTenant(demo.db, merchantId, (trx) => refreshCltvSummary(trx, merchantId, currency, at));
    const raw = await withTenant(demo.db, merchantId, (trx) => loadCltvReport(trx, merchantId, currency, at));
    const page = await withTenant(demo.db, merchantId, (trx) => cltvReportPage(trx, merchantId, currency));
    expect(raw.model).not.toBeNull();
    expect(raw.scoredMembers).toBeGreaterThan(0);
    expect(page.asOf.getTime()).toBe(at.getTime());
    expect(page.report).toEqual(raw);
    const rawApi = await withTenant(demo.db, merchantId, (trx) => cltvModelOverview(trx, merchantId, currency, { classic: true, at }));
    const { asOf, ...api } = await withTenant(demo.db, merchantId, (trx) => cltvOverviewPage(trx, merchantId, currency, { classic: true }));
    expect(asOf.getTime()).toBe(at.getTime());
    expect(api).toEqual(rawApi);
  });

  it("reads the dashboard exactly as the raw computation gives it", async () => {
    const merchant = await demo.db.selectFrom("merchants").select(["id", "currency", "timezone"]).where("id", "=", merchantId).executeTakeFirstOrThrow();
    const at = new Date();
    await withTenant(demo.db, merchantId, (trx) => refreshDashboardSummary(trx, merchant, at));
    const raw = await withTenant(demo.db, merchantId, (trx) => merchantDashboard(trx, merchant, at));
    const page = await withTenant(demo.db, merchantId, (trx) => dashboardPage(trx, merchant));
    expect(raw.members.total).toBe(2000);
    expect(page).toEqual({ stats: raw, asOf: at });
  });
});

describe("edge cases", () => {
  it("an empty merchant: dashboard, CLTV page and API without a model", async () => {
    const m = await createMerchant();
    const merchant = { id: m.id, currency: "USD", timezone: "UTC" };
    const at = new Date();
    await withTenant(testDb(), m.id, async (trx) => {
      await refreshDashboardSummary(trx, merchant, at);
      await refreshCltvSummary(trx, m.id, "USD", at);
    });
    const raw = await withTenant(testDb(), m.id, async (trx) => ({
      dashboard: await merchantDashboard(trx, merchant, at),
      cltv: await loadCltvReport(trx, m.id, "USD", at),
      api: await cltvModelOverview(trx, m.id, "USD", { classic: true, at }),
    }));
    const read = await withTenant(testDb(), m.id, async (trx) => ({
      dashboard: await dashboardPage(trx, merchant),
      cltv: await cltvReportPage(trx, m.id, "USD"),
      api: await cltvOverviewPage(trx, m.id, "USD", { classic: true }),
    }));
    expect(read.dashboard.stats).toEqual(raw.dashboard);
    expect(read.cltv.report).toEqual(raw.cltv);
    expect(read.cltv.report.model).toBeNull();
    const { asOf: _asOf, ...api } = read.api;
    expect(api).toEqual(raw.api);
  });

  it("an experiment with no members, and one whose control arm is empty", async () => {
    const m = await createMerchant();
    const members = await insertMembers(m.id, [0, 1, 2, 3].map((i) => ({ email: `e${i}@example.com` })));
    const ids = await withTenant(testDb(), m.id, async (trx) => {
      const arms = [
        { arm: "treatment", control: false },
        { arm: "control", control: true },
      ];
      const none = await createExperiment(trx, m.id, { kind: "custom", name: "Nobody yet", assignment: "external", arms });
      const oneArm = await createExperiment(trx, m.id, { kind: "custom", name: "Control empty", assignment: "external", arms });
      const at = new Date(Date.now() - 40 * 86_400_000);
      await trx
        .insertInto("experiment_assignments")
        .values(members.map((member_id) => ({ merchant_id: m.id, experiment_id: oneArm.id, member_id, arm: "treatment", source: "external", assigned_at: at })))
        .execute();
      for (const [i, member_id] of members.entries()) {
        await sql`insert into orders (merchant_id, id, member_id, source, external_order_id, amount_minor, currency, occurred_at)
          values (${m.id}, ${newId("order")}, ${member_id}, 'seed', ${`o${i}`}, ${1000 + i * 250}, 'USD', ${new Date(Date.now() - (30 - i) * 86_400_000)})`.execute(trx);
      }
      return { none: none.id, oneArm: oneArm.id };
    });
    await expectReportsMatch(testDb(), m.id, ids.none);
    await expectReportsMatch(testDb(), m.id, ids.oneArm);
    const page = await withTenant(testDb(), m.id, (trx) => loadReportPage(trx, m.id, ids.oneArm, {}));
    expect(page.report.arms.find((a) => a.control)!.n).toBe(0);
    expect(page.report.arms.find((a) => !a.control)!.n).toBe(4);
  });
});

describe("freshness", () => {
  it("shows the figures as of the refresh until the next one, and recomputes at once when the settings change", async () => {
    const m = await createMerchant();
    const members = await insertMembers(m.id, [0, 1, 2, 3].map((i) => ({ email: `f${i}@example.com` })));
    const experimentId = await withTenant(testDb(), m.id, async (trx) => {
      const e = await createExperiment(trx, m.id, {
        kind: "custom",
        name: "Fresh",
        assignment: "external",
        arms: [
          { arm: "treatment", control: false },
          { arm: "control", control: true },
        ],
      });
      const at = new Date(Date.now() - 10 * 86_400_000);
      await trx
        .insertInto("experiment_assignments")
        .values(members.map((member_id, i) => ({ merchant_id: m.id, experiment_id: e.id, member_id, arm: i % 2 ? "control" : "treatment", source: "external", assigned_at: at })))
        .execute();
      return e.id;
    });
    const order = (member: string, amount: number) =>
      withTenant(testDb(), m.id, (trx) =>
        sql`insert into orders (merchant_id, id, member_id, source, external_order_id, amount_minor, currency, occurred_at)
          values (${m.id}, ${newId("order")}, ${member}, 'seed', ${newId("order")}, ${amount}, 'USD', now())`.execute(trx),
      );
    const read = () => withTenant(testDb(), m.id, (trx) => readIncrementalityReport(trx, m.id, experimentId, {}, { series: false }));

    // The first view computes the summary and stores it.
    const first = await read();
    expect(first.report.arms.every((a) => a.revenue.mean === 0)).toBe(true);
    // A new order shows after the next refresh, not before.
    await order(members[0]!, 5000);
    const stale = await read();
    expect(stale.asOf.getTime()).toBe(first.asOf.getTime());
    expect(stale.report.arms.find((a) => a.arm === "treatment")!.revenue.mean).toBe(0);
    await withTenant(testDb(), m.id, (trx) => refreshExperimentSummary(trx, m.id, experimentId));
    const fresh = await read();
    expect(fresh.report.arms.find((a) => a.arm === "treatment")!.revenue.mean).toBe(2500);

    // A new gross margin is a new basis: the next view recomputes (and stores) at once.
    await order(members[2]!, 1000);
    await withTenant(testDb(), m.id, (trx) => sql`insert into cltv_settings (merchant_id, gross_margin_bps) values (${m.id}, 6000)`.execute(trx));
    const after = await read();
    expect(after.asOf.getTime()).toBeGreaterThan(fresh.asOf.getTime());
    expect(after.report.grossMarginBps).toBe(6000);
    expect(after.report.arms.find((a) => a.arm === "treatment")!.revenue.mean).toBe(3000);
  });
});
