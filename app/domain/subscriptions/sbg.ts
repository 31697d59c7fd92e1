/**
 * The shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007, "How to project customer
 * retention", J. Interactive Marketing 21(1)): each subscriber renews every period with a constant probability 1 − θ
 * until they churn, and θ varies across subscribers as Beta(α, β). Heterogeneity is why observed retention rises with
 * tenure (the churn-prone leave first), which a single churn rate — or BG/NBD, built for non-contractual buying —
 * misses. Pure: no I/O.
 *
 *   P(T = 1) = α / (α + β),   P(T = t) = (β + t − 2) / (α + β + t − 1) · P(T = t − 1)
 *   S(t) = B(α, β + t) / B(α, β)          (alive after t periods)
 *   r(t) = S(t) / S(t − 1) = (β + t − 1) / (α + β + t − 1)
 *
 * Periods are the caller's (years in the paper, months for Stripe subscriptions).
 */
import { digamma, hyp2f1, lnBeta } from "~/domain/cltv/special";
import { minimizeMultiStart, type Objective } from "~/domain/cltv/optimize";
import { parameterUncertainty, type ParameterUncertainty } from "~/domain/cltv/uncertainty";

export interface SbgParams {
  alpha: number;
  beta: number;
}

/**
 * Sufficient statistics of any number of cohorts: `churned[t − 1]` subscribers churned in period t (T = t);
 * `alive[t − 1]` were still subscribed after t periods when observation stopped (right-censored at t: a cohort
 * observed for k periods contributes its survivors at k). Both arrays are indexed by period − 1.
 */
export interface SbgData {
  churned: number[];
  alive: number[];
}

/** One cohort's survivor counts s(0) = starting size, s(1), …, s(k) → its churn and censoring counts. */
export function cohortData(survivors: readonly number[]): SbgData {
  const k = survivors.length - 1;
  const churned = Array.from({ length: k }, (_, i) => survivors[i]! - survivors[i + 1]!);
  const alive = Array.from({ length: k }, (_, i) => (i === k - 1 ? survivors[k]! : 0));
  if (churned.some((n) => n < 0) || survivors.some((n) => !Number.isInteger(n) || n < 0)) throw new Error("survivor counts must be non-negative integers that never rise");
  return { churned, alive };
}

/** Adds cohorts' statistics together (the likelihood of several cohorts is the sum of theirs). */
export function mergeData(...parts: readonly SbgData[]): SbgData {
  const k = Math.max(0, ...parts.map((p) => Math.max(p.churned.length, p.alive.length)));
  const sum = (f: (p: SbgData) => number[]) => Array.from({ length: k }, (_, i) => parts.reduce((n, p) => n + (f(p)[i] ?? 0), 0));
  return { churned: sum((p) => p.churned), alive: sum((p) => p.alive) };
}

/** P(T = t), t ≥ 1: churn in exactly period t. */
export function churnProbability(p: SbgParams, t: number): number {
  return Math.exp(lnBeta(p.alpha + 1, p.beta + t - 1) - lnBeta(p.alpha, p.beta));
}

/** S(t): still subscribed after t periods (S(0) = 1). */
export function survival(p: SbgParams, t: number): number {
  return Math.exp(lnBeta(p.alpha, p.beta + t) - lnBeta(p.alpha, p.beta));
}

/** r(t): the share of those alive after t − 1 periods who renew into period t + 1, for t ≥ 1. */
export function retentionRate(p: SbgParams, t: number): number {
  return (p.beta + t - 1) / (p.alpha + p.beta + t - 1);
}

/** Log-likelihood and its gradient with respect to (ln α, ln β). */
export function sbgLogLikelihood(p: SbgParams, data: SbgData): { ll: number; dLnAlpha: number; dLnBeta: number } {
  const { alpha: a, beta: b } = p;
  const lnB0 = lnBeta(a, b);
  const psiA = digamma(a);
  const psiB = digamma(b);
  const psiAB = digamma(a + b);
  const psiA1 = digamma(a + 1);
  let ll = 0;
  let da = 0;
  let db = 0;
  const k = Math.max(data.churned.length, data.alive.length);
  for (let t = 1; t <= k; t++) {
    const n = data.churned[t - 1] ?? 0;
    const c = data.alive[t - 1] ?? 0;
    if (n === 0 && c === 0) continue;
    const psiABt = digamma(a + b + t);
    if (n > 0) {
      ll += n * (lnBeta(a + 1, b + t - 1) - lnB0);
      da += n * (psiA1 - psiABt - psiA + psiAB);
      db += n * (digamma(b + t - 1) - psiABt - psiB + psiAB);
    }
    if (c > 0) {
      ll += c * (lnBeta(a, b + t) - lnB0);
      da += c * (psiAB - psiABt);
      db += c * (digamma(b + t) - psiABt - psiB + psiAB);
    }
  }
  return { ll, dLnAlpha: da * a, dLnBeta: db * b };
}

export interface SbgFit extends SbgParams {
  logLikelihood: number;
  /** Subscribers in the data (churned + censored). */
  n: number;
  converged: boolean;
  uncertainty: ParameterUncertainty;
}

/** Below this many observed churns the fit says little (shown as a warning, not refused). */
export const SBG_MIN_CHURNS = 10;

/**
 * Maximum likelihood (α, β), optimised on the logs (both stay positive) from a few starts: the likelihood is smooth
 * but can be flat along α/β = const when the data are short. Throws when there is nothing to fit.
 */
export function fitSbg(data: SbgData): SbgFit {
  const n = data.churned.reduce((s, x) => s + x, 0) + data.alive.reduce((s, x) => s + x, 0);
  if (n === 0) throw new Error("sBG: no subscribers to fit");
  const objective: Objective = (x) => {
    const p = { alpha: Math.exp(x[0]!), beta: Math.exp(x[1]!) };
    const r = sbgLogLikelihood(p, data);
    // Scaled by n so the optimiser's tolerances mean the same for 100 and 100,000 subscribers.
    return { f: -r.ll / n, g: [-r.dLnAlpha / n, -r.dLnBeta / n] };
  };
  const starts = [
    [0, 0],
    [Math.log(0.5), Math.log(2)],
    [Math.log(2), Math.log(10)],
    [Math.log(0.2), Math.log(0.5)],
  ];
  const best = minimizeMultiStart(objective, starts, { maxIterations: 500, gTol: 1e-10 });
  const alpha = Math.exp(best.x[0]!);
  const beta = Math.exp(best.x[1]!);
  const negLl = (v: readonly number[]) => -sbgLogLikelihood({ alpha: Math.exp(v[0]!), beta: Math.exp(v[1]!) }, data).ll;
  return { alpha, beta, logLikelihood: -best.fx * n, n, converged: best.converged, uncertainty: parameterUncertainty(negLl, best.x) };
}

/**
 * Discounted expected residual lifetime (Fader & Hardie 2010, "Customer-base valuation in a contractual setting",
 * Marketing Science 29(1), eq. 6): for a subscriber who has made n − 1 renewals and is about to decide on the n-th,
 * the expected number of further payments, each discounted by 1/(1 + d) per period, with the next one (if they
 * renew) received now:
 *   DERL(d | α, β, n − 1) = (β + n − 1)/(α + β + n − 1) · ₂F₁(1, β + n; α + β + n; 1/(1 + d)).
 * `renewals` is n − 1 (0 for a subscriber who has just paid their first period). d is per period and must be > 0
 * (at d = 0 the expected lifetime of a beta mix can be infinite: E(T) = ∞ when α ≤ 1).
 */
export function derl(p: SbgParams, d: number, renewals: number): number {
  if (!(d > 0)) throw new Error("DERL needs a positive discount rate per period");
  if (!Number.isInteger(renewals) || renewals < 0) throw new Error("renewals must be a non-negative integer");
  const n = renewals + 1;
  return ((p.beta + n - 1) / (p.alpha + p.beta + n - 1)) * hyp2f1(1, p.beta + n, p.alpha + p.beta + n, 1 / (1 + d));
}

/**
 * Discounted expected lifetime of a new subscriber, counting the first payment (made now, undiscounted):
 * DEL = Σ_{t≥0} S(t)/(1 + d)^t = ₂F₁(1, β; α + β; 1/(1 + d)) (= 1 + DERL(d | α, β, 0)/(1 + d): after the first
 * payment, the first renewal comes one period later).
 */
export function discountedExpectedLifetime(p: SbgParams, d: number): number {
  if (!(d > 0)) throw new Error("DEL needs a positive discount rate per period");
  return hyp2f1(1, p.beta, p.alpha + p.beta, 1 / (1 + d));
}

/** Annual rate → the equivalent rate per period (12 periods a year for monthly subscriptions). */
export function periodDiscountRate(annualRate: number, periodsPerYear: number): number {
  return Math.pow(1 + annualRate, 1 / periodsPerYear) - 1;
}
