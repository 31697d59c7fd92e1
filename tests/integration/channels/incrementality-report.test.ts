import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { withTenant } from "~/db.server";
import { createExperiment } from "~/domain/experiments/assignment.server";
import { importAssignmentsFromFile } from "~/domain/experiments/import-assignments-file.server";
import { buildIncrementalityReport } from "~/domain/incrementality/report.server";
import { DEFAULT_EARNING_RULES, EarningRulesSchema } from "~/domain/points/rules";
import { newId } from "~/lib/ids";
import * as experimentsRoute from "~/routes/admin.$merchant.experiments";
import * as exportRoute from "~/routes/admin.$merchant.reports.$experimentId.export.$table";
import * as reportRoute from "~/routes/admin.$merchant.reports.$experimentId";
import * as indexRoute from "~/routes/admin.$merchant.reports._index";
import { api, createKey } from "../../support/api";
import { createMerchant, createStaff, getRequest, insertMembers, postRequest } from "../../support/admin";
import { run } from "../../support/auth";
import { testDb } from "../../support/db";

/**
 * The report on a small hand-checkable data set: two arms of four members, orders before and after assignment,
 * redeemed points as program cost; the same numbers through the domain, the admin pages, the CSV export and the API.
 */

const ASSIGNED = new Date("2026-01-01T00:00:00Z");
const day = (n: number) => new Date(ASSIGNED.getTime() + n * 86_400_000);
// Spend after assignment (dollars) and before, per member.
const TREATED = [
  { post: [30, 20], pre: [10] },
  { post: [40], pre: [20] },
  { post: [], pre: [] },
  { post: [10], pre: [5] },
];
const CONTROL = [
  { post: [10], pre: [10] },
  { post: [], pre: [20] },
  { post: [20], pre: [] },
  { post: [5], pre: [5] },
];

let m: { id: string; slug: string };
let experimentId: string;
let cookie: string;
let members: string[];

beforeAll(async () => {
  m = await createMerchant();
  cookie = (await createStaff(m.id, "analyst")).cookie;
  members = await insertMembers(m.id, [...TREATED, ...CONTROL].map((_, i) => ({ email: `r${i}@example.com`, external_id: `c-${i}` })));
  const rules = EarningRulesSchema.parse({ ...DEFAULT_EARNING_RULES, pointValue: { points: 100, minor: 50 } });
  await withTenant(testDb(), m.id, async (trx) => {
    await trx.insertInto("earning_rules").values({ merchant_id: m.id, rules: JSON.stringify(rules) }).execute();
    await sql`insert into cltv_settings (merchant_id, gross_margin_bps) values (${m.id}, 5000)`.execute(trx);
    const e = await createExperiment(trx, m.id, { kind: "custom", name: "Small test", assignment: "external", arms: [{ arm: "treatment", control: false }, { arm: "control", control: true }] });
    experimentId = e.id;
    const orders = [...TREATED, ...CONTROL].flatMap((g, i) => [
      ...g.post.map((d, k) => ({ member: members[i]!, amount: d * 100, at: day(3 + k) })),
      ...g.pre.map((d) => ({ member: members[i]!, amount: d * 100, at: day(-30) })),
    ]);
    // Outside every window: a year and a half before assignment (not in the 365-day pre-period).
    orders.push({ member: members[0]!, amount: 99900, at: day(-500) });
    for (const o of orders) {
      const id = newId("order");
      await trx.insertInto("orders").values({ merchant_id: m.id, id, member_id: o.member, source: "api", external_order_id: id, amount_minor: o.amount, currency: "USD", occurred_at: o.at }).execute();
    }
    // Program cost: treated member 0 redeemed 400 points (= $2.00 at 100 points = $0.50) after assignment.
    await sql`insert into ledger_journals (merchant_id, id, kind, source, member_id, idempotency_key, description, points, actor_type, effective_at)
      values (${m.id}, ${newId("journal")}, 'spend', 'spend', ${members[0]!}, ${"t-" + newId("journal")}, 'test redemption', -400, 'system', ${day(5)})`.execute(trx);
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "incr-"));
  const file = path.join(dir, "arms.csv");
  fs.writeFileSync(file, ["customer_id,arm,assigned_at", ...members.map((_, i) => `c-${i},${i < 4 ? "treatment" : "control"},${ASSIGNED.toISOString()}`)].join("\n"));
  const r = await importAssignmentsFromFile(testDb(), m.id, { campaign: experimentId, file, control: "control", actor: { type: "system", id: "test" } });
  fs.rmSync(dir, { recursive: true, force: true });
  expect(r.imported).toBe(8);
});

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v: number[]) => Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1));

describe("incrementality report", () => {
  it("computes spend, margin, cost, net value and Welch's lift from one aggregate pass", async () => {
    const r = await withTenant(testDb(), m.id, (trx) => buildIncrementalityReport(trx, m.id, experimentId));
    const t = r.arms.find((a) => a.arm === "treatment")!;
    const c = r.arms.find((a) => a.arm === "control")!;
    const spendT = TREATED.map((g) => g.post.reduce((a, b) => a + b, 0) * 100);
    const spendC = CONTROL.map((g) => g.post.reduce((a, b) => a + b, 0) * 100);
    expect(t.n).toBe(4);
    expect(t.revenue.mean).toBeCloseTo(mean(spendT), 9);
    expect(t.revenue.sd).toBeCloseTo(sd(spendT), 9);
    expect(t.grossMarginPerMember).toBeCloseTo(mean(spendT) / 2, 9);
    expect(t.cost).toMatchObject({ pointsRedeemed: 400, pointsMinor: 200, total: 200 });
    expect(t.preSpend.mean).toBeCloseTo(mean(TREATED.map((g) => g.pre.reduce((a, b) => a + b, 0) * 100)), 9);
    expect(r.hasPrediction).toBe(false);
    // Net value per member: 50% margin minus the redemption.
    const netT = spendT.map((s, i) => s / 2 - (i === 0 ? 200 : 0));
    const netC = spendC.map((s) => s / 2);
    expect(t.value.mean).toBeCloseTo(mean(netT), 9);
    expect(c.value.mean).toBeCloseTo(mean(netC), 9);
    const cmp = r.comparisons[0]!;
    expect(cmp.arm).toBe("treatment");
    expect(cmp.value.lift).toBeCloseTo(mean(netT) - mean(netC), 9);
    expect(cmp.value.se).toBeCloseTo(Math.sqrt(sd(netT) ** 2 / 4 + sd(netC) ** 2 / 4), 9);
    expect(cmp.total.lift).toBeCloseTo(cmp.value.lift * 4, 9);
    expect(cmp.cost.perMemberDifference).toBeCloseTo(50, 9);
    expect(cmp.complier).toBeNull();
    expect(cmp.mde).toBeGreaterThan(0);
  });

  it("respects the window after assignment and the from/to bounds", async () => {
    const short = await withTenant(testDb(), m.id, (trx) => buildIncrementalityReport(trx, m.id, experimentId, { windowDays: 3 }));
    expect(short.arms.every((a) => a.revenue.mean === 0)).toBe(true);
    const bounded = await withTenant(testDb(), m.id, (trx) => buildIncrementalityReport(trx, m.id, experimentId, { from: day(4), to: day(30) }));
    // Only the second order of treated member 0 (day 4) is inside.
    expect(bounded.arms.find((a) => a.arm === "treatment")!.revenue.mean).toBeCloseTo(2000 / 4, 9);
  });

  it("shows on the admin pages, with a CSV of every table", async () => {
    const list = await run(() => indexRoute.loader({ request: getRequest(`/admin/${m.slug}/reports`, cookie), params: { merchant: m.slug }, context: {} }));
    expect(list.data.programs.map((p: { id: string }) => p.id)).toContain(experimentId);
    const page = await run(() => reportRoute.loader({ request: getRequest(`/admin/${m.slug}/reports/${experimentId}`, cookie), params: { merchant: m.slug, experimentId }, context: {} }));
    expect(page.status).toBe(200);
    expect(page.data.tables.map((t: { name: string }) => t.name)).toEqual(["arms", "costs", "comparisons", "cuped", "power", "months", "distribution"]);
    expect(page.data.charts.cumulative.length).toBe(2);
    for (const table of ["arms", "costs", "comparisons", "cuped", "power", "months", "distribution"]) {
      const res = (await exportRoute.loader({ request: getRequest(`/admin/${m.slug}/reports/${experimentId}/export/${table}`, cookie), params: { merchant: m.slug, experimentId, table }, context: {} })) as Response;
      expect(res.headers.get("content-type")).toMatch(/text\/csv/);
      const text = await res.text();
      expect(text.split("\n")[0]!.length).toBeGreaterThan(5);
      if (table === "arms") expect(text).toMatch(/^Arm,Control,Members/);
    }
    const missing = await run(() => exportRoute.loader({ request: getRequest(`/x`, cookie), params: { merchant: m.slug, experimentId, table: "nope" }, context: {} }));
    expect(missing.status).toBe(404);
  });

  it("answers GET /api/v1/reports/incrementality with the reports:read scope only", async () => {
    const { token } = await createKey(m.id, ["reports:read"]);
    const res = await api("GET", `/api/v1/reports/incrementality?program=${experimentId}&arm=treatment`, { token });
    expect(res.status).toBe(200);
    const body = res.json as { arms: { arm: string; n: number; mean: number; sd: number }[]; comparisons: { lift: number; ci95: number[]; pValue: number; cuped: { theta: number; varianceReduction: number }; cost: number; net: { total: number } }[] };
    expect(body.arms.map((a) => a.arm).sort()).toEqual(["control", "treatment"]);
    expect(body.comparisons).toHaveLength(1);
    expect(body.comparisons[0]!.cost).toBeCloseTo(50, 9);
    expect(body.comparisons[0]!.ci95).toHaveLength(2);
    expect(typeof body.comparisons[0]!.cuped.theta).toBe("number");

    const other = await createKey(m.id, ["members:read"]);
    expect((await api("GET", `/api/v1/reports/incrementality?program=${experimentId}`, { token: other.token })).status).toBe(403);
    expect((await api("GET", `/api/v1/reports/incrementality?program=exp_nope`, { token })).status).toBe(404);
    expect((await api("GET", `/api/v1/reports/incrementality`, { token })).status).toBe(422);
    expect((await api("GET", `/api/v1/reports/incrementality?program=${experimentId}&arm=control`, { token })).status).toBe(404);
    expect((await api("GET", `/api/v1/reports/incrementality?program=${experimentId}&from=2026-02-01&to=2026-01-01`, { token })).status).toBe(422);
  });

  it("sets the loyalty holdout (0–50%) from the experiments page: admins only, audited", async () => {
    const admin = await createStaff(m.id, "admin");
    const bad = await run(() => experimentsRoute.action({ request: postRequest(`/admin/${m.slug}/experiments`, admin.cookie, { intent: "program-holdout", kind: "loyalty_program", holdoutPercent: "60" }), params: { merchant: m.slug }, context: {} }));
    expect(bad.status).toBe(400);
    expect(bad.data.errors.holdoutPercent[0]).toMatch(/50%/);
    const ok = await run(() => experimentsRoute.action({ request: postRequest(`/admin/${m.slug}/experiments`, admin.cookie, { intent: "program-holdout", kind: "loyalty_program", holdoutPercent: "12.5" }), params: { merchant: m.slug }, context: {} }));
    expect(ok.data.ok).toBe(true);
    const analyst = await run(() => experimentsRoute.action({ request: postRequest(`/admin/${m.slug}/experiments`, cookie, { intent: "program-holdout", kind: "loyalty_program", holdoutPercent: "10" }), params: { merchant: m.slug }, context: {} }));
    expect(analyst.status).toBe(403);
    const row = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("experiments").select(["holdout_bps", "status"]).where("merchant_id", "=", m.id).where("kind", "=", "loyalty_program").executeTakeFirstOrThrow());
    expect(row).toEqual({ holdout_bps: 1250, status: "active" });
    const audit = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("audit_log").select("action").where("merchant_id", "=", m.id).where("action", "like", "experiment.%").execute());
    expect(audit.map((a) => a.action)).toContain("experiment.created");
  });
});
