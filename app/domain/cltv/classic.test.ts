import { describe, expect, it } from "vitest";
import { classicFigures } from "./classic";

describe("classic CLV formulas", () => {
  const base = {
    revenueMinor: 1_000_000, // $10,000 in the last year
    orders: 400,
    activeCustomers: 200,
    priorCustomers: 100,
    retainedCustomers: 60, // 40% churn → 2.5-year lifetime
    grossMargin: 0.4,
    acquisitionCostMinor: 2_000,
    retentionCostMinorPerYear: 500,
  };

  it("computes every figure from its inputs", () => {
    const f = classicFigures(base);
    expect(f.arpuMinor).toBe(5_000);
    expect(f.averageOrderMinor).toBe(2_500);
    expect(f.purchaseFrequency).toBe(2);
    expect(f.annualChurn).toBeCloseTo(0.4, 12);
    expect(f.expectedLifetime).toBeCloseTo(2.5, 12);
    // ARPU × margin × lifetime = 5,000 × 0.4 × 2.5
    expect(f.arpuFormulaMinor).toBe(5_000);
    // LTV = 2,500 × 2 × 2.5; net of 2,000 + 500 × 2.5; CLV = LTV × 0.4
    expect(f.ltvMinor).toBe(12_500);
    expect(f.ltvNetOfCostsMinor).toBe(9_250);
    expect(f.clvMinor).toBe(5_000);
  });

  it("leaves lifetime-based figures empty when churn cannot be measured or is zero", () => {
    for (const f of [classicFigures({ ...base, priorCustomers: 0, retainedCustomers: 0 }), classicFigures({ ...base, retainedCustomers: 100 })]) {
      expect(f.expectedLifetime).toBeNull();
      expect(f.arpuFormulaMinor).toBeNull();
      expect(f.ltvMinor).toBeNull();
      expect(f.clvMinor).toBeNull();
      expect(f.arpuMinor).toBe(5_000);
    }
    const empty = classicFigures({ ...base, revenueMinor: 0, orders: 0, activeCustomers: 0 });
    expect(empty).toMatchObject({ arpuMinor: null, averageOrderMinor: null, purchaseFrequency: null });
  });
});
