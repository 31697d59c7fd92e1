import { describe, expect, it } from "vitest";
import { cdnowSampleCustomers, cdnowSampleRows } from "../../../tests/support/cdnow-rows";
import {
  fitMbgNbd,
  mbgnbdConditionalExpectedPurchases,
  mbgnbdExpectedPurchases,
  mbgnbdLogLikelihood,
  mbgnbdNegLogLikelihoodWithGradient,
  mbgnbdProbabilityAlive,
  mbgnbdTotalLogLikelihood,
} from "./mbgnbd";

// Where the numbers come from:
//  [LT] CamDavidsonPilon/lifetimes, lifetimes/tests/test_estimation.py, class TestModifiedBetaGammaFitter:
//       test_params_out_is_close_to_BTYDplus — r 0.525, α 6.183, a 0.891, b 1.614 (decimal=3, values from
//       mplatzer/BTYDplus); test_conditional_expectation_returns_same_value_as_Hardie_excel_sheet — 1.226 ± 0.05 for
//       x=2, t_x=30.43, T=38.86, t=39; test_expectation_returns_same_value_Hardie_excel_sheet — Hardie's BG/NBD
//       E[X(t)] at rtol 0.05; test_conditional_probability_alive_returns_lessthan_1_if_no_repeat_purchases.
describe("MBG/NBD on the CDNOW sample", () => {
  const rows = cdnowSampleRows();
  const fit = fitMbgNbd(rows);

  it("fits r, α, a, b to BTYDplus's values at lifetimes' tolerance (decimal=3) [LT]", () => {
    expect(fit.converged).toBe(true);
    expect(Math.abs(fit.r - 0.525)).toBeLessThan(1.5e-3);
    expect(Math.abs(fit.alpha - 6.183)).toBeLessThan(1.5e-3);
    expect(Math.abs(fit.a - 0.891)).toBeLessThan(1.5e-3);
    expect(Math.abs(fit.b - 1.614)).toBeLessThan(1.5e-3);
  });

  it("conditional and unconditional expectations are close to Hardie's BG/NBD sheet [LT]", () => {
    expect(Math.abs(mbgnbdConditionalExpectedPurchases(fit, 39, 2, 30.43, 38.86) - 1.226)).toBeLessThan(0.05);
    const times = [0.1429, 1, 3, 31.8571, 32, 78];
    const want = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576];
    times.forEach((t, i) => expect(Math.abs(mbgnbdExpectedPurchases(fit, t) / want[i]! - 1)).toBeLessThan(0.05));
  });

  it("P(alive) < 1 without repeat purchases, in [0, 1] on a grid [LT]", () => {
    expect(mbgnbdProbabilityAlive(fit, 0, 1, 1)).toBeLessThan(1);
    for (let x = 0; x < 100; x += 10) for (let tx = 0; tx < 100; tx += 10) for (let T = tx; T < 100; T += 10) {
      const p = mbgnbdProbabilityAlive(fit, x, tx, T);
      expect(p >= 0 && p <= 1).toBe(true);
    }
  });

  it("the conditional expectation of a customer with no history is the unconditional one", () => {
    for (const t of [1, 10, 52]) expect(mbgnbdConditionalExpectedPurchases(fit, t, 0, 0, 0)).toBeCloseTo(mbgnbdExpectedPurchases(fit, t), 12);
  });

  it("the analytic gradient matches central differences; the compressed total equals the per-customer sum", () => {
    const v = [-0.5, 1.7, -0.2, 0.4];
    const { g } = mbgnbdNegLogLikelihoodWithGradient(v, rows);
    v.forEach((_, i) => {
      const up = v.slice();
      const down = v.slice();
      up[i]! += 1e-6;
      down[i]! -= 1e-6;
      const numeric = (mbgnbdNegLogLikelihoodWithGradient(up, rows).f - mbgnbdNegLogLikelihoodWithGradient(down, rows).f) / 2e-6;
      expect(Math.abs(g[i]! - numeric)).toBeLessThan(1e-3 * Math.max(1, Math.abs(numeric)));
    });
    const perCustomer = cdnowSampleCustomers().reduce((s, c) => s + mbgnbdLogLikelihood(fit, c.x, c.tx, c.T), 0);
    expect(mbgnbdTotalLogLikelihood(fit, rows)).toBeCloseTo(perCustomer, 6);
    expect(fit.logLikelihood).toBeCloseTo(perCustomer, 6);
  });

  it("a = 1 is not a singularity: the expectations at a = 1 are the limit of their neighbours, never NaN", () => {
    const at = { ...fit, a: 1 };
    const e = mbgnbdConditionalExpectedPurchases(at, 39, 2, 30.43, 38.86);
    const u = mbgnbdExpectedPurchases(at, 39);
    expect(Number.isFinite(e) && Number.isFinite(u)).toBe(true);
    for (const d of [1e-3, 1e-6, 1e-9]) {
      for (const a of [1 + d, 1 - d]) {
        expect(Math.abs(mbgnbdConditionalExpectedPurchases({ ...at, a }, 39, 2, 30.43, 38.86) - e)).toBeLessThan(5 * d + 1e-9);
        expect(Math.abs(mbgnbdExpectedPurchases({ ...at, a }, 39) - u)).toBeLessThan(5 * d + 1e-9);
      }
    }
  });
});
