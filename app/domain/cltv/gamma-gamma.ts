/**
 * Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"): each repeat transaction's value ~ Gamma(p, ν),
 * ν ~ Gamma(q, γ) across customers. Fitted on repeat customers only (x > 0), with their mean repeat spend m.
 */
import { minimizeMultiStart } from "./optimize";
import { digamma, lnGamma } from "./special";

export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

export interface GammaGammaFit extends GammaGammaParams {
  logLikelihood: number;
  iterations: number;
  evaluations: number;
  gradientNorm: number;
  converged: boolean;
  customers: number;
}

export interface SpendRow {
  x: number;
  m: number;
  weight?: number;
}

export function gammaGammaLogLikelihood(params: GammaGammaParams, x: number, m: number): number {
  const { p, q, gamma } = params;
  const px = p * x;
  return lnGamma(px + q) - lnGamma(px) - lnGamma(q) + q * Math.log(gamma) + (px - 1) * Math.log(m) + px * Math.log(x) - (px + q) * Math.log(gamma + x * m);
}

/** Weighted total; the lnΓ terms depend on x only and are computed once per distinct x. */
export function gammaGammaTotalLogLikelihood(params: GammaGammaParams, rows: readonly SpendRow[]): number {
  const { p, q, gamma } = params;
  const base = -lnGamma(q) + q * Math.log(gamma);
  const byX = new Map<number, number>();
  let sum = 0;
  for (const { x, m, weight } of rows) {
    const px = p * x;
    let gx = byX.get(x);
    if (gx === undefined) byX.set(x, (gx = lnGamma(px + q) - lnGamma(px) + px * Math.log(x)));
    sum += (weight ?? 1) * (base + gx + (px - 1) * Math.log(m) - (px + q) * Math.log(gamma + x * m));
  }
  return sum;
}

/**
 * −ℓ and its gradient with respect to (ln p, ln q, ln γ):
 *   ∂ℓ/∂p = x[ψ(px+q) − ψ(px) + ln m + ln x − ln(γ+xm)]
 *   ∂ℓ/∂q = ψ(px+q) − ψ(q) + ln γ − ln(γ+xm)
 *   ∂ℓ/∂γ = q/γ − (px+q)/(γ+xm)
 */
function negLogLikelihoodWithGradient(v: readonly number[], rows: readonly SpendRow[]): { f: number; g: number[] } {
  const p = Math.exp(v[0] ?? 0);
  const q = Math.exp(v[1] ?? 0);
  const gamma = Math.exp(v[2] ?? 0);
  const perX = new Map<number, { lg: number; psiSum: number; psiPx: number; logX: number }>();
  const psiQ = digamma(q);
  const logGamma = Math.log(gamma);
  let ll = 0;
  let gp = 0;
  let gq = 0;
  let gg = 0;
  for (const { x, m, weight } of rows) {
    const w = weight ?? 1;
    const px = p * x;
    let c = perX.get(x);
    if (!c) {
      const logX = Math.log(x);
      perX.set(x, (c = { lg: lnGamma(px + q) - lnGamma(px) + px * logX, psiSum: digamma(px + q), psiPx: digamma(px), logX }));
    }
    const logM = Math.log(m);
    const logGXM = Math.log(gamma + x * m);
    ll += w * (c.lg + (px - 1) * logM - (px + q) * logGXM);
    gp += w * x * (c.psiSum - c.psiPx + logM + c.logX - logGXM);
    gq += w * (c.psiSum - psiQ + logGamma - logGXM);
    gg += w * (q / gamma - (px + q) / (gamma + x * m));
  }
  const n = rows.reduce((s, r) => s + (r.weight ?? 1), 0);
  ll += n * (-lnGamma(q) + q * logGamma);
  return { f: -ll, g: [-p * gp, -q * gq, -gamma * gg] };
}

const fromLog = ([p = 0, q = 0, gamma = 0]: readonly number[]): GammaGammaParams => ({ p: Math.exp(p), q: Math.exp(q), gamma: Math.exp(gamma) });

/** Maximum likelihood on log-parameters, BFGS from several starts; rows with x = 0 or m ≤ 0 carry no spend information and are dropped. */
export function fitGammaGamma(input: readonly SpendRow[]): GammaGammaFit {
  const rows = input.filter((r) => r.x > 0 && r.m > 0);
  if (rows.length === 0) throw new Error("Gamma-Gamma fit needs at least one repeat customer with spend");
  const customers = rows.reduce((s, r) => s + (r.weight ?? 1), 0);
  const meanM = rows.reduce((s, r) => s + (r.weight ?? 1) * r.m, 0) / customers;
  const lm = Math.log(meanM);
  // Starts away from 0.1: from there a local search drifts along a degenerate ridge (p → ∞, γ → 0).
  const starts = [
    [0, 0, lm],
    [Math.log(2), Math.log(2), lm],
    [Math.log(5), Math.log(3), lm],
    [Math.log(1), Math.log(5), lm + 1],
  ];
  const res = minimizeMultiStart((v) => negLogLikelihoodWithGradient(v, rows), starts);
  return {
    ...fromLog(res.x),
    logLikelihood: -res.fx,
    iterations: res.iterations,
    evaluations: res.evaluations,
    gradientNorm: res.gradientNorm,
    converged: res.converged,
    customers,
  };
}

/** E[M | x, m]: expected spend per transaction. For x = 0 it is the population mean pγ/(q−1). Requires q > 1. */
export function conditionalExpectedSpend(params: GammaGammaParams, x: number, m: number): number {
  const { p, q, gamma } = params;
  if (!(q > 1)) throw new Error("Gamma-Gamma expected spend requires q > 1");
  return (p * (gamma + x * m)) / (p * x + q - 1);
}
