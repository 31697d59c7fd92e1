import path from "node:path";
import { describe, expect, it } from "vitest";
import { CDNOW_SAMPLE, readFixture } from "../../../tests/fixtures";
import {
  bgbbConditionalExpectedPurchases,
  bgbbExpectedPurchases,
  bgbbLogLikelihood,
  bgbbProbabilityAlive,
  bgbbProbabilityOfPurchases,
  bgbbTotalLogLikelihood,
  discreteSummary,
  fitBgBb,
} from "./bgbb";
import type { CompressedRow } from "./summary";

// Where the numbers come from:
//  [FHS]  Fader, Hardie & Shang (2010), Marketing Science 29(6): the 1995 donor cohort, 6 opportunities (1996–2001).
//  [LT]   CamDavidsonPilon/lifetimes, lifetimes/tests/test_estimation.py, class TestBetaGeoBetaBinomFitter:
//         test_params_out_is_close_to_Hardie_paper (α 1.204, β 0.750, γ 0.657, δ 2.783, decimal=2),
//         test_prob_alive_is_close_to_Hardie_paper_table_6 (P(alive in 2002) 0.11, 0.59, 0.93 for (x, t_x) = (0, 0),
//         (2, 4), (6, 6), decimal=2), test_conditional_expectation_returns_same_value_as_Hardie_excel_sheet
//         (Σ E[X(6, 11)] = 12,884.2, decimal=0), test_expected_purchases_in_n_periods_returns_same_value_as_Hardie_excel_sheet
//         (11,104 · P(X(6) = 0) = 3,454.9 and · P(X(6) = 6) = 1,253.1, decimal=0).
// numpy's assert_almost_equal(decimal=d) is |Δ| < 1.5 · 10^−d.
function donations(): CompressedRow[] {
  return readFixture(path.join(path.dirname(CDNOW_SAMPLE), "bgbb_donations_fader_hardie_shang_2010.csv"))
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => {
      const [x = NaN, tx = NaN, n = NaN, weight = NaN] = l.split(",").map(Number);
      return { x, tx, T: n, weight };
    });
}

describe("BG/BB on the donations data [FHS][LT]", () => {
  const rows = donations();
  const fit = fitBgBb(rows);

  it("fits α, β, γ, δ to the paper's values", () => {
    expect(fit.customers).toBe(11104);
    expect(fit.converged).toBe(true);
    expect(Math.abs(fit.alpha - 1.204)).toBeLessThan(1.5e-2);
    expect(Math.abs(fit.beta - 0.75)).toBeLessThan(1.5e-2);
    expect(Math.abs(fit.gamma - 0.657)).toBeLessThan(1.5e-2);
    expect(Math.abs(fit.delta - 2.783)).toBeLessThan(1.5e-2);
  });

  it("P(alive in 2002) matches the paper's table 6", () => {
    expect(Math.abs(bgbbProbabilityAlive(fit, 0, 0, 6) - 0.11)).toBeLessThan(1.5e-2);
    expect(Math.abs(bgbbProbabilityAlive(fit, 2, 4, 6) - 0.59)).toBeLessThan(1.5e-2);
    expect(Math.abs(bgbbProbabilityAlive(fit, 6, 6, 6) - 0.93)).toBeLessThan(1.5e-2);
  });

  it("expected donations 2002–2006 total Hardie's spreadsheet's 12,884.2", () => {
    const total = rows.reduce((s, r) => s + r.weight * bgbbConditionalExpectedPurchases(fit, 5, r.x, r.tx, r.T), 0);
    expect(Math.abs(total - 12884.2)).toBeLessThan(1.5);
  });

  it("P(X(6) = 0) and P(X(6) = 6) give the in-sample fit sheet's 3,454.9 and 1,253.1 donors", () => {
    expect(Math.abs(11104 * bgbbProbabilityOfPurchases(fit, 6, 0) - 3454.9)).toBeLessThan(1.5);
    expect(Math.abs(11104 * bgbbProbabilityOfPurchases(fit, 6, 6) - 1253.1)).toBeLessThan(1.5);
    // The distribution sums to one, and its mean is E[X(6)].
    const probs = [0, 1, 2, 3, 4, 5, 6].map((x) => bgbbProbabilityOfPurchases(fit, 6, x));
    expect(probs.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 10);
    expect(probs.reduce((s, p, x) => s + x * p, 0)).toBeCloseTo(bgbbExpectedPurchases(fit, 6), 10);
  });
});

describe("BG/BB expressions", () => {
  const p = { alpha: 1.2, beta: 0.75, gamma: 0.66, delta: 2.8 };

  it("the likelihood sums to one over every (x, t_x) possible in n opportunities", () => {
    for (const n of [0, 1, 3, 6]) {
      let total = Math.exp(bgbbLogLikelihood(p, 0, 0, n));
      // (x, t_x) with 1 ≤ x ≤ t_x ≤ n: C(t_x − 1, x − 1) purchase patterns each.
      for (let tx = 1; tx <= n; tx++) {
        for (let x = 1; x <= tx; x++) {
          const ways = Math.round(Math.exp(lnFactorial(tx - 1) - lnFactorial(x - 1) - lnFactorial(tx - x)));
          total += ways * Math.exp(bgbbLogLikelihood(p, x, tx, n));
        }
      }
      expect(total).toBeCloseTo(1, 10);
    }
  });

  it("returns the limit at γ = 1 (no NaN), continuous on both sides", () => {
    const at = bgbbConditionalExpectedPurchases({ ...p, gamma: 1 }, 5, 3, 5, 6);
    expect(Number.isFinite(at)).toBe(true);
    expect(at).toBeCloseTo(bgbbConditionalExpectedPurchases({ ...p, gamma: 1 + 1e-4 }, 5, 3, 5, 6), 3);
    expect(at).toBeCloseTo(bgbbConditionalExpectedPurchases({ ...p, gamma: 1 - 1e-4 }, 5, 3, 5, 6), 3);
    expect(bgbbExpectedPurchases({ ...p, gamma: 1 }, 6)).toBeCloseTo(bgbbExpectedPurchases({ ...p, gamma: 1 + 1e-4 }, 6), 3);
  });

  it("summarises purchase days into opportunities: one purchase per period, the running one left out", () => {
    // Yearly periods from day 0: purchases on days 0, 10 (same opportunity), 400 (opportunity 1), 1100 (opportunity 3).
    expect(discreteSummary([0, 10, 400, 1100], 1500, 365)).toEqual({ x: 2, tx: 3, T: 3 });
    // On day 1,300 opportunity 3 (days 1,095–1,459) is still running: its purchase waits.
    expect(discreteSummary([0, 10, 400, 1100], 1300, 365)).toEqual({ x: 1, tx: 1, T: 2 });
    // Day 1,459 is the last day of opportunity 3: complete on it, not on the day before.
    expect(discreteSummary([0, 400], 1458, 365)).toEqual({ x: 1, tx: 1, T: 2 });
    expect(discreteSummary([0, 400], 1459, 365)).toEqual({ x: 1, tx: 1, T: 3 });
    expect(discreteSummary([5], 5, 7)).toEqual({ x: 0, tx: 0, T: 0 });
  });
});

function lnFactorial(k: number): number {
  let s = 0;
  for (let i = 2; i <= k; i++) s += Math.log(i);
  return s;
}

describe("BG/BB total log-likelihood", () => {
  it("equals the sum of the per-customer likelihoods (its shared-term tables are right)", () => {
    const p = { alpha: 1.3, beta: 0.8, gamma: 0.7, delta: 2.5 };
    const rows = [
      { x: 0, tx: 0, T: 0, weight: 2 },
      { x: 0, tx: 0, T: 9, weight: 3 },
      { x: 2, tx: 5, T: 9, weight: 1 },
      { x: 7, tx: 9, T: 12, weight: 4 },
      { x: 1, tx: 1, T: 1, weight: 1 },
    ];
    const direct = rows.reduce((s, r) => s + r.weight * bgbbLogLikelihood(p, r.x, r.tx, r.T), 0);
    expect(bgbbTotalLogLikelihood(p, rows)).toBeCloseTo(direct, 10);
  });
});
