/**
 * Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"): each repeat transaction's value ~ Gamma(p, ν),
 * ν ~ Gamma(q, γ) across customers. Fitted on repeat customers only (x > 0), with their mean repeat spend m.
 */
import { minimizeMultiStart } from "./optimize";
import { lnGamma } from "./special";

export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

export interface GammaGammaFit extends GammaGammaParams {
  logLikelihood: number;
  iterations: number;
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

const fromLog = ([p = 0, q = 0, gamma = 0]: readonly number[]): GammaGammaParams => ({ p: Math.exp(p), q: Math.exp(q), gamma: Math.exp(gamma) });

/** Maximum likelihood on log-parameters from several starts; rows with x = 0 or m ≤ 0 carry no spend information and are dropped. */
export function fitGammaGamma(input: readonly SpendRow[]): GammaGammaFit {
  const rows = input.filter((r) => r.x > 0 && r.m > 0);
  if (rows.length === 0) throw new Error("Gamma-Gamma fit needs at least one repeat customer with spend");
  const customers = rows.reduce((s, r) => s + (r.weight ?? 1), 0);
  const meanM = rows.reduce((s, r) => s + (r.weight ?? 1) * r.m, 0) / customers;
  const lm = Math.log(meanM);
  // Starts away from 0.1: from there Nelder-Mead drifts along a degenerate ridge (p → ∞, γ → 0).
  const starts = [
    [0, 0, lm],
    [Math.log(2), Math.log(2), lm],
    [Math.log(5), Math.log(3), lm],
    [Math.log(1), Math.log(5), lm + 1],
  ];
  const res = minimizeMultiStart((v) => -gammaGammaTotalLogLikelihood(fromLog(v), rows), starts);
  return { ...fromLog(res.x), logLikelihood: -res.fx, iterations: res.iterations, converged: res.converged, customers };
}

/** E[M | x, m]: expected spend per transaction. For x = 0 it is the population mean pγ/(q−1). Requires q > 1. */
export function conditionalExpectedSpend(params: GammaGammaParams, x: number, m: number): number {
  const { p, q, gamma } = params;
  if (!(q > 1)) throw new Error("Gamma-Gamma expected spend requires q > 1");
  return (p * (gamma + x * m)) / (p * x + q - 1);
}
