/**
 * Uncertainty of the CLTV models (issue 16 §4): parameter standard errors from the inverse Hessian of −ℓ at the
 * optimum, and intervals on any prediction by a parametric bootstrap over that covariance. Everything is on the
 * log-parameters the fits optimise (the likelihood is closer to quadratic there, and every draw stays positive); the
 * standard error of θ itself is the delta method's θ·SE(ln θ).
 */
import { seededRng, standardNormal } from "~/lib/random";

/** Hessian of f at v by central differences of values (step h in ln θ), symmetric by construction. */
export function numericalHessian(f: (v: readonly number[]) => number, v: readonly number[], h = 1e-3): number[][] {
  const n = v.length;
  const at = (di: number, i: number, dj: number, j: number) => {
    const w = v.slice();
    w[i] = (w[i] ?? 0) + di * h;
    w[j] = (w[j] ?? 0) + dj * h;
    return f(w);
  };
  const f0 = f(v);
  const H: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    const up = v.slice();
    const down = v.slice();
    up[i] = (up[i] ?? 0) + h;
    down[i] = (down[i] ?? 0) - h;
    H[i]![i] = (f(up) - 2 * f0 + f(down)) / (h * h);
    for (let j = 0; j < i; j++) {
      const hij = (at(1, i, 1, j) - at(1, i, -1, j) - at(-1, i, 1, j) + at(-1, i, -1, j)) / (4 * h * h);
      H[i]![j] = hij;
      H[j]![i] = hij;
    }
  }
  return H;
}

/** Lower-triangular L with A = L·Lᵀ, or null when A is not (numerically) positive definite. */
export function cholesky(A: readonly (readonly number[])[]): number[][] | null {
  const n = A.length;
  const L: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i]![j]!;
      for (let k = 0; k < j; k++) s -= L[i]![k]! * L[j]![k]!;
      if (i === j) {
        if (!(s > 0) || !Number.isFinite(s)) return null;
        L[i]![i] = Math.sqrt(s);
      } else {
        L[i]![j] = s / L[j]![j]!;
      }
    }
  }
  return L;
}

/** A⁻¹ for symmetric positive definite A (through its Cholesky factor), or null. */
export function inverseSpd(A: readonly (readonly number[])[]): number[][] | null {
  const L = cholesky(A);
  if (!L) return null;
  const n = A.length;
  // Solve L·Lᵀ·X = I column by column.
  const inv: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let c = 0; c < n; c++) {
    const y = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) s -= L[i]![k]! * y[k]!;
      y[i] = s / L[i]![i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = y[i]!;
      for (let k = i + 1; k < n; k++) s -= L[k]![i]! * inv[k]![c]!;
      inv[i]![c] = s / L[i]![i]!;
    }
  }
  return inv;
}

/** A fit sits on a ridge when the likelihood barely pins a parameter: SE(ln θ) above this (a 95% interval wider than ×/÷ 7). */
export const RIDGE_LOG_SE = 1;

export interface ParameterUncertainty {
  /** Covariance of the log-parameters (inverse Hessian of −ℓ); null when the Hessian is not positive definite. */
  logCovariance: number[][] | null;
  /** SE of ln θ per parameter (NaN without a covariance). */
  logStandardErrors: number[];
  /** SE of θ by the delta method, θ·SE(ln θ). */
  standardErrors: number[];
  /** True when the Hessian is singular/indefinite or some SE(ln θ) exceeds RIDGE_LOG_SE. */
  ridge: boolean;
}

/** Standard errors at the optimum v̂ of −ℓ (`negLogLikelihood` on log-parameters, without any penalty). */
export function parameterUncertainty(negLogLikelihood: (v: readonly number[]) => number, logParams: readonly number[]): ParameterUncertainty {
  const H = numericalHessian(negLogLikelihood, logParams);
  const cov = H.every((row) => row.every(Number.isFinite)) ? inverseSpd(H) : null;
  const logStandardErrors = logParams.map((_, i) => (cov ? Math.sqrt(cov[i]![i]!) : Number.NaN));
  const standardErrors = logParams.map((v, i) => Math.exp(v) * logStandardErrors[i]!);
  const ridge = !cov || logStandardErrors.some((se) => !(se <= RIDGE_LOG_SE));
  return { logCovariance: cov, logStandardErrors, standardErrors, ridge };
}

export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
}

export interface BootstrapOptions {
  draws?: number;
  seed?: number;
  /** Central coverage, 0.95 by default. */
  level?: number;
}

/** The q-quantile of sorted values (linear between order statistics, as numpy's default). */
export function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** `count` draws of ln θ ~ N(logParams, cov), seeded; null when cov is not positive definite. */
export function drawLogParams(logParams: readonly number[], cov: readonly (readonly number[])[], count: number, seed: number): number[][] | null {
  const L = cholesky(cov);
  if (!L) return null;
  const rng = seededRng(seed);
  return Array.from({ length: count }, () => {
    const z = logParams.map(() => standardNormal(rng));
    return logParams.map((vi, i) => vi + L[i]!.reduce((s, lij, j) => s + lij * z[j]!, 0));
  });
}

/**
 * Parametric bootstrap: draws ln θ ~ N(v̂, Σ) (seeded), evaluates `predict` (one value per member, or any vector) at
 * each draw and returns the point estimate at v̂ with the central `level` percentile interval of the draws.
 * Draws where predict is not finite are skipped (they are counted in `skipped`).
 */
export function bootstrapIntervals(
  logParams: readonly number[],
  logCovariance: readonly (readonly number[])[],
  predict: (logParams: readonly number[]) => readonly number[],
  options: BootstrapOptions = {},
): { intervals: Interval[]; draws: number; skipped: number } {
  const draws = options.draws ?? 500;
  const level = options.level ?? 0.95;
  const drawn = drawLogParams(logParams, logCovariance, draws, options.seed ?? 16);
  if (!drawn) throw new Error("bootstrapIntervals needs a positive definite covariance");
  const estimate = predict(logParams);
  const samples = estimate.map(() => new Float64Array(draws));
  let kept = 0;
  let skipped = 0;
  for (const v of drawn) {
    const out = predict(v);
    if (!out.every(Number.isFinite)) {
      skipped++;
      continue;
    }
    out.forEach((o, i) => (samples[i]![kept] = o));
    kept++;
  }
  const tail = (1 - level) / 2;
  const intervals = estimate.map((e, i) => {
    const s = samples[i]!.subarray(0, kept).sort();
    return kept ? { estimate: e, lower: quantile(s, tail), upper: quantile(s, 1 - tail) } : { estimate: e, lower: Number.NaN, upper: Number.NaN };
  });
  return { intervals, draws: kept, skipped };
}
