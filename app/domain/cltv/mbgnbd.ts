/**
 * MBG/NBD (Batislam, Denizel & Filiztekin 2007; lifetimes' ModifiedBetaGeoFitter): the BG/NBD with one change — a
 * customer may also drop out right after the first purchase, so customers with no repeat purchase (x = 0) are no
 * longer certainly alive. Purchases while alive ~ Poisson(λ), λ ~ Gamma(r, α); dropout after each purchase
 * (the first included) with probability p ~ Beta(a, b). Same compressed summary (x, t_x, T) as the BG/NBD.
 */
import { minimizeMultiStart } from "./optimize";
import { betaGeometricBracket, digamma, lnGamma, logAddExp } from "./special";
import { type CompressedRow } from "./summary";
import { type BgNbdParams, betaGeometricStarts, bgnbdFromLog } from "./bgnbd";
import { type FitOptions, type ModelFitCore, fitCore, logTimeScaleStart, penaltyWithGradient } from "./model-fit";

/** The MBG/NBD has the BG/NBD's four parameters (r, α for purchasing, a, b for dropout). */
export type MbgNbdParams = BgNbdParams;

export interface MbgNbdFit extends MbgNbdParams, ModelFitCore {}

/**
 * ℓ = A1 + A2 + ln(e^A3 + e^A4) for every x (x = 0 included), with
 * A1 = lnΓ(r+x) − lnΓ(r) + r ln α, A2 = lnΓ(a+b) + lnΓ(b+x+1) − lnΓ(b) − lnΓ(a+b+x+1),
 * A3 = −(r+x) ln(α+T), A4 = ln a − ln(b+x) − (r+x) ln(α+t_x).
 */
export function mbgnbdLogLikelihood(p: MbgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = p;
  const a1 = lnGamma(r + x) - lnGamma(r) + r * Math.log(alpha);
  const a2 = lnGamma(a + b) + lnGamma(b + x + 1) - lnGamma(b) - lnGamma(a + b + x + 1);
  const a3 = -(r + x) * Math.log(alpha + T);
  const a4 = Math.log(a) - Math.log(b + x) - (r + x) * Math.log(alpha + tx);
  return a1 + a2 + logAddExp(a3, a4);
}

export function mbgnbdTotalLogLikelihood(p: MbgNbdParams, rows: readonly CompressedRow[]): number {
  return rows.reduce((s, row) => s + row.weight * mbgnbdLogLikelihood(p, row.x, row.tx, row.T), 0);
}

/**
 * −ℓ and its gradient with respect to (ln r, ln α, ln a, ln b). With w₃ = e^A3/(e^A3 + e^A4), w₄ = 1 − w₃:
 *   ∂ℓ/∂r = ψ(r+x) − ψ(r) + ln α − w₃ ln(α+T) − w₄ ln(α+t_x)
 *   ∂ℓ/∂α = r/α − (r+x)(w₃/(α+T) + w₄/(α+t_x))
 *   ∂ℓ/∂a = ψ(a+b) − ψ(a+b+x+1) + w₄/a
 *   ∂ℓ/∂b = ψ(a+b) + ψ(b+x+1) − ψ(b) − ψ(a+b+x+1) − w₄/(b+x)
 */
export function mbgnbdNegLogLikelihoodWithGradient(v: readonly number[], rows: readonly CompressedRow[]): { f: number; g: number[] } {
  const r = Math.exp(v[0] ?? 0);
  const alpha = Math.exp(v[1] ?? 0);
  const a = Math.exp(v[2] ?? 0);
  const b = Math.exp(v[3] ?? 0);
  const perX = new Map<number, { lg: number; dr: number; da: number; db: number }>();
  const psiAB = digamma(a + b);
  const logA = Math.log(a);
  let ll = 0;
  let gr = 0;
  let gAlpha = 0;
  let ga = 0;
  let gb = 0;
  let n = 0;
  for (const row of rows) {
    const { x, weight: w } = row;
    let c = perX.get(x);
    if (!c) {
      const psiABX = digamma(a + b + x + 1);
      c = { lg: lnGamma(r + x) + lnGamma(b + x + 1) - lnGamma(a + b + x + 1), dr: digamma(r + x), da: psiAB - psiABX, db: psiAB + digamma(b + x + 1) - psiABX };
      perX.set(x, c);
    }
    const logAT = Math.log(alpha + row.T);
    const logATx = Math.log(alpha + row.tx);
    const a3 = -(r + x) * logAT;
    const a4 = logA - Math.log(b + x) - (r + x) * logATx;
    const mix = logAddExp(a3, a4);
    const w3 = Math.exp(a3 - mix);
    const w4 = Math.exp(a4 - mix);
    ll += w * (c.lg + mix);
    gr += w * (c.dr - w3 * logAT - w4 * logATx);
    gAlpha += w * -(r + x) * (w3 / (alpha + row.T) + w4 / (alpha + row.tx));
    ga += w * (c.da + w4 / a);
    gb += w * (c.db - w4 / (b + x));
    n += w;
  }
  ll += n * (-lnGamma(r) + r * Math.log(alpha) + lnGamma(a + b) - lnGamma(b));
  gr += n * (-digamma(r) + Math.log(alpha));
  gAlpha += (n * r) / alpha;
  gb += -n * digamma(b);
  return { f: -ll, g: [-r * gr, -alpha * gAlpha, -a * ga, -b * gb] };
}

/** The same four parameters on the same log scale as the BG/NBD's. */
export const mbgnbdFromLog: (v: readonly number[]) => MbgNbdParams = bgnbdFromLog;

/** Maximum likelihood on log-parameters, BFGS from several starts; `penalizer` > 0 adds lifetimes' L2 shrinkage. */
export function fitMbgNbd(rows: readonly CompressedRow[], options: FitOptions = {}): MbgNbdFit {
  if (rows.length === 0) throw new Error("MBG/NBD fit needs at least one customer");
  const customers = rows.reduce((s, r) => s + r.weight, 0);
  const starts = betaGeometricStarts(logTimeScaleStart(rows, customers, 10));
  const penalizer = options.penalizer ?? 0;
  const objective = (v: readonly number[]) => penaltyWithGradient(mbgnbdNegLogLikelihoodWithGradient(v, rows), v, penalizer, customers);
  const res = minimizeMultiStart(objective, starts);
  const params = mbgnbdFromLog(res.x);
  return { ...params, ...fitCore(res, { logLikelihood: mbgnbdTotalLogLikelihood(params, rows), penalizer, customers, uniqueRows: rows.length }) };
}

function logAliveDenominator(p: MbgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = p;
  return logAddExp(0, Math.log(a) - Math.log(b + x) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx)));
}

/** P(alive | x, t_x, T) = 1/(1 + a/(b+x)·((α+T)/(α+t_x))^(r+x)); below 1 even for x = 0. */
export function mbgnbdProbabilityAlive(p: MbgNbdParams, x: number, tx: number, T: number): number {
  return Math.exp(-logAliveDenominator(p, x, tx, T));
}

/** E[Y(t) | x, t_x, T] = (a+b+x)/(a−1)·[1 − q^(r+x) ₂F₁(r+x, b+x+1; a+b+x; z)]·P(alive), q = (α+T)/(α+T+t), z = 1 − q. */
export function mbgnbdConditionalExpectedPurchases(p: MbgNbdParams, t: number, x: number, tx: number, T: number): number {
  if (t <= 0) return 0;
  const { r, alpha, a, b } = p;
  const logQ = Math.log(alpha + T) - Math.log(alpha + T + t);
  return betaGeometricBracket(r + x, b + x + 1, a + b + x, t / (alpha + T + t), logQ) * mbgnbdProbabilityAlive(p, x, tx, T);
}

/** E[X(t)] for a new customer: b/(a−1)·[1 − (α/(α+t))^r ₂F₁(r, b+1; a+b; t/(α+t))]. */
export function mbgnbdExpectedPurchases(p: MbgNbdParams, t: number): number {
  if (t <= 0) return 0;
  const { r, alpha, a, b } = p;
  // The bracket carries the factor c = a + b; b/(a−1) = (a+b)/(a−1) · b/(a+b).
  return (betaGeometricBracket(r, b + 1, a + b, t / (alpha + t), Math.log(alpha) - Math.log(alpha + t)) * b) / (a + b);
}
