import { beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { hashPassword } from "~/auth/password.server";
import { withTenant } from "~/db.server";
import { seedDemoMerchant } from "~/domain/demo/seed.server";
import { resolveProgram } from "~/domain/incrementality/page.server";
import { buildIncrementalityReport, type IncrementalityReport } from "~/domain/incrementality/report.server";
import { testDb } from "../support/db";

/**
 * The demo merchant's loyalty program: a 10% holdout drawn at enrollment (or at the launch, for earlier members),
 * no points for held-out members, and a real effect in the orders, so the demo report shows a meaningful
 * incremental CLTV with its interval.
 */

const now = new Date("2026-11-22T17:00:00Z");
let merchantId: string;
let report: IncrementalityReport;

beforeAll(async () => {
  const tag = Math.random().toString(36).slice(2, 10);
  const r = await seedDemoMerchant(testDb(), { slug: `northwind-${tag}`, ownerEmail: `owner+${tag}@northwind.test`, memberEmail: `member+${tag}@northwind.test`, now, hashPassword });
  merchantId = r.merchantId;
  report = await withTenant(testDb(), merchantId, async (trx) => buildIncrementalityReport(trx, merchantId, await resolveProgram(trx, merchantId, "loyalty_program")));
}, 480_000); // the full demo seed: about a minute alone, several under a loaded 2-core machine

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
