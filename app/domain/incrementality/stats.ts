import tCdf from "@stdlib/stats-base-dists-t-cdf";
import tQuantile from "@stdlib/stats-base-dists-t-quantile";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";

/**
 * The statistics of a randomized holdout, from per-arm sufficient statistics (counts, sums, sums of squares and
 * cross products), so the report needs one aggregate pass over the members and never a list of them.
 * Pure: no I/O, unit-tested beside this file. Distribution functions come from stdlib (t CDF and quantile,
 * normal quantile) rather than hand-rolled approximations.
 *
 *  - Welch's unequal-variance t test: Δ = Ȳ_T − Ȳ_C, SE = √(s²_T/n_T + s²_C/n_C), Welch–Satterthwaite df.
 *  - CUPED (Deng, Xu, Kohavi & Walker 2013): Y_cv = Y − θ(X − X̄) with θ = cov(Y, X) / var(X) over both arms
 *    pooled; X is the pre-assignment value, which the treatment cannot affect, so Δ_cv estimates the same effect.
 *  - Intent-to-treat and, for opt-in programs, the complier effect (Wald estimator) ITT / (join_T − join_C).
 *  - Minimum detectable effect at 80% power and two-sided α = 0.05, and the members per arm a given lift needs.
 */

/** Sufficient statistics of one arm: outcome y and pre-period covariate x, per member. */
export interface ArmSums {
  n: number;
  sumY: number;
  sumY2: number;
  sumX: number;
  sumX2: number;
  sumXY: number;
}

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1). 0 when n < 2. */
  sd: number;
}

export interface Comparison {
  /** Treatment mean − control mean. */
  lift: number;
  se: number;
  t: number;
  df: number;
  pValue: number;
  ci95: [number, number];
}

export interface CupedComparison extends Comparison {
  theta: number;
  /** 1 − var(Δ_cv) / var(Δ): the share of the variance of the estimate CUPED removed (0 when there is nothing to remove). */
  varianceReduction: number;
}

export const ALPHA = 0.05;
export const POWER = 0.8;

export function summarize(n: number, sum: number, sumSq: number): Summary {
  if (n <= 0) return { n: 0, mean: 0, sd: 0 };
  const mean = sum / n;
  return { n, mean, sd: Math.sqrt(sampleVariance(n, sum, sumSq)) };
}

/** Unbiased sample variance from sums; clamped at 0 against rounding when all values are equal. */
export function sampleVariance(n: number, sum: number, sumSq: number): number {
  if (n < 2) return 0;
  return Math.max(0, (sumSq - (sum * sum) / n) / (n - 1));
}

function sampleCovariance(n: number, sumA: number, sumB: number, sumAB: number): number {
  if (n < 2) return 0;
  return (sumAB - (sumA * sumB) / n) / (n - 1);
}

/**
 * Welch's t test of treatment vs control from means and variances. With no variance at all (both arms constant)
 * the test is undefined: p = 1 when the means agree, else 0, and a zero-width interval.
 */
export function welchFromMoments(t: { n: number; mean: number; variance: number }, c: { n: number; mean: number; variance: number }): Comparison {
  const lift = t.mean - c.mean;
  if (t.n < 2 || c.n < 2) return { lift, se: NaN, t: NaN, df: NaN, pValue: NaN, ci95: [NaN, NaN] };
  const vt = t.variance / t.n;
  const vc = c.variance / c.n;
  const se = Math.sqrt(vt + vc);
  if (se === 0) return { lift, se: 0, t: lift === 0 ? 0 : Math.sign(lift) * Infinity, df: t.n + c.n - 2, pValue: lift === 0 ? 1 : 0, ci95: [lift, lift] };
  const df = (vt + vc) ** 2 / (vt ** 2 / (t.n - 1) + vc ** 2 / (c.n - 1));
  const stat = lift / se;
  const pValue = Math.min(1, 2 * (1 - tCdf(Math.abs(stat), df)));
  const crit = tQuantile(1 - ALPHA / 2, df);
  return { lift, se, t: stat, df, pValue, ci95: [lift - crit * se, lift + crit * se] };
}

export function welch(t: Summary, c: Summary): Comparison {
  return welchFromMoments({ n: t.n, mean: t.mean, variance: t.sd ** 2 }, { n: c.n, mean: c.mean, variance: c.sd ** 2 });
}

export function welchFromSums(t: Pick<ArmSums, "n" | "sumY" | "sumY2">, c: Pick<ArmSums, "n" | "sumY" | "sumY2">): Comparison {
  return welch(summarize(t.n, t.sumY, t.sumY2), summarize(c.n, c.sumY, c.sumY2));
}

/** θ = cov(Y, X) / var(X) over the two arms pooled; 0 when the covariate does not vary. */
export function cupedTheta(t: ArmSums, c: ArmSums): number {
  const n = t.n + c.n;
  const varX = sampleVariance(n, t.sumX + c.sumX, t.sumX2 + c.sumX2);
  if (varX === 0) return 0;
  return sampleCovariance(n, t.sumY + c.sumY, t.sumX + c.sumX, t.sumXY + c.sumXY) / varX;
}

/** Mean and variance of Y − θ(X − X̄) within one arm, X̄ being the pooled mean. */
function adjustedMoments(a: ArmSums, theta: number, pooledMeanX: number) {
  const meanY = a.n ? a.sumY / a.n : 0;
  const meanX = a.n ? a.sumX / a.n : 0;
  const variance =
    sampleVariance(a.n, a.sumY, a.sumY2) + theta ** 2 * sampleVariance(a.n, a.sumX, a.sumX2) - 2 * theta * sampleCovariance(a.n, a.sumY, a.sumX, a.sumXY);
  return { n: a.n, mean: meanY - theta * (meanX - pooledMeanX), variance: Math.max(0, variance) };
}

export function cuped(t: ArmSums, c: ArmSums): CupedComparison {
  const theta = cupedTheta(t, c);
  const n = t.n + c.n;
  const pooledMeanX = n ? (t.sumX + c.sumX) / n : 0;
  const adjusted = welchFromMoments(adjustedMoments(t, theta, pooledMeanX), adjustedMoments(c, theta, pooledMeanX));
  const plain = welchFromSums(t, c);
  const varianceReduction = plain.se > 0 && Number.isFinite(adjusted.se) ? Math.max(0, 1 - adjusted.se ** 2 / plain.se ** 2) : 0;
  return { ...adjusted, theta, varianceReduction };
}

/**
 * The complier (treatment-on-the-treated) effect of an opt-in program: ITT scaled by the difference in join rates.
 * Its interval scales the ITT interval by the same factor (the join rates are treated as known; with thousands of
 * members their own sampling error is small next to the outcome's). Null when joining does not differ between arms.
 */
export function complierEffect(itt: Comparison, joinRateTreatment: number, joinRateControl: number): { effect: number; ci95: [number, number]; joinRateDifference: number } | null {
  const d = joinRateTreatment - joinRateControl;
  if (!(Math.abs(d) > 1e-12)) return null;
  const lo = itt.ci95[0] / d;
  const hi = itt.ci95[1] / d;
  return { effect: itt.lift / d, ci95: [Math.min(lo, hi), Math.max(lo, hi)], joinRateDifference: d };
}

const Z_ALPHA = normalQuantile(1 - ALPHA / 2, 0, 1);
const Z_POWER = normalQuantile(POWER, 0, 1);

/** Smallest true lift detected with 80% power at two-sided α = 0.05 with these arm sizes and standard deviations. */
export function minimumDetectableEffect(t: Summary, c: Summary): number {
  if (t.n < 2 || c.n < 2) return NaN;
  return (Z_ALPHA + Z_POWER) * Math.sqrt(t.sd ** 2 / t.n + c.sd ** 2 / c.n);
}

/** Members per arm (equal arms) to detect `lift` with 80% power at α = 0.05: 2(z₀.₉₇₅ + z₀.₈)² σ² / lift². */
export function membersNeededPerArm(sd: number, lift: number): number {
  if (!(lift > 0) || !(sd >= 0)) return NaN;
  return Math.ceil((2 * (Z_ALPHA + Z_POWER) ** 2 * sd ** 2) / lift ** 2);
}

/** Pooled standard deviation of two arms (for the sample-size question, which assumes one σ). */
export function pooledSd(t: Summary, c: Summary): number {
  const dof = t.n + c.n - 2;
  if (dof <= 0) return NaN;
  return Math.sqrt(((t.n - 1) * t.sd ** 2 + (c.n - 1) * c.sd ** 2) / dof);
}
