import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { importAssignmentsFromFile } from "~/domain/experiments/import-assignments-file.server";
import { HILLSTROM_CONTROL, loadHillstrom, type HillstromResult } from "~/demo/hillstrom.server";
import { buildIncrementalityReport } from "~/domain/incrementality/report.server";
import { HILLSTROM } from "../../fixtures";
import { testDb } from "../../support/db";

/**
 * The MineThatData e-mail test replayed through the product (members, pre-period orders, the CSV assignment import,
 * post-assignment orders, the report's one aggregate query): the published lifts must come out of the report.
 * cltv-reference.md: Mens E-Mail $1.4226, Womens E-Mail $1.0772, No E-Mail $0.6528; Mens +$0.770 (Welch t = 5.30),
 * Womens +$0.424 (t = 3.26).
 */

const FILE = HILLSTROM;
let r: HillstromResult;

beforeAll(async () => {
  r = await loadHillstrom(testDb(), { file: FILE, slug: `hillstrom-${Date.now().toString(36)}` });
}, 120_000);

describe("Hillstrom through the product", () => {
  it("imports 64,000 members into three arms, No E-Mail the control", () => {
    expect(r.members).toBe(64000);
    expect(r.import.errors).toEqual([]);
    expect(r.import.imported).toBe(64000);
    const arms = Object.fromEntries(r.report.arms.map((a) => [a.arm, a.n]));
    expect(arms).toEqual({ "No E-Mail": 21306, "Mens E-Mail": 21307, "Womens E-Mail": 21387 });
    expect(r.report.arms.find((a) => a.control)?.arm).toBe(HILLSTROM_CONTROL);
  });

  it("gives the published spend per customer and the published lifts with their Welch t", () => {
    const mean = (arm: string) => r.report.arms.find((a) => a.arm === arm)!.revenue.mean / 100;
    expect(mean("Mens E-Mail")).toBeCloseTo(1.4226, 4);
    expect(mean("Womens E-Mail")).toBeCloseTo(1.0772, 4);
    expect(mean("No E-Mail")).toBeCloseTo(0.6528, 4);

    const mens = r.report.comparisons.find((c) => c.arm === "Mens E-Mail")!;
    const womens = r.report.comparisons.find((c) => c.arm === "Womens E-Mail")!;
    expect((mens.revenue.lift / 100).toFixed(3)).toBe("0.770");
    expect(mens.revenue.t.toFixed(2)).toBe("5.30");
    expect((womens.revenue.lift / 100).toFixed(3)).toBe("0.424");
    expect(womens.revenue.t.toFixed(2)).toBe("3.26");
    expect(mens.revenue.pValue).toBeLessThan(1e-6);
    expect(womens.revenue.pValue).toBeLessThan(0.002);
    // At 100% margin and no program cost, the net value per member is the spend.
    expect(mens.value.lift).toBeCloseTo(mens.revenue.lift, 6);
    expect(mens.total.lift).toBeCloseTo(mens.value.lift * 21307, 3);
  });

  it("adds the CUPED variant on prior-year spend: a positive θ, some variance removed, the same effect", () => {
    for (const c of r.report.comparisons) {
      expect(c.revenueCuped.theta).toBeGreaterThan(0);
      expect(c.revenueCuped.varianceReduction).toBeGreaterThan(0);
      expect(c.revenueCuped.varianceReduction).toBeLessThan(0.05);
      expect(c.revenueCuped.se).toBeLessThan(c.revenue.se);
      expect(Math.abs(c.revenueCuped.lift - c.revenue.lift)).toBeLessThan(2 * c.revenue.se);
      expect(c.revenueCuped.ci95[0]).toBeGreaterThan(0);
    }
  });

  it("re-importing the same assignments changes nothing; a line moving a member to another arm is reported", async () => {
    const dir = fs.mkdtempSync(path.join(process.cwd(), ".tmp-hillstrom-"));
    try {
      const file = path.join(dir, "a.csv");
      fs.writeFileSync(file, "customer_id,arm\nhillstrom-1,Womens E-Mail\nhillstrom-2,No E-Mail\nhillstrom-3,Mens E-Mail\nnobody,Mens E-Mail\nhillstrom-4,\n");
      const again = await importAssignmentsFromFile(testDb(), r.merchantId, { campaign: r.report.experiment.id, file, control: HILLSTROM_CONTROL, actor: { type: "system", id: "test" } });
      // Rows 1–3 of the data set are Womens, No E-Mail, Womens: line 4 would move hillstrom-3.
      expect(again.imported).toBe(0);
      expect(again.unchanged).toBe(2);
      expect(again.errors.map((e) => e.line)).toEqual([4, 5, 6]);
      expect(again.errors[0]!.message).toMatch(/already in arm "Womens E-Mail"/);
      expect(again.errors[1]!.message).toMatch(/no member/);
      const report = await withTenant(testDb(), r.merchantId, (trx) => buildIncrementalityReport(trx, r.merchantId, r.report.experiment.id, { windowDays: 14 }));
      expect(report.arms.map((a) => a.n)).toEqual(r.report.arms.map((a) => a.n));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
