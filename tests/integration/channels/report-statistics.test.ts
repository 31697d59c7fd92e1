import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { withTenant, type Trx } from "~/db.server";
import { fitAndScoreMerchant } from "~/domain/cltv/score.server";
import { createExperiment } from "~/domain/experiments/assignment.server";
import { aggregateArmsFromSources, buildIncrementalityReport, reportEconomics } from "~/domain/incrementality/report.server";
import { newId } from "~/lib/ids";
import { beta, exponential, gamma, seededRng } from "~/lib/random";
import * as reportRoute from "~/routes/admin.$merchant.reports.$experimentId";
import { api, createKey } from "../../support/api";
import { createMerchant, createStaff, getRequest, insertMembers } from "../../support/admin";
import { run } from "../../support/auth";
import { testDb } from "../../support/db";

/**
 * Issue 16 §2–§4 on a simulated world (seeded): one clock across windows, the prediction's uncertainty in the
 * interval, the sample ratio check, revenue with its own SE, the regression adjustment — through the domain, the
 * API and the report page.
 *
 * The world (BG/NBD): every member buys at their own rate λ ~ Gamma(3, 9 per week), drops out after a purchase with
 * probability p ~ Beta(2, 10), spends Gamma(4)-distributed orders of mean $50, and started 150–350 days before
 * assignment. The treated arm buys at 1.5λ and drops out half as often over the member's whole life — a constant
 * effect the CLTV model sees in every member's history, so a good prediction from any window's end is available and the estimate must not depend
 * on the window.
 */

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1);
const ASSIGNED = NOW - 300 * DAY;
const PER_ARM = 150;

let m: { id: string; slug: string };
let experimentId: string;
let twinsId: string;
let srmId: string;

const tx = <T>(fn: (trx: Trx) => Promise<T>) => withTenant(testDb(), m.id, fn);

function ordersOf(rng: () => number, rate: number, start: number, dropout = 1): { at: number; amount: number }[] {
  const spend = () => Math.round(gamma(rng, 4, 4 / 50) * 100);
  const out: { at: number; amount: number }[] = [{ at: start, amount: spend() }];
  const p = beta(rng, 2, 10) * dropout;
  for (let t = start; ; ) {
    if (rng() < p) break;
    t += exponential(rng, rate) * 7 * DAY;
    if (t >= NOW - DAY) break;
    out.push({ at: t, amount: spend() });
  }
  return out;
}

async function insertOrders(trx: Trx, member: string, orders: { at: number; amount: number }[]) {
  if (!orders.length) return;
  await trx
    .insertInto("orders")
    .values(
      orders.map((o) => {
        const id = newId("order");
        return { merchant_id: m.id, id, member_id: member, source: "api" as const, external_order_id: id, amount_minor: o.amount, currency: "USD", occurred_at: new Date(o.at) };
      }),
    )
    .execute();
}

async function assign(trx: Trx, experiment: string, pairs: { member: string; arm: string }[]) {
  await trx
    .insertInto("experiment_assignments")
    .values(pairs.map((p) => ({ merchant_id: m.id, experiment_id: experiment, member_id: p.member, arm: p.arm, source: "random" as const, assigned_at: new Date(ASSIGNED) })))
    .execute();
}

beforeAll(async () => {
  m = await createMerchant();
  const rng = seededRng(1607);
  const n = 2 * PER_ARM;
  const members = await insertMembers(m.id, Array.from({ length: n + 2 * 60 + 250 }, (_, i) => ({ email: `w${i}@example.com`, external_id: `w-${i}` })));
  await tx(async (trx) => {
    await sql`insert into cltv_settings (merchant_id, gross_margin_bps) values (${m.id}, 5000)`.execute(trx);
    const e = await createExperiment(trx, m.id, { kind: "custom", name: "Constant effect", assignment: "random", holdoutBps: 5000 });
    experimentId = e.id;
    const pairs: { member: string; arm: string }[] = [];
    for (let i = 0; i < n; i++) {
      const treated = i < PER_ARM;
      const lambda = gamma(rng, 3, 9) * (treated ? 1.5 : 1);
      await insertOrders(trx, members[i]!, ordersOf(rng, lambda, ASSIGNED - (150 + rng() * 200) * DAY, treated ? 0.5 : 1));
      pairs.push({ member: members[i]!, arm: treated ? "treatment" : "control" });
    }
    await assign(trx, experimentId, pairs);
    // Twins: 60 members and 60 copies with the very same orders, one of each pair per arm.
    const t = await createExperiment(trx, m.id, { kind: "custom", name: "Twins", assignment: "external", arms: [{ arm: "a", control: false }, { arm: "b", control: true }] });
    twinsId = t.id;
    const twins: { member: string; arm: string }[] = [];
    for (let i = 0; i < 60; i++) {
      const orders = ordersOf(rng, gamma(rng, 3, 9) * (i % 2 ? 1.5 : 1), ASSIGNED - (150 + rng() * 200) * DAY);
      await insertOrders(trx, members[n + i]!, orders);
      await insertOrders(trx, members[n + 60 + i]!, orders);
      twins.push({ member: members[n + i]!, arm: "a" }, { member: members[n + 60 + i]!, arm: "b" });
    }
    await assign(trx, twinsId, twins);
    // A broken split: 170 vs 80 under a configured 50/50 (χ² = 32.4, p ≈ 1.3e−8).
    const s = await createExperiment(trx, m.id, { kind: "custom", name: "Broken split", assignment: "random", holdoutBps: 5000, subjectId: "srm" });
    srmId = s.id;
    await assign(trx, srmId, members.slice(n + 120).map((member, i) => ({ member, arm: i < 170 ? "treatment" : "control" })));
    await fitAndScoreMerchant(trx, m.id, { at: new Date(NOW - DAY) });
  });
}, 180_000);

describe("one clock (issue 16 §2)", () => {
  it("gives the same net value per member and the same lift whatever the window, where the stored scores jumped", async () => {
    const windows = [60, 150] as const;
    const since = await tx((trx) => buildIncrementalityReport(trx, m.id, experimentId, {}));
    const byWindow = await tx(async (trx) => Promise.all(windows.map((d) => buildIncrementalityReport(trx, m.id, experimentId, { windowDays: d }))));
    const armMean = (r: typeof since, arm: string) => r.arms.find((a) => a.arm === arm)!.value.mean;
    const liftOf = (r: typeof since) => r.comparisons[0]!.value.lift;
    expect(since.hasPrediction).toBe(true);
    expect(liftOf(since)).toBeGreaterThan(0);
    for (const r of byWindow) {
      for (const arm of ["treatment", "control"]) expect(Math.abs(armMean(r, arm) / armMean(since, arm) - 1)).toBeLessThan(0.08);
      expect(Math.abs(liftOf(r) / liftOf(since) - 1)).toBeLessThan(0.2);
      expect(r.comparisons[0]!.value.ci95[0]).toBeLessThan(liftOf(since));
      expect(r.comparisons[0]!.value.ci95[1]).toBeGreaterThan(liftOf(since));
    }
    // Before: realized margin inside the window plus the 12-month CLTV as of the last scoring (member_stats), which
    // drops everything between the window's end and the scoring — the estimate jumps with the window.
    const old = await tx(async (trx) => {
      const econ = await reportEconomics(trx, m.id);
      return aggregateArmsFromSources(trx, m.id, experimentId, { windowDays: 60, preDays: 365 }, econ);
    });
    const oldMean = (arm: string) => {
      const r = old.find((a) => a.arm === arm)!;
      return (r.sum_v ?? 0) / Number(r.n);
    };
    expect(oldMean("treatment") / armMean(since, "treatment")).toBeLessThan(0.8);
    expect((oldMean("treatment") - oldMean("control")) / liftOf(since)).toBeLessThan(0.8);
  }, 120_000);
});

describe("the prediction's uncertainty in the interval (issue 16 §4)", () => {
  it("widens the net-value interval by the model's parameter uncertainty of the arm difference", async () => {
    const r = await tx((trx) => buildIncrementalityReport(trx, m.id, experimentId, {}));
    const c = r.comparisons[0]!;
    expect(c.prediction).not.toBeNull();
    expect(c.prediction!.se).toBeGreaterThan(0);
    expect(c.value.se).toBeCloseTo(Math.sqrt(c.prediction!.samplingSe ** 2 + c.prediction!.se ** 2), 9);
    expect(c.value.se).toBeGreaterThan(c.prediction!.samplingSe);
    // Revenue has nothing predicted: its interval is the sampling one.
    expect(c.revenue.se).toBeGreaterThan(0);
  }, 120_000);

  it("cancels what the parameters do to both arms alike: identical arms have no prediction uncertainty in their difference", async () => {
    const r = await tx((trx) => buildIncrementalityReport(trx, m.id, twinsId, {}));
    const c = r.comparisons[0]!;
    expect(c.value.lift).toBeCloseTo(0, 6);
    expect(c.prediction!.se).toBeLessThan(1e-6);
  }, 120_000);
});

describe("sample ratio, revenue SE and regression adjustment through the API and the page", () => {
  it("flags a broken split (p < 0.001) and not a sound one, in the API and with a red banner", async () => {
    const { token } = await createKey(m.id, ["reports:read"]);
    const bad = await api("GET", `/api/v1/reports/incrementality?program=${srmId}`, { token });
    expect(bad.status).toBe(200);
    const srm = (bad.json as { srm: { chi_square: number; p_value: number; mismatch: boolean; df: number } }).srm;
    expect(srm.chi_square).toBeCloseTo((45 ** 2 / 125) * 2, 9);
    expect(srm.df).toBe(1);
    expect(srm.p_value).toBeLessThan(1e-6);
    expect(srm.mismatch).toBe(true);
    const good = await api("GET", `/api/v1/reports/incrementality?program=${experimentId}`, { token });
    expect((good.json as { srm: { p_value: number; mismatch: boolean } }).srm).toMatchObject({ p_value: 1, mismatch: false });
    const external = await api("GET", `/api/v1/reports/incrementality?program=${twinsId}`, { token });
    expect((external.json as { srm: unknown }).srm).toBeNull();

    const { cookie } = await createStaff(m.id, "analyst");
    const page = await run(() => reportRoute.loader({ request: getRequest(`/admin/${m.slug}/reports/${srmId}`, cookie), params: { merchant: m.slug, experimentId: srmId }, context: {} }));
    expect(page.data.srm.mismatch).toBe(true);
  });

  it("gives revenue lift its own SE and df, and the regression-adjusted estimates beside Welch", async () => {
    const { token } = await createKey(m.id, ["reports:read"]);
    const res = await api("GET", `/api/v1/reports/incrementality?program=${experimentId}`, { token });
    type Adj = { lift: number; se: number; df: number; ci95: number[]; covariates: string[]; variance_reduction: number };
    const c = (res.json as { comparisons: { se: number; revenue: { lift: number; se: number; df: number; ci95: number[]; regression: Adj }; regression: Adj }[] }).comparisons[0]!;
    expect(c.revenue.se).toBeGreaterThan(0);
    expect(c.revenue.df).toBeGreaterThan(100);
    // lift ± t(0.975, df)·SE.
    expect((c.revenue.ci95[1]! - c.revenue.ci95[0]!) / (2 * c.revenue.se)).toBeGreaterThan(1.96);
    expect((c.revenue.ci95[1]! - c.revenue.ci95[0]!) / (2 * c.revenue.se)).toBeLessThan(1.98);
    // Pre-assignment spend and orders predict post-assignment spend in this world: the adjustment removes variance.
    expect(c.revenue.regression.covariates).toContain("pre_spend");
    expect(c.revenue.regression.variance_reduction).toBeGreaterThan(0.2);
    expect(c.revenue.regression.se).toBeLessThan(c.revenue.se);
    expect(c.regression.se).toBeGreaterThan(0);
  });
});
