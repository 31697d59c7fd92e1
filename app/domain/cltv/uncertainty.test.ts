import { describe, expect, it } from "vitest";
import { seededRng } from "~/lib/random";
import { cdnowSampleCustomers } from "../../../tests/support/cdnow-rows";
import { bgnbdFromLog, bgnbdNegLogLikelihood, conditionalExpectedPurchases, fitBgNbd, probabilityAlive } from "./bgnbd";
import { fitMbgNbd, mbgnbdNegLogLikelihoodWithGradient } from "./mbgnbd";
import { fitParetoNbd, paretoNbdNegLogLikelihood } from "./pareto-nbd";
import { compress, type CompressedRow } from "./summary";
import { bootstrapIntervals, inverseSpd, numericalHessian, parameterUncertainty } from "./uncertainty";

const customers = cdnowSampleCustomers();
const rows = compress(customers);

/** Nonparametric bootstrap of the data: resample customers with replacement, refit, SD of each ln θ. */
function dataBootstrapLogSds(fit: (rows: CompressedRow[]) => number[], replicates: number, seed: number): number[] {
  const rng = seededRng(seed);
  const estimates: number[][] = [];
  for (let b = 0; b < replicates; b++) {
    const resampled = Array.from({ length: customers.length }, () => customers[Math.floor(rng() * customers.length)]!);
    estimates.push(fit(compress(resampled)));
  }
  return estimates[0]!.map((_, i) => {
    const values = estimates.map((e) => e[i]!);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
  });
}

describe("parameter standard errors on the CDNOW sample", () => {
  // No published SEs for these fits exist in lifetimes' tests or the papers, so the check is the issue's fallback: a
  // bootstrap of the data (40 seeded replicates; the SD of an SD from 40 draws is ≈ 11%, the tolerance 35% is ≈ 3σ).
  it("BG/NBD: inverse-Hessian SEs agree with a bootstrap of the customers", () => {
    const fit = fitBgNbd(rows);
    const u = parameterUncertainty((v) => bgnbdNegLogLikelihood(v, rows), fit.logParams);
    expect(u.ridge).toBe(false);
    const boot = dataBootstrapLogSds((r) => fitBgNbd(r).logParams, 40, 1601);
    u.logStandardErrors.forEach((se, i) => expect(Math.abs(se / boot[i]! - 1)).toBeLessThan(0.35));
    // Delta method: SE(θ) = θ·SE(ln θ).
    expect(u.standardErrors[0]).toBeCloseTo(fit.r * u.logStandardErrors[0]!, 12);
    console.info(`BG/NBD SE(r, α, a, b) = ${u.standardErrors.map((s) => s.toFixed(4)).join(", ")}; SE(ln θ) Hessian ${u.logStandardErrors.map((s) => s.toFixed(3)).join(", ")} vs bootstrap ${boot.map((s) => s.toFixed(3)).join(", ")}`);
  }, 120_000);

  it("MBG/NBD: inverse-Hessian SEs agree with a bootstrap of the customers", () => {
    const fit = fitMbgNbd(rows);
    const u = parameterUncertainty((v) => mbgnbdNegLogLikelihoodWithGradient(v, rows).f, fit.logParams);
    expect(u.ridge).toBe(false);
    const boot = dataBootstrapLogSds((r) => fitMbgNbd(r).logParams, 40, 1602);
    u.logStandardErrors.forEach((se, i) => expect(Math.abs(se / boot[i]! - 1)).toBeLessThan(0.35));
    console.info(`MBG/NBD SE(r, α, a, b) = ${u.standardErrors.map((s) => s.toFixed(4)).join(", ")}; SE(ln θ) Hessian ${u.logStandardErrors.map((s) => s.toFixed(3)).join(", ")} vs bootstrap ${boot.map((s) => s.toFixed(3)).join(", ")}`);
  }, 120_000);

  it("Pareto/NBD: finite, positive definite, not a ridge", () => {
    const fit = fitParetoNbd(rows);
    const u = parameterUncertainty((v) => paretoNbdNegLogLikelihood(v, rows), fit.logParams);
    expect(u.ridge).toBe(false);
    expect(u.standardErrors.every((s) => s > 0 && Number.isFinite(s))).toBe(true);
    console.info(`Pareto/NBD SE(r, α, s, β) = ${u.standardErrors.map((s) => s.toFixed(4)).join(", ")}`);
  }, 60_000);

  it("the numerical Hessian of a quadratic is exact, and its inverse is the inverse", () => {
    const A = [[4, 1, 0.5], [1, 3, 0.2], [0.5, 0.2, 2]];
    const f = (v: readonly number[]) => 0.5 * A.reduce((s, row, i) => s + row.reduce((t, aij, j) => t + v[i]! * aij * v[j]!, 0), 0);
    const H = numericalHessian(f, [0.3, -0.2, 1]);
    H.forEach((row, i) => row.forEach((h, j) => expect(h).toBeCloseTo(A[i]![j]!, 6)));
    const inv = inverseSpd(A)!;
    A.forEach((row, i) => row.forEach((_, j) => expect(row.reduce((s, aik, k) => s + aik * inv[k]![j]!, 0)).toBeCloseTo(i === j ? 1 : 0, 12)));
    expect(inverseSpd([[1, 2], [2, 1]])).toBeNull();
  });

  it("flags a ridge on a tiny merchant (12 customers, 2 of them repeat buyers)", () => {
    const tiny = compress([
      ...Array.from({ length: 10 }, (_, i) => ({ x: 0, tx: 0, T: 20 + i })),
      { x: 1, tx: 5, T: 30 },
      { x: 3, tx: 25, T: 31 },
    ]);
    const fit = fitBgNbd(tiny);
    expect(parameterUncertainty((v) => bgnbdNegLogLikelihood(v, tiny), fit.logParams).ridge).toBe(true);
  });
});

describe("intervals by a parametric bootstrap over the parameter covariance", () => {
  const fit = fitBgNbd(rows);
  const u = parameterUncertainty((v) => bgnbdNegLogLikelihood(v, rows), fit.logParams);
  const cov = u.logCovariance!;
  const predict = (v: readonly number[]) => {
    const p = bgnbdFromLog(v);
    return [conditionalExpectedPurchases(p, 39, 2, 30.43, 38.86), probabilityAlive(p, 2, 30.43, 38.86)];
  };

  it("is seeded, brackets the estimate, and its spread matches the delta method", () => {
    const a = bootstrapIntervals(fit.logParams, cov, predict, { draws: 4000, seed: 7 });
    const b = bootstrapIntervals(fit.logParams, cov, predict, { draws: 4000, seed: 7 });
    expect(a).toEqual(b);
    expect(a.skipped).toBe(0);
    for (const iv of a.intervals) expect(iv.lower < iv.estimate && iv.estimate < iv.upper).toBe(true);
    expect(a.intervals[0]!.estimate).toBeCloseTo(1.226, 2);
    // Delta method: var ≈ ∇gᵀ Σ ∇g (gradient by central differences); the 95% width ≈ 2·1.96·SD.
    predict(fit.logParams).forEach((g0, k) => {
      const grad = fit.logParams.map((_, i) => {
        const up = fit.logParams.slice();
        const down = fit.logParams.slice();
        up[i]! += 1e-5;
        down[i]! -= 1e-5;
        return (predict(up)[k]! - predict(down)[k]!) / 2e-5;
      });
      const sd = Math.sqrt(grad.reduce((s, gi, i) => s + gi * grad.reduce((t, gj, j) => t + cov[i]![j]! * gj, 0), 0));
      const iv = a.intervals[k]!;
      expect(Math.abs((iv.upper - iv.lower) / (2 * 1.96 * sd) - 1)).toBeLessThan(0.1);
      expect(g0).toBe(iv.estimate);
    });
  });

  it("covers a linear function of the parameters at its nominal level", () => {
    const { intervals } = bootstrapIntervals(fit.logParams, cov, (v) => [v[0]!], { draws: 20000, seed: 3 });
    const iv = intervals[0]!;
    const se = u.logStandardErrors[0]!;
    expect((iv.upper - fit.logParams[0]!) / se).toBeCloseTo(1.96, 1);
    expect((fit.logParams[0]! - iv.lower) / se).toBeCloseTo(1.96, 1);
  });
});
