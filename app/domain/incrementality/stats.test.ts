import { describe, expect, it } from "vitest";
import { seededRng, standardNormal } from "~/lib/random";
import {
  complierEffect,
  cuped,
  membersNeededPerArm,
  minimumDetectableEffect,
  summarize,
  welch,
  welchFromSums,
  type ArmSums,
} from "./stats";

function sums(ys: number[], xs: number[] = ys.map(() => 0)): ArmSums {
  let sumY = 0, sumY2 = 0, sumX = 0, sumX2 = 0, sumXY = 0;
  ys.forEach((y, i) => {
    const x = xs[i]!;
    sumY += y; sumY2 += y * y; sumX += x; sumX2 += x * x; sumXY += x * y;
  });
  return { n: ys.length, sumY, sumY2, sumX, sumX2, sumXY };
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const variance = (v: number[]) => {
  const m = mean(v);
  return v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1);
};

describe("Welch's t test", () => {
  it("matches the textbook computation (R: t.test(1:5, c(2,4,6,8,10)) → t = −1.8974, df = 5.882, p = 0.1076)", () => {
    const r = welchFromSums(sums([2, 4, 6, 8, 10]), sums([1, 2, 3, 4, 5]));
    expect(r.lift).toBe(3);
    expect(r.t).toBeCloseTo(1.8974, 4);
    expect(r.df).toBeCloseTo(5.882, 3);
    expect(r.pValue).toBeCloseTo(0.1076, 3);
    // The interval is lift ± t(0.975, df)·SE and excludes 0 exactly when p < 0.05.
    expect(r.ci95[0]).toBeLessThan(0);
    expect(r.ci95[1]).toBeGreaterThan(6);
    expect((r.ci95[0] + r.ci95[1]) / 2).toBeCloseTo(3, 10);
  });

  it("gives p = 0.05 at the critical value t(0.975, 10) = 2.228 (equal arms of 6 with equal variances → df = 10)", () => {
    // Two arms of n = 6 with variance 1: SE = √(2/6); a lift of 2.228·SE sits on the 5% boundary.
    const base = [-1.5, -0.9, -0.3, 0.3, 0.9, 1.5];
    const v = variance(base);
    const scaled = base.map((b) => b / Math.sqrt(v));
    const se = Math.sqrt(2 / 6);
    const shift = 2.228139 * se;
    const r = welchFromSums(sums(scaled.map((s) => s + shift)), sums(scaled));
    expect(r.df).toBeCloseTo(10, 8);
    expect(r.pValue).toBeCloseTo(0.05, 5);
    expect(r.ci95[0]).toBeCloseTo(0, 5);
  });

  it("is undefined with fewer than two members in an arm and exact with no variance", () => {
    expect(Number.isNaN(welchFromSums(sums([1]), sums([1, 2])).pValue)).toBe(true);
    const flat = welchFromSums(sums([3, 3, 3]), sums([3, 3]));
    expect(flat).toMatchObject({ lift: 0, pValue: 1, ci95: [0, 0] });
  });
});

describe("CUPED", () => {
  const rng = seededRng(7);
  const make = (n: number, effect: number) => {
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < n; i++) {
      const x = 50 + 10 * standardNormal(rng);
      xs.push(x);
      ys.push(0.8 * x + effect + 6 * standardNormal(rng));
    }
    return { xs, ys };
  };
  const t = make(4000, 2);
  const c = make(4000, 0);

  it("equals the member-level adjustment Y − θ(X − X̄) with the pooled θ", () => {
    const allX = [...t.xs, ...c.xs];
    const allY = [...t.ys, ...c.ys];
    const mx = mean(allX);
    const my = mean(allY);
    const cov = allX.reduce((a, x, i) => a + (x - mx) * (allY[i]! - my), 0) / (allX.length - 1);
    const theta = cov / variance(allX);
    const adj = (g: { xs: number[]; ys: number[] }) => g.ys.map((y, i) => y - theta * (g.xs[i]! - mx));
    const at = adj(t);
    const ac = adj(c);
    const direct = welch(summarize(at.length, at.reduce((a, b) => a + b, 0), at.reduce((a, b) => a + b * b, 0)), summarize(ac.length, ac.reduce((a, b) => a + b, 0), ac.reduce((a, b) => a + b * b, 0)));

    const r = cuped(sums(t.ys, t.xs), sums(c.ys, c.xs));
    expect(r.theta).toBeCloseTo(theta, 10);
    expect(r.lift).toBeCloseTo(direct.lift, 8);
    expect(r.se).toBeCloseTo(direct.se, 8);
    expect(r.pValue).toBeLessThan(1e-6);
  });

  it("removes about ρ² of the variance and keeps the effect", () => {
    // ρ² = 64 / (64 + 36) = 0.64 by construction.
    const r = cuped(sums(t.ys, t.xs), sums(c.ys, c.xs));
    const plain = welchFromSums(sums(t.ys), sums(c.ys));
    expect(r.varianceReduction).toBeGreaterThan(0.6);
    expect(r.varianceReduction).toBeLessThan(0.68);
    expect(r.se).toBeLessThan(plain.se * 0.65);
    expect(r.ci95[0]).toBeLessThan(2);
    expect(r.ci95[1]).toBeGreaterThan(2);
  });

  it("changes nothing when the covariate is constant", () => {
    const r = cuped(sums([1, 2, 3], [5, 5, 5]), sums([0, 1, 2], [5, 5, 5]));
    expect(r.theta).toBe(0);
    expect(r.varianceReduction).toBe(0);
    expect(r.lift).toBe(1);
  });
});

describe("complier effect, MDE and sample size", () => {
  it("scales the ITT by the difference in join rates", () => {
    const itt = { lift: 2, se: 0.5, t: 4, df: 100, pValue: 0.001, ci95: [1, 3] as [number, number] };
    expect(complierEffect(itt, 0.4, 0)).toEqual({ effect: 5, ci95: [2.5, 7.5], joinRateDifference: 0.4 });
    expect(complierEffect(itt, 0.3, 0.3)).toBeNull();
  });

  it("MDE = (z₀.₉₇₅ + z₀.₈)·SE and n per arm = 2(1.96 + 0.84)²σ²/MDE²", () => {
    const s = { n: 1000, mean: 0, sd: 10 };
    expect(minimumDetectableEffect(s, s)).toBeCloseTo(2.8016 * Math.sqrt(200 / 1000), 3);
    // The textbook rounding (1.96 + 0.84)² = 7.84 gives 1,568 for σ = 10, MDE = 1; exact quantiles 1,570.
    expect(membersNeededPerArm(10, 1)).toBe(1570);
    // Consistency: the MDE at the needed n is the lift asked for.
    const n = membersNeededPerArm(10, 1);
    expect(minimumDetectableEffect({ n, mean: 0, sd: 10 }, { n, mean: 0, sd: 10 })).toBeCloseTo(1, 3);
    expect(Number.isNaN(membersNeededPerArm(10, 0))).toBe(true);
  });
});
