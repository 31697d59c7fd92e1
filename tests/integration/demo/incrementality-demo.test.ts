import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { withTenant, type DB } from "~/db.server";
import { resolveProgram } from "~/domain/incrementality/page.server";
import { buildIncrementalityReport, type IncrementalityReport } from "~/domain/incrementality/report.server";
import { demoDatabase, type DemoDatabase } from "../../support/database-clones";

/**
 * The demo merchant's loyalty program: a 10% holdout drawn at enrollment (or at the launch, for earlier members),
 * no points for held-out members, and a real effect in the orders, so the demo report shows a meaningful
 * incremental CLTV with its interval.
 */

let demo: DemoDatabase;
let merchantId: string;
let report: IncrementalityReport;
const testDb = (): DB => demo.db;

beforeAll(async () => {
  // A copy of the full demo (seeded once per run): the first file to ask seeds it, about a minute alone and
  // several under a loaded 2-core machine.
  demo = await demoDatabase();
  merchantId = demo.seed.merchantId;
  report = await withTenant(testDb(), merchantId, async (trx) => buildIncrementalityReport(trx, merchantId, await resolveProgram(trx, merchantId, "loyalty_program")));
}, 480_000);
afterAll(async () => demo?.close());

describe("demo loyalty program holdout", () => {
  it("holds out about 10% of the members, assigned at enrollment or launch", () => {
    const control = report.arms.find((a) => a.control)!;
    const treated = report.arms.find((a) => !a.control)!;
    expect(control.n + treated.n).toBe(2000);
    expect(control.n / 2000).toBeGreaterThan(0.07);
    expect(control.n / 2000).toBeLessThan(0.13);
    expect(report.experiment.holdoutBps).toBe(1000);
  });

  it("gives held-out members no points, and treated members their points", async () => {
    const rows = await withTenant(testDb(), merchantId, (trx) =>
      sql<{ arm: string; journals: string }>`
        select a.arm, count(j.id) as journals
        from experiment_assignments a
        join experiments e on e.merchant_id = a.merchant_id and e.id = a.experiment_id and e.kind = 'loyalty_program'
        left join ledger_journals j on j.merchant_id = a.merchant_id and j.member_id = a.member_id and j.kind = 'earn'
        where a.merchant_id = ${merchantId} group by a.arm`.execute(trx),
    );
    const by = Object.fromEntries(rows.rows.map((r) => [r.arm, Number(r.journals)]));
    expect(by.control).toBe(0);
    expect(by.treatment).toBeGreaterThan(1000);
  });

  it("shows a positive incremental CLTV net of cost with its interval", () => {
    const c = report.comparisons[0]!;
    expect(c.value.lift).toBeGreaterThan(0);
    expect(c.value.ci95[1]).toBeGreaterThan(c.value.ci95[0]);
    expect(c.valueCuped.ci95[0]).toBeGreaterThan(0);
    expect(c.cost.perMemberDifference).toBeGreaterThan(0);
  });
});
