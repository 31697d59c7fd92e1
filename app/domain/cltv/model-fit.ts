/**
 * What the purchase-count models (BG/NBD, MBG/NBD, Pareto/NBD) share about fitting: the options, the fields every fit
 * reports, lifetimes' L2 penalizer, and a numerical gradient for likelihoods whose analytic one is not worth writing.
 */
import { type MinimizeResult } from "./optimize";
import { type CompressedRow } from "./summary";

export interface FitOptions {
  /**
   * L2 shrinkage on the log-parameters, scaled per customer as lifetimes' penalizer_coef is (its penalty is added to the
   * mean negative log-likelihood): −ℓ + penalizer · customers · Σ (ln θ)². 0 (the default) is the plain MLE.
   */
  penalizer?: number;
  /**
   * A warm start on log-parameters (e.g. the Pareto/NBD's r, α from the BG/NBD fitted on the same rows, or a model's
   * calibration fit before its refit on every order). Fits that are costly per evaluation try it alone first and fall
   * back to their usual starts only when it does not converge.
   */
  start?: readonly number[];
}

export interface ModelFitCore {
  /** The optimum on the log scale (what the standard errors are computed on). */
  logParams: number[];
  /** The log-likelihood at the optimum, without the penalty. */
  logLikelihood: number;
  penalizer: number;
  iterations: number;
  evaluations: number;
  /** ‖∇(−ℓ)‖∞ on log-parameters at the optimum. */
  gradientNorm: number;
  starts: number;
  converged: boolean;
  customers: number;
  uniqueRows: number;
}

/**
 * ln of a start for a model's time-scale parameter (α, β), so every start is in the right region whatever the data's
 * time unit (weeks vs days): the customers' mean observation time T ÷ `divisor`.
 */
export function logTimeScaleStart(rows: readonly CompressedRow[], customers: number, divisor: number): number {
  const meanT = rows.reduce((s, r) => s + r.weight * r.T, 0) / customers;
  return Math.log(Math.max(meanT / divisor, 1e-3));
}

/** What every fit reports besides its parameters, from the optimiser's result. */
export function fitCore(
  res: MinimizeResult & { starts: number },
  fit: { logLikelihood: number; penalizer: number; customers: number; uniqueRows: number },
): ModelFitCore {
  return {
    logParams: res.x,
    ...fit,
    iterations: res.iterations,
    evaluations: res.evaluations,
    gradientNorm: res.gradientNorm,
    starts: res.starts,
    converged: res.converged,
  };
}

/** Adds penalizer · customers · Σ v² (v the log-parameters) and its gradient. */
export function penaltyWithGradient(fg: { f: number; g: number[] }, v: readonly number[], penalizer: number, customers: number): { f: number; g: number[] } {
  if (!(penalizer > 0)) return fg;
  const k = penalizer * customers;
  return { f: fg.f + k * v.reduce((s, vi) => s + vi * vi, 0), g: fg.g.map((gi, i) => gi + 2 * k * (v[i] ?? 0)) };
}

/** Central-difference gradient on log-parameters (steps of 1e-5 in ln θ: a relative change of 0.001%). */
export function withNumericalGradient(f: (v: readonly number[]) => number, h = 1e-5): (v: readonly number[]) => { f: number; g: number[] } {
  return (v) => {
    const fx = f(v);
    if (!Number.isFinite(fx)) return { f: fx, g: v.map(() => Number.NaN) };
    const g = v.map((_, i) => {
      const up = v.slice();
      const down = v.slice();
      up[i] = (up[i] ?? 0) + h;
      down[i] = (down[i] ?? 0) - h;
      return (f(up) - f(down)) / (2 * h);
    });
    return { f: fx, g };
  };
}
