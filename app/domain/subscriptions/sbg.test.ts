import { describe, expect, it } from "vitest";
import { readFixture, SBG_RETENTION } from "../../../tests/fixtures";
import {
  churnProbability,
  cohortData,
  derl,
  discountedExpectedLifetime,
  fitSbg,
  mergeData,
  periodDiscountRate,
  retentionRate,
  sbgLogLikelihood,
  survival,
} from "./sbg";

/** Fader & Hardie (2007), Table 1: survivors at the start of years 0–12 (tests/fixtures/cltv/PROVENANCE.md). */
function published(): { regular: number[]; highEnd: number[] } {
  const rows = readFixture(SBG_RETENTION)
    .trim()
    .split("\n")
    .slice(1)
    .map((l) => l.split(",").map(Number));
  return { regular: rows.map((r) => r[1]!), highEnd: rows.map((r) => r[2]!) };
}

/** Σ_{k≥0} S(n + k)/S(n − 1) · (1 + d)^−k, summed until the terms vanish: DERL by its definition. */
function derlBySum(p: { alpha: number; beta: number }, d: number, renewals: number): number {
  const n = renewals + 1;
  let sum = 0;
  // S(n + k)/S(n − 1) as the running product of the retention rates r(n) … r(n + k).
  let alive = 1;
  for (let k = 0; k < 200_000; k++) {
    alive *= retentionRate(p, n + k);
    sum += alive * Math.pow(1 + d, -k);
  }
  return sum;
}

describe("sBG (Fader & Hardie 2007)", () => {
  it("reproduces the paper's fits on years 0–7: regular α 0.704 β 1.182 LL −1680.3; high end α 0.668 β 3.806 LL −1611.2", () => {
    const { regular, highEnd } = published();
    const reg = fitSbg(cohortData(regular.slice(0, 8)));
    const high = fitSbg(cohortData(highEnd.slice(0, 8)));
    expect(reg.converged && high.converged).toBe(true);
    expect(reg.alpha).toBeCloseTo(0.704, 3);
    expect(reg.beta).toBeCloseTo(1.182, 3);
    expect(reg.logLikelihood).toBeCloseTo(-1680.3, 1);
    expect(high.alpha).toBeCloseTo(0.668, 3);
    expect(high.beta).toBeCloseTo(3.806, 3);
    expect(high.logLikelihood).toBeCloseTo(-1611.2, 1);
    expect(reg.n).toBe(1000);
    expect(reg.uncertainty.ridge).toBe(false);
  });

  it("projects years 8–12 of the holdout within 2% of the cohort, where one constant churn rate misses by far more", () => {
    const { regular, highEnd } = published();
    for (const series of [regular, highEnd]) {
      const fit = fitSbg(cohortData(series.slice(0, 8)));
      // Geometric (one churn rate for all) fitted to the same years: θ̂ = churns / exposures.
      const churns = 1000 - series[7]!;
      const exposures = series.slice(0, 7).reduce((s, v) => s + v, 0);
      const theta = churns / exposures;
      for (let t = 8; t <= 12; t++) {
        const sbgError = Math.abs(1000 * survival(fit, t) - series[t]!);
        expect(sbgError).toBeLessThan(20);
        expect(Math.abs(1000 * Math.pow(1 - theta, t) - series[t]!)).toBeGreaterThan(3 * sbgError);
      }
      // Retention rises with tenure under heterogeneity.
      for (let t = 2; t <= 12; t++) expect(retentionRate(fit, t)).toBeGreaterThan(retentionRate(fit, t - 1));
    }
  });

  it("is a proper distribution: P(T = t) sums with S(k) to 1, S follows r, and the likelihood's gradient is right", () => {
    const p = { alpha: 0.668, beta: 3.806 };
    let mass = 0;
    for (let t = 1; t <= 30; t++) mass += churnProbability(p, t);
    expect(mass + survival(p, 30)).toBeCloseTo(1, 12);
    expect(churnProbability(p, 1)).toBeCloseTo(p.alpha / (p.alpha + p.beta), 14);
    for (let t = 1; t <= 10; t++) expect(survival(p, t)).toBeCloseTo(survival(p, t - 1) * retentionRate(p, t), 14);

    const data = mergeData(cohortData([500, 400, 330, 290]), cohortData([800, 700]), cohortData([300, 200, 150, 120, 100, 90]));
    const h = 1e-6;
    const at = (la: number, lb: number) => sbgLogLikelihood({ alpha: Math.exp(la), beta: Math.exp(lb) }, data).ll;
    const g = sbgLogLikelihood(p, data);
    const la = Math.log(p.alpha);
    const lb = Math.log(p.beta);
    expect(g.dLnAlpha).toBeCloseTo((at(la + h, lb) - at(la - h, lb)) / (2 * h), 4);
    expect(g.dLnBeta).toBeCloseTo((at(la, lb + h) - at(la, lb - h)) / (2 * h), 4);
  });

  it("recovers known parameters from simulated cohorts of different lengths (multi-cohort likelihood)", () => {
    // Expected counts (not a draw) of cohorts observed for 12, 9, 6 and 3 months at α = 1.2, β = 6: the MLE of the
    // expectation is the truth.
    const truth = { alpha: 1.2, beta: 6 };
    const cohorts = [12, 9, 6, 3].map((k) => Array.from({ length: k + 1 }, (_, t) => 1e6 * survival(truth, t)));
    const data = mergeData(
      ...cohorts.map((s) => ({
        churned: s.slice(1).map((v, i) => s[i]! - v),
        alive: s.slice(1).map((v, i) => (i === s.length - 2 ? v : 0)),
      })),
    );
    const fit = fitSbg(data);
    expect(fit.alpha).toBeCloseTo(1.2, 4);
    expect(fit.beta).toBeCloseTo(6, 3);
  });

  it("DERL equals its defining sum, DEL = ₂F₁(1, β; α + β; 1/(1 + d)) = 1 + DERL(0)/(1 + d), and the homogeneous limit is geometric", () => {
    const high = { alpha: 0.668, beta: 3.806 };
    const reg = { alpha: 0.704, beta: 1.182 };
    for (const p of [high, reg]) {
      for (const renewals of [0, 1, 4, 9]) expect(derl(p, 0.1, renewals)).toBeCloseTo(derlBySum(p, 0.1, renewals), 8);
      expect(discountedExpectedLifetime(p, 0.1)).toBeCloseTo(1 + derl(p, 0.1, 0) / 1.1, 10);
    }
    // Loyal survivors are worth more: DERL rises with tenure.
    expect(derl(high, 0.1, 4)).toBeGreaterThan(derl(high, 0.1, 0));
    // θ fixed at 0.2 with α + β → ∞: geometric lifetime, DERL = (1 − θ)(1 + d)/(d + θ).
    const homogeneous = { alpha: 0.2 * 1e7, beta: 0.8 * 1e7 };
    expect(derl(homogeneous, 0.1, 3)).toBeCloseTo((0.8 * 1.1) / 0.3, 4);
    // Monthly rate equivalent to 10% a year, and a monthly DERL still converges (z close to 1).
    const monthly = periodDiscountRate(0.1, 12);
    expect(Math.pow(1 + monthly, 12)).toBeCloseTo(1.1, 12);
    expect(derl(reg, monthly, 0)).toBeCloseTo(derlBySum(reg, monthly, 0), 5);
  });

  it("refuses what it cannot fit or discount", () => {
    expect(() => fitSbg({ churned: [], alive: [] })).toThrow();
    expect(() => cohortData([100, 120])).toThrow();
    expect(() => derl({ alpha: 1, beta: 1 }, 0, 0)).toThrow();
  });
});
