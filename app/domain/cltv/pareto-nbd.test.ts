import { describe, expect, it } from "vitest";
import { cdnowSampleCustomers, cdnowSampleRows } from "../../../tests/support/cdnow-rows";
import {
  fitParetoNbd,
  logA0,
  paretoNbdConditionalExpectedPurchases,
  paretoNbdExpectedPurchases,
  paretoNbdLogLikelihood,
  paretoNbdProbabilityAlive,
  paretoNbdTotalLogLikelihood,
} from "./pareto-nbd";

// Where the numbers come from:
//  [FHL]  Fader, Hardie & Lee (2005) / Hardie's Pareto/NBD notes, as restated in cltv-reference.md: r 0.553, α 10.578,
//         s 0.606, β 11.669, LL −9594.97 on the CDNOW sample.
//  [LT]   CamDavidsonPilon/lifetimes, lifetimes/tests/test_estimation.py, class TestParetoNBDFitter:
//         test_params_out_is_close_to_Hardie_paper (decimal=2), test_expectation_returns_same_value_as_R_BTYD
//         (atol 0.01, the values from the R BTYD manual), test_conditional_expectation_returns_same_value_as_R_BTYD
//         (25.46 ± 0.01), test_conditional_probability_alive (0.9979 ± 0.001 at r 0.5534, α 10.5802, s 0.6061,
//         β 11.6562, from the BTYD walkthrough p. 8), test_conditional_expectation_underflow (|Δ| < 0.05).
const BTYD_PARAMS = { r: 0.5534, alpha: 10.5802, s: 0.6061, beta: 11.6562 };

describe("Pareto/NBD on the CDNOW sample", () => {
  const rows = cdnowSampleRows();
  const fit = fitParetoNbd(rows);

  it("fits r, α, s, β and the log-likelihood to the published values [FHL][LT]", () => {
    expect(fit.customers).toBe(2357);
    expect(fit.converged).toBe(true);
    // lifetimes' tolerance: assert_array_almost_equal(decimal=2), i.e. |Δ| < 1.5e-2.
    expect(Math.abs(fit.r - 0.553)).toBeLessThan(1.5e-2);
    expect(Math.abs(fit.alpha - 10.578)).toBeLessThan(1.5e-2);
    expect(Math.abs(fit.s - 0.606)).toBeLessThan(1.5e-2);
    expect(Math.abs(fit.beta - 11.669)).toBeLessThan(1.5e-2);
    expect(fit.logLikelihood).toBeCloseTo(-9594.97, 1);
  });

  it("unconditional E[X(t)], t = 0..9, matches R BTYD to 0.01 [LT]", () => {
    const want = [0, 0.05077821, 0.09916088, 0.14542507, 0.1897993, 0.23247466, 0.27361274, 0.31335159, 0.35181024, 0.38909211];
    want.forEach((w, t) => expect(Math.abs(paretoNbdExpectedPurchases(fit, t) - w)).toBeLessThan(0.01));
  });

  it("customer x=26, t_x=30.86, T=31: E[X(52)] = 25.46 and P(alive) = 0.9979 [LT]", () => {
    expect(Math.abs(paretoNbdConditionalExpectedPurchases(fit, 52, 26, 30.86, 31) - 25.46)).toBeLessThan(0.01);
    expect(Math.abs(paretoNbdProbabilityAlive(BTYD_PARAMS, 26, 30.86, 31) - 0.9979)).toBeLessThan(0.001);
  });

  it("does not underflow for heavy buyers [LT]", () => {
    const p = { alpha: 10.58, beta: 11.67, r: 0.55, s: 0.61 };
    const left = paretoNbdConditionalExpectedPurchases(p, 10, 132, 200, 200);
    const right = paretoNbdConditionalExpectedPurchases(p, 10, 133, 200, 200);
    expect(Number.isFinite(left) && Number.isFinite(right)).toBe(true);
    expect(Math.abs(left - right)).toBeLessThan(0.05);
    // lifetimes' own values in that test's comments.
    expect(left).toBeCloseTo(6.2060517889632418, 6);
    expect(right).toBeCloseTo(6.2528722475748113, 6);
    // P(alive) stays in [0, 1] and finite where the powers overflow (lifetimes' overflow test parameters).
    const wild = { r: 10.465, alpha: 7.98565181e-3, s: 3.0516, beta: 2.82 };
    for (const [x, tx, T] of [[40, 5, 6], [50, 1, 37], [50, 4, 37], [400, 5, 6]] as const) {
      const pa = paretoNbdProbabilityAlive(wild, x, tx, T);
      expect(pa).toBeGreaterThanOrEqual(0);
      expect(pa).toBeLessThanOrEqual(1);
    }
  });

  it("A₀ in the ₂F₁ form equals the integral it stands for (Simpson's rule), on both sides of α = β", () => {
    const simpson = (p: typeof BTYD_PARAMS, x: number, tx: number, T: number) => {
      const f = (tau: number) => (p.r + p.s + x) * Math.pow(p.alpha + tau, -(p.r + x)) * Math.pow(p.beta + tau, -(p.s + 1));
      const n = 2000;
      const h = (T - tx) / n;
      let sum = f(tx) + f(T);
      for (let i = 1; i < n; i++) sum += (i % 2 ? 4 : 2) * f(tx + i * h);
      return (sum * h) / 3;
    };
    for (const p of [BTYD_PARAMS, { r: 0.7, alpha: 20, s: 1.3, beta: 3 }, { r: 0.7, alpha: 5, s: 1.3, beta: 5 }]) {
      for (const [x, tx, T] of [[0, 0, 30], [3, 10, 38], [12, 35.5, 36]] as const) {
        const want = simpson(p, x, tx, T);
        expect(Math.abs(Math.exp(logA0(p, x, tx, T)) - want) / want).toBeLessThan(1e-8);
      }
    }
  });

  it("the compressed weighted total equals the per-customer sum", () => {
    const perCustomer = cdnowSampleCustomers().reduce((s, c) => s + paretoNbdLogLikelihood(fit, c.x, c.tx, c.T), 0);
    expect(paretoNbdTotalLogLikelihood(fit, rows)).toBeCloseTo(perCustomer, 6);
  });

  it("s = 1 is not a singularity: expectations at s = 1 are the limit of their neighbours, never NaN", () => {
    const at = { ...BTYD_PARAMS, s: 1 };
    const e = paretoNbdConditionalExpectedPurchases(at, 52, 3, 20, 38);
    const u = paretoNbdExpectedPurchases(at, 52);
    expect(Number.isFinite(e) && Number.isFinite(u)).toBe(true);
    for (const d of [1e-9, 1e-7]) {
      expect(paretoNbdConditionalExpectedPurchases({ ...at, s: 1 + d }, 52, 3, 20, 38)).toBeCloseTo(e, 6);
      expect(paretoNbdConditionalExpectedPurchases({ ...at, s: 1 - d }, 52, 3, 20, 38)).toBeCloseTo(e, 6);
      expect(paretoNbdExpectedPurchases({ ...at, s: 1 - d }, 52)).toBeCloseTo(u, 6);
    }
    // The closed form of the limit: r·β/α · ln((β+t)/β).
    expect(u).toBeCloseTo(((at.r * at.beta) / at.alpha) * Math.log((at.beta + 52) / at.beta), 12);
  });
});
