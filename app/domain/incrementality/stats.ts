import tCdf from "@stdlib/stats-base-dists-t-cdf";
import tQuantile from "@stdlib/stats-base-dists-t-quantile";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import gammainc from "@stdlib/math-base-special-gammainc";

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
 *  - Regression adjustment with several pre-assignment covariates (Lin 2013, the interacted OLS), sample ratio
 *    mismatch (chi-square), and the complier interval widened by the join rates' sampling error (delta method).
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
  return welchCombine(lift, t.variance / t.n, t.n - 1, c.variance / c.n, c.n - 1);
}

/**
 * Welch–Satterthwaite from each arm's variance of its mean (v = s²/n) and that variance's df. With no variance at
 * all the test is undefined: p = 1 when lift is 0, else 0, and a zero-width interval.
 */
function welchCombine(lift: number, vt: number, dft: number, vc: number, dfc: number): Comparison {
  const se = Math.sqrt(vt + vc);
  if (se === 0) return { lift, se: 0, t: lift === 0 ? 0 : Math.sign(lift) * Infinity, df: dft + dfc, pValue: lift === 0 ? 1 : 0, ci95: [lift, lift] };
  return tComparison(lift, se, (vt + vc) ** 2 / (vt ** 2 / dft + vc ** 2 / dfc));
}

/** Two-sided t test and 95% interval of an estimate with standard error `se` (> 0) on `df` degrees of freedom. */
function tComparison(lift: number, se: number, df: number): Comparison {
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
 * The complier (treatment-on-the-treated) effect of an opt-in program: ITT scaled by the difference in join rates,
 * with the join rates treated as known (the interval is the ITT's scaled). Kept for callers without the per-arm join
 * sums; the report uses complierEffectDelta, which also counts the join rates' sampling error.
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

/** Per-arm join sums for the complier interval: members, joiners, and Σ outcome over the joiners (for cov(Ȳ, Ĵ)). */
export interface JoinSums {
  n: number;
  joined: number;
  sumY: number;
  sumY2: number;
  /** Σ y over the members who joined. */
  sumYJoined: number;
}

/**
 * The complier (Wald) effect τ/d, d = Ĵ_T − Ĵ_C, with a delta-method interval that counts the join rates' own
 * sampling error and their covariance with the outcome means (joiners spend differently):
 *   Var(τ/d) ≈ [Var(τ) − 2(τ/d)·Cov(τ, d) + (τ/d)²·Var(d)] / d²,
 *   Var(τ) = s²_T/n_T + s²_C/n_C,  Var(d) = Σ_arms s²_J/n,  Cov(τ, d) = Σ_arms cov(Y, J)/n (sample moments, n − 1).
 * The critical value is the ITT's Welch t (df from the ITT). Null when joining does not differ between arms.
 */
export function complierEffectDelta(t: JoinSums, c: JoinSums): { effect: number; se: number; ci95: [number, number]; joinRateDifference: number } | null {
  if (t.n < 2 || c.n < 2) return null;
  const d = t.joined / t.n - c.joined / c.n;
  if (!(Math.abs(d) > 1e-12)) return null;
  const itt = welchFromSums(t, c);
  const effect = itt.lift / d;
  // J is 0/1, so ΣJ² = ΣJ and ΣYJ is the joiners' outcome sum.
  const varD = sampleVariance(t.n, t.joined, t.joined) / t.n + sampleVariance(c.n, c.joined, c.joined) / c.n;
  const cov = sampleCovariance(t.n, t.sumY, t.joined, t.sumYJoined) / t.n + sampleCovariance(c.n, c.sumY, c.joined, c.sumYJoined) / c.n;
  const variance = Math.max(0, (itt.se ** 2 - 2 * effect * cov + effect ** 2 * varD) / d ** 2);
  const se = Math.sqrt(variance);
  if (!Number.isFinite(itt.df)) return { effect, se, ci95: [effect, effect], joinRateDifference: d };
  const crit = tQuantile(1 - ALPHA / 2, itt.df);
  return { effect, se, ci95: [effect - crit * se, effect + crit * se], joinRateDifference: d };
}

/** Sample ratio mismatch: the arms' sizes against the shares the assignment was configured with. */
export interface SampleRatioCheck {
  /** Configured share per arm (sums to 1) and the observed members. */
  arms: { arm: string; expectedShare: number; n: number }[];
  chiSquare: number;
  df: number;
  pValue: number;
  /** p < SRM_ALPHA: the assignment (or the data the report sees) is broken and the comparison is not trustworthy. */
  mismatch: boolean;
}

/**
 * The threshold of the SRM alarm. An SRM check runs on every view of every report; at 0.001 a healthy experiment
 * raises a false alarm once in a thousand looks, while a real mismatch (a broken assignment, members lost from one
 * arm) has p far below it at any useful size (Kohavi, Tang & Xu 2020, ch. 21, and Fabijan et al. 2019 use 0.0005–0.001).
 */
export const SRM_ALPHA = 0.001;

/** Pearson's chi-square goodness of fit of the arm counts to the configured shares (k − 1 df). Null without members. */
export function sampleRatioMismatch(arms: readonly { arm: string; expectedShare: number; n: number }[]): SampleRatioCheck | null {
  const total = arms.reduce((s, a) => s + a.n, 0);
  const live = arms.filter((a) => a.expectedShare > 0);
  if (total === 0 || live.length < 2) return null;
  let chiSquare = 0;
  for (const a of arms) {
    const expected = total * a.expectedShare;
    // An arm configured to get nobody that has members is a mismatch whatever the rest says.
    if (expected === 0) chiSquare = a.n > 0 ? Infinity : chiSquare;
    else chiSquare += (a.n - expected) ** 2 / expected;
  }
  const df = live.length - 1;
  // Upper regularized incomplete gamma: P(χ²_df > x) = Q(df/2, x/2).
  const pValue = Number.isFinite(chiSquare) ? gammainc(chiSquare / 2, df / 2, true, true) : 0;
  return { arms: arms.map((a) => ({ ...a })), chiSquare, df, pValue, mismatch: pValue < SRM_ALPHA };
}

/**
 * Per-arm moments of w = (y, z₁ … z_k): n, Σw and the upper triangle of Σwwᵀ (row-major, i ≤ j), so a regression
 * on any number of covariates needs one aggregate pass, like Welch and CUPED.
 */
export interface ArmMoments {
  n: number;
  sum: number[];
  /** Σ w_i w_j for i ≤ j, row-major: index of (i, j) is i·m − i(i − 1)/2 + (j − i) for m = sum.length. */
  cross: number[];
}

export function crossIndex(m: number, i: number, j: number): number {
  const [a, b] = i <= j ? [i, j] : [j, i];
  return a * m - (a * (a - 1)) / 2 + (b - a);
}

/** Moments of per-member rows (tests, and anything that holds the rows). */
export function momentsOf(rows: readonly (readonly number[])[], m: number): ArmMoments {
  const sum = new Array<number>(m).fill(0);
  const cross = new Array<number>((m * (m + 1)) / 2).fill(0);
  for (const w of rows) {
    for (let i = 0; i < m; i++) {
      sum[i]! += w[i]!;
      for (let j = i; j < m; j++) cross[crossIndex(m, i, j)]! += w[i]! * w[j]!;
    }
  }
  return { n: rows.length, sum, cross };
}

export interface AdjustedComparison extends Comparison {
  /** Covariates used (those that vary within both arms; a constant or collinear one is dropped). */
  covariates: string[];
  /** 1 − SE²_adjusted / SE²_Welch: the share of the estimate's variance the covariates removed. */
  varianceReduction: number;
}

/**
 * Solves S·b = r for symmetric positive semi-definite S by Gaussian elimination with the pivot check of a Cholesky
 * sweep: a covariate whose residual variance (given the earlier ones) is ≤ 1e-9 of its own is collinear and gets b = 0.
 */
function solveDropping(S: number[][], r: number[]): { b: number[]; used: boolean[] } {
  const k = r.length;
  const A = S.map((row) => row.slice());
  const y = r.slice();
  const used = new Array<boolean>(k).fill(false);
  for (let p = 0; p < k; p++) {
    if (!(A[p]![p]! > 1e-9 * Math.max(1e-300, S[p]![p]!)) || !(S[p]![p]! > 0)) continue;
    used[p] = true;
    for (let i = p + 1; i < k; i++) {
      const f = A[i]![p]! / A[p]![p]!;
      if (f === 0) continue;
      for (let j = p; j < k; j++) A[i]![j]! -= f * A[p]![j]!;
      y[i]! -= f * y[p]!;
    }
  }
  const b = new Array<number>(k).fill(0);
  for (let p = k - 1; p >= 0; p--) {
    if (!used[p]) continue;
    let s = y[p]!;
    for (let j = p + 1; j < k; j++) if (used[j]) s -= A[p]![j]! * b[j]!;
    b[p] = s / A[p]![p]!;
  }
  return { b, used };
}

/** Within-arm regression of w₀ on w₁…w_k: coefficients, residual sum of squares, covariates kept. */
function armRegression(a: ArmMoments, keep: boolean[]) {
  const m = a.sum.length;
  const k = m - 1;
  const mean = a.sum.map((s) => (a.n ? s / a.n : 0));
  const centered = (i: number, j: number) => a.cross[crossIndex(m, i, j)]! - a.n * mean[i]! * mean[j]!;
  const S = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (keep[i] && keep[j] ? centered(i + 1, j + 1) : 0)));
  const r = Array.from({ length: k }, (_, i) => (keep[i] ? centered(0, i + 1) : 0));
  const { b, used } = solveDropping(S, r);
  const rss = Math.max(0, centered(0, 0) - b.reduce((s, bi, i) => s + bi * r[i]!, 0));
  return { mean, b, used, rss };
}

/**
 * Regression adjustment (Lin 2013): OLS of y on the treatment, the covariates centred at their pooled mean, and their
 * interactions — the same as one regression per arm, μ̂_a = ȳ_a − b̂_aᵀ(z̄_a − z̄). The effect is μ̂_T − μ̂_C, and its
 * heteroskedasticity-robust (HC) variance is Σ_arms σ̂²_{e,a}/n_a with σ̂²_{e,a} = RSS_a/(n_a − k_a − 1): the
 * sandwich's term of order 1/n (Lin 2013 §4; the rest, of order n^(−3/2), needs per-member third and fourth moments
 * that one aggregate pass does not keep; the unit test compares it with the full HC sandwich). With no covariate
 * it is exactly Welch. df: Welch–Satterthwaite on the two residual variances.
 */
export function regressionAdjusted(t: ArmMoments, c: ArmMoments, names: readonly string[]): AdjustedComparison {
  const m = t.sum.length;
  const k = m - 1;
  const welchPlain = welchFromMoments(
    { n: t.n, mean: t.n ? t.sum[0]! / t.n : 0, variance: sampleVariance(t.n, t.sum[0]!, t.cross[0]!) },
    { n: c.n, mean: c.n ? c.sum[0]! / c.n : 0, variance: sampleVariance(c.n, c.sum[0]!, c.cross[0]!) },
  );
  const empty = { ...welchPlain, covariates: [] as string[], varianceReduction: 0 };
  if (t.n < 2 || c.n < 2) return empty;
  // A covariate is used only when it varies inside both arms (else its slope in one arm is not identified).
  const varies = (a: ArmMoments, i: number) => sampleVariance(a.n, a.sum[i]!, a.cross[crossIndex(m, i, i)]!) > 0;
  let keep = Array.from({ length: k }, (_, i) => varies(t, i + 1) && varies(c, i + 1));
  let rt = armRegression(t, keep);
  let rc = armRegression(c, keep);
  // Collinear in either arm: drop from both, so the two regressions use the same covariates.
  keep = keep.map((kp, i) => kp && rt.used[i]! && rc.used[i]!);
  rt = armRegression(t, keep);
  rc = armRegression(c, keep);
  const used = keep.filter(Boolean).length;
  if (t.n - used - 1 < 1 || c.n - used - 1 < 1) return empty;
  const pooled = Array.from({ length: m }, (_, i) => (t.sum[i]! + c.sum[i]!) / (t.n + c.n));
  const adjMean = (r: typeof rt) => r.mean[0]! - r.b.reduce((s, bi, i) => s + bi * (r.mean[i + 1]! - pooled[i + 1]!), 0);
  const dft = t.n - used - 1;
  const dfc = c.n - used - 1;
  const adjusted = welchCombine(adjMean(rt) - adjMean(rc), rt.rss / dft / t.n, dft, rc.rss / dfc / c.n, dfc);
  const covariates = names.filter((_, i) => keep[i]);
  const varianceReduction = welchPlain.se > 0 ? Math.max(0, 1 - adjusted.se ** 2 / welchPlain.se ** 2) : 0;
  return { ...adjusted, covariates, varianceReduction };
}

/**
 * A comparison whose outcome includes a model's prediction: the prediction's own uncertainty (the variance of the
 * arm difference of mean predicted value over the model's parameter draws, predictionVariance) is added to the
 * sampling variance. The draws use the same parameters for both arms, so the part common to both cancels in the
 * difference — which is why the difference is bootstrapped, not each arm. The df are the sampling part's, kept
 * (conservative: the added variance is treated as known).
 */
export function withPredictionVariance<C extends Comparison>(c: C, predictionVariance: number): C & { samplingSe: number; predictionSe: number } {
  const pv = Number.isFinite(predictionVariance) && predictionVariance > 0 ? predictionVariance : 0;
  const se = Math.sqrt(c.se ** 2 + pv);
  if (!(se > 0) || !Number.isFinite(c.df)) return { ...c, samplingSe: c.se, predictionSe: Math.sqrt(pv) };
  return { ...c, ...tComparison(c.lift, se, c.df), samplingSe: c.se, predictionSe: Math.sqrt(pv) };
}
