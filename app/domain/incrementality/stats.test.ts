import { describe, expect, it } from "vitest";
import { seededRng, standardNormal } from "~/lib/random";
import {
  complierEffect,
  complierEffectDelta,
  cuped,
  membersNeededPerArm,
  minimumDetectableEffect,
  momentsOf,
  regressionAdjusted,
  sampleRatioMismatch,
  SRM_ALPHA,
  summarize,
  welch,
  welchFromSums,
  withPredictionVariance,
  type ArmSums,
  type JoinSums,
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

describe("sample ratio mismatch (chi-square against the configured shares)", () => {
  it("gives the textbook p-values", () => {
    // 5,100 vs 4,900 at 50/50: χ² = 2·100²/5000 = 4, P(χ²₁ > 4) = 0.0455003 (R: pchisq(4, 1, lower = FALSE)).
    const r = sampleRatioMismatch([
      { arm: "treatment", expectedShare: 0.5, n: 5100 },
      { arm: "control", expectedShare: 0.5, n: 4900 },
    ])!;
    expect(r.chiSquare).toBeCloseTo(4, 10);
    expect(r.df).toBe(1);
    expect(r.pValue).toBeCloseTo(0.0455003, 6);
    expect(r.mismatch).toBe(false);
    // Three arms: P(χ²₂ > x) = e^(−x/2) exactly; x = 2 ln 1000 → 0.001.
    // Three arms: P(χ²₂ > x) = e^(−x/2) exactly; 110/110/80 of 300 at thirds gives χ² = (100 + 100 + 400)/100 = 6.
    const three = sampleRatioMismatch([
      { arm: "a", expectedShare: 1 / 3, n: 110 },
      { arm: "b", expectedShare: 1 / 3, n: 110 },
      { arm: "c", expectedShare: 1 / 3, n: 80 },
    ])!;
    expect(three.df).toBe(2);
    expect(three.pValue).toBeCloseTo(Math.exp(-3), 10);
    expect(sampleRatioMismatch([{ arm: "a", expectedShare: 0.5, n: 0 }, { arm: "b", expectedShare: 0.5, n: 0 }])).toBeNull();
  });

  it("raises the alarm below 0.001 only", () => {
    // A 10% holdout that got 9.0% of 20,000 members: z = (1800 − 2000)/√(20000·0.1·0.9) = −4.71, p ≈ 2.4e−6.
    const r = sampleRatioMismatch([
      { arm: "treatment", expectedShare: 0.9, n: 18200 },
      { arm: "control", expectedShare: 0.1, n: 1800 },
    ])!;
    expect(r.chiSquare).toBeCloseTo(200 ** 2 / 18000 + 200 ** 2 / 2000, 8);
    expect(r.pValue).toBeGreaterThan(1e-6);
    expect(r.pValue).toBeLessThan(5e-6);
    expect(r.mismatch).toBe(true);
    expect(SRM_ALPHA).toBe(0.001);
    // Exactly at the configured split: p = 1.
    expect(sampleRatioMismatch([{ arm: "t", expectedShare: 0.9, n: 900 }, { arm: "c", expectedShare: 0.1, n: 100 }])!.pValue).toBeCloseTo(1, 12);
  });

  it("is calibrated: with a correct split about 0.1% of experiments alarm, and p is uniform", () => {
    const rng = seededRng(2);
    let below05 = 0;
    const runs = 2000;
    for (let i = 0; i < runs; i++) {
      let c = 0;
      for (let k = 0; k < 1000; k++) if (rng() < 0.2) c++;
      const r = sampleRatioMismatch([{ arm: "t", expectedShare: 0.8, n: 1000 - c }, { arm: "c", expectedShare: 0.2, n: c }])!;
      if (r.pValue < 0.05) below05++;
    }
    // Binomial counts are discrete, so the chi-square p is only roughly uniform: 5% ± 1.5%.
    expect(below05 / runs).toBeGreaterThan(0.035);
    expect(below05 / runs).toBeLessThan(0.065);
  });
});

/** The complier effect's delta-method variance written as gradient·Σ·gradient over (ȳ_T, Ĵ_T, ȳ_C, Ĵ_C), from the rows. */
function deltaByMatrix(tY: number[], tJ: number[], cY: number[], cJ: number[]) {
  const cov = (a: number[], b: number[]) => {
    const ma = mean(a);
    const mb = mean(b);
    return a.reduce((s, v, i) => s + (v - ma) * (b[i]! - mb), 0) / (a.length - 1);
  };
  const [yT, jT, yC, jC] = [mean(tY), mean(tJ), mean(cY), mean(cJ)];
  const d = jT - jC;
  const tau = yT - yC;
  const g = [1 / d, -tau / d ** 2, -1 / d, tau / d ** 2];
  const nT = tY.length;
  const nC = cY.length;
  const S = [
    [cov(tY, tY) / nT, cov(tY, tJ) / nT, 0, 0],
    [cov(tY, tJ) / nT, cov(tJ, tJ) / nT, 0, 0],
    [0, 0, cov(cY, cY) / nC, cov(cY, cJ) / nC],
    [0, 0, cov(cY, cJ) / nC, cov(cJ, cJ) / nC],
  ];
  let v = 0;
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) v += g[i]! * S[i]![j]! * g[j]!;
  return { effect: tau / d, se: Math.sqrt(v) };
}

function joinSums(ys: number[], js: number[]): JoinSums {
  return {
    n: ys.length,
    joined: js.reduce((a, b) => a + b, 0),
    sumY: ys.reduce((a, b) => a + b, 0),
    sumY2: ys.reduce((a, b) => a + b * b, 0),
    sumYJoined: ys.reduce((a, y, i) => a + y * js[i]!, 0),
  };
}

describe("complier effect with the join rates' sampling error (delta method)", () => {
  it("matches the delta method over (ȳ_T, Ĵ_T, ȳ_C, Ĵ_C) on a hand-sized case", () => {
    const tY = [120, 80, 0, 40, 95, 10, 60, 0];
    const tJ = [1, 1, 0, 0, 1, 0, 1, 0];
    const cY = [50, 0, 30, 20, 0, 70];
    const cJ = [0, 0, 1, 0, 0, 0];
    const want = deltaByMatrix(tY, tJ, cY, cJ);
    const got = complierEffectDelta(joinSums(tY, tJ), joinSums(cY, cJ))!;
    // τ = 50.625 − 28.333 = 22.2917; d = 0.5 − 1/6 = 1/3; effect = 66.875.
    expect(got.effect).toBeCloseTo(66.875, 9);
    expect(want.effect).toBeCloseTo(66.875, 9);
    expect(got.se).toBeCloseTo(want.se, 9);
    const itt = welchFromSums(sums(tY), sums(cY));
    const crit = (itt.ci95[1] - itt.lift) / itt.se;
    expect(got.ci95[1] - got.effect).toBeCloseTo(crit * want.se, 8);
    // The old interval (join rates as known) is a different width here.
    const old = complierEffect(itt, 0.5, 1 / 6)!;
    expect(Math.abs(old.ci95[1] - old.ci95[0] - (got.ci95[1] - got.ci95[0]))).toBeGreaterThan(1);
  });

  it("covers the true complier effect about 95% of the time when the join rate is small and noisy", () => {
    // One-sided non-compliance: 8% of the treated join, nobody in control; joiners gain 40 on a noisy outcome.
    const rng = seededRng(5);
    const runs = 600;
    let covered = 0;
    let coveredOld = 0;
    for (let r = 0; r < runs; r++) {
      const arm = (treated: boolean) => {
        const ys: number[] = [];
        const js: number[] = [];
        for (let i = 0; i < 500; i++) {
          const j = treated && rng() < 0.08 ? 1 : 0;
          js.push(j);
          ys.push(100 + 5 * standardNormal(rng) + 40 * j);
        }
        return joinSums(ys, js);
      };
      const t = arm(true);
      const c = arm(false);
      const got = complierEffectDelta(t, c);
      if (got && got.ci95[0] <= 40 && 40 <= got.ci95[1]) covered++;
      const old = complierEffect(welchFromSums(t, c), t.joined / t.n, 0);
      if (old && old.ci95[0] <= 40 && 40 <= old.ci95[1]) coveredOld++;
    }
    expect(covered / runs).toBeGreaterThan(0.93);
    expect(covered / runs).toBeLessThan(0.97);
    // Treating the join rate as known gets it wrong here (it ignores that joiners are where the outcome varies).
    expect(Math.abs(coveredOld / runs - 0.95)).toBeGreaterThan(0.03);
  });
});

/** Interacted OLS y ~ 1 + T + Z̃ + T·Z̃ (Z̃ centred at the pooled mean) with the full HC0 sandwich, from rows. */
function linByRows(rows: { y: number; z: number[]; treated: boolean }[]) {
  const k = rows[0]!.z.length;
  const zbar = Array.from({ length: k }, (_, i) => mean(rows.map((r) => r.z[i]!)));
  const X = rows.map((r) => {
    const zc = r.z.map((v, i) => v - zbar[i]!);
    const t = r.treated ? 1 : 0;
    return [1, t, ...zc, ...zc.map((v) => v * t)];
  });
  const p = X[0]!.length;
  const XtX = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => X.reduce((s, x) => s + x[i]! * x[j]!, 0)));
  const inv = invert(XtX);
  const Xty = Array.from({ length: p }, (_, i) => X.reduce((s, x, n) => s + x[i]! * rows[n]!.y, 0));
  const beta = inv.map((row) => row.reduce((s, v, j) => s + v * Xty[j]!, 0));
  const e = X.map((x, n) => rows[n]!.y - x.reduce((s, v, j) => s + v * beta[j]!, 0));
  const meat = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => X.reduce((s, x, n) => s + e[n]! ** 2 * x[i]! * x[j]!, 0)));
  const a = inv[1]!;
  const w = Array.from({ length: p }, (_, j) => a.reduce((s, v, i) => s + v * meat[i]![j]!, 0));
  const hc0 = w.reduce((s, v, j) => s + v * a[j]!, 0);
  return { tau: beta[1]!, seHc0: Math.sqrt(hc0), seHc1: Math.sqrt((hc0 * rows.length) / (rows.length - p)) };
}

function invert(M: number[][]): number[][] {
  const n = M.length;
  const A = M.map((r, i) => [...r, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[piv]![c]!)) piv = r;
    [A[c], A[piv]] = [A[piv]!, A[c]!];
    const d = A[c]![c]!;
    for (let j = 0; j < 2 * n; j++) A[c]![j]! /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = A[r]![c]!;
      for (let j = 0; j < 2 * n; j++) A[r]![j]! -= f * A[c]![j]!;
    }
  }
  return A.map((r) => r.slice(n));
}

describe("regression adjustment (Lin 2013) from per-arm moments", () => {
  it("without covariates is exactly Welch", () => {
    const t = [3, 5, 9, 1, 0, 12];
    const c = [2, 2, 4, 7, 1];
    const got = regressionAdjusted(momentsOf(t.map((y) => [y]), 1), momentsOf(c.map((y) => [y]), 1), []);
    const w = welchFromSums(sums(t), sums(c));
    expect(got.lift).toBeCloseTo(w.lift, 12);
    expect(got.se).toBeCloseTo(w.se, 12);
    expect(got.df).toBeCloseTo(w.df, 9);
    expect(got.ci95[0]).toBeCloseTo(w.ci95[0], 9);
  });

  it("equals the interacted OLS estimate, and its SE the HC sandwich within 3%, on heteroskedastic data", () => {
    const rng = seededRng(7);
    const rows: { y: number; z: number[]; treated: boolean }[] = [];
    for (let i = 0; i < 3000; i++) {
      const treated = i % 3 !== 0;
      const pre = Math.exp(standardNormal(rng)) * 20;
      const channel = rng() < 0.3 ? 1 : 0;
      const tenure = Math.floor(rng() * 24);
      // The outcome's noise grows with pre-period spend (heteroskedastic); the effect is 15 and differs by channel.
      const y = 10 + 0.8 * pre + 12 * channel + 0.5 * tenure + (treated ? 15 + 5 * channel : 0) + standardNormal(rng) * (5 + 0.3 * pre);
      rows.push({ y, z: [pre, channel, tenure], treated });
    }
    const want = linByRows(rows);
    const arm = (treated: boolean) => momentsOf(rows.filter((r) => r.treated === treated).map((r) => [r.y, ...r.z]), 4);
    const got = regressionAdjusted(arm(true), arm(false), ["pre", "channel", "tenure"]);
    expect(got.lift).toBeCloseTo(want.tau, 8);
    expect(Math.abs(got.se / want.seHc1 - 1)).toBeLessThan(0.03);
    expect(got.covariates).toEqual(["pre", "channel", "tenure"]);
    // The covariates explain most of the variance: the interval is much narrower than Welch's, and still covers 15 + 5·0.3.
    expect(got.varianceReduction).toBeGreaterThan(0.5);
    expect(got.ci95[0]).toBeLessThan(16.5);
    expect(got.ci95[1]).toBeGreaterThan(16.5);
  });

  it("drops a covariate that is constant or collinear instead of failing", () => {
    const rng = seededRng(9);
    const mk = (treated: boolean) =>
      Array.from({ length: 200 }, () => {
        const a = rng() * 10;
        const y = 2 * a + (treated ? 3 : 0) + standardNormal(rng);
        // b = 2a (collinear), c constant.
        return [y, a, 2 * a, 1];
      });
    const got = regressionAdjusted(momentsOf(mk(true), 4), momentsOf(mk(false), 4), ["a", "b", "c"]);
    expect(got.covariates).toEqual(["a"]);
    expect(Number.isFinite(got.se)).toBe(true);
    expect(got.ci95[0]).toBeLessThan(3);
    expect(got.ci95[1]).toBeGreaterThan(3);
  });
});

describe("prediction uncertainty added to a comparison", () => {
  it("widens the interval by the prediction's variance, keeping the estimate and df", () => {
    const c = welchFromSums(sums([10, 12, 14, 9, 11]), sums([8, 9, 7, 10, 6]));
    const w = withPredictionVariance(c, 4);
    expect(w.lift).toBe(c.lift);
    expect(w.se).toBeCloseTo(Math.sqrt(c.se ** 2 + 4), 12);
    expect(w.samplingSe).toBe(c.se);
    expect(w.predictionSe).toBe(2);
    expect(w.ci95[1] - w.ci95[0]).toBeGreaterThan(c.ci95[1] - c.ci95[0]);
    expect(withPredictionVariance(c, 0).ci95).toEqual(c.ci95);
  });
});
