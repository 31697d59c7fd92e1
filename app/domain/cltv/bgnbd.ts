/**
 * BG/NBD (Fader, Hardie & Lee 2005): purchases while alive are Poisson(λ), λ ~ Gamma(r, α); after each purchase the
 * customer drops out with probability p, p ~ Beta(a, b). Everything is computed in logs: the powers and ₂F₁ in the
 * conditional expectation overflow for heavy buyers.
 */
import { minimizeMultiStart } from "./optimize";
import { betaGeometricBracket, digamma, lnBeta, lnGamma, logAddExp } from "./special";
import { type FitOptions, type ModelFitCore, fitCore, logTimeScaleStart, penaltyWithGradient } from "./model-fit";
import { type CompressedRow } from "./summary";

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface BgNbdFit extends BgNbdParams, ModelFitCore {}

/** Log-likelihood of one customer with x repeat purchases, the last at t_x, observed for T. */
export function bgnbdLogLikelihood(p: BgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = p;
  const a1 = lnGamma(r + x) - lnGamma(r) + r * Math.log(alpha);
  const a2 = lnGamma(a + b) + lnGamma(b + x) - lnGamma(b) - lnGamma(a + b + x);
  const a3 = -(r + x) * Math.log(alpha + T);
  const a4 = x > 0 ? Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx) : -Infinity;
  return a1 + a2 + logAddExp(a3, a4);
}

/**
 * Weighted total over compressed rows. The lnΓ terms depend on x only, and customers share few distinct x, so they
 * are computed once per x per call (this is what makes a fit take milliseconds per evaluation).
 */
export function bgnbdTotalLogLikelihood(p: BgNbdParams, rows: readonly CompressedRow[]): number {
  const { r, alpha, a, b } = p;
  const base = -lnGamma(r) + r * Math.log(alpha) + lnGamma(a + b) - lnGamma(b);
  const logA = Math.log(a);
  const byX = new Map<number, number>();
  let sum = 0;
  for (const row of rows) {
    const x = row.x;
    let gx = byX.get(x);
    if (gx === undefined) byX.set(x, (gx = lnGamma(r + x) + lnGamma(b + x) - lnGamma(a + b + x)));
    const a3 = -(r + x) * Math.log(alpha + row.T);
    const a4 = x > 0 ? logA - Math.log(b + x - 1) - (r + x) * Math.log(alpha + row.tx) : -Infinity;
    sum += row.weight * (base + gx + logAddExp(a3, a4));
  }
  return sum;
}

/**
 * The compressed rows as typed arrays, with each row's index into the distinct x values: the fit evaluates the
 * likelihood and its gradient a few hundred times, so the per-row work is kept to two logs and one exp.
 */
interface PreparedRows {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  w: Float64Array;
  xIndex: Int32Array;
  distinctX: number[];
  customers: number;
}

function prepare(rows: readonly CompressedRow[]): PreparedRows {
  const n = rows.length;
  const p: PreparedRows = { x: new Float64Array(n), tx: new Float64Array(n), T: new Float64Array(n), w: new Float64Array(n), xIndex: new Int32Array(n), distinctX: [], customers: 0 };
  const index = new Map<number, number>();
  rows.forEach((row, i) => {
    let k = index.get(row.x);
    if (k === undefined) {
      index.set(row.x, (k = p.distinctX.length));
      p.distinctX.push(row.x);
    }
    p.x[i] = row.x;
    p.tx[i] = row.tx;
    p.T[i] = row.T;
    p.w[i] = row.weight;
    p.xIndex[i] = k;
    p.customers += row.weight;
  });
  return p;
}

/**
 * −ℓ and its gradient with respect to (ln r, ln α, ln a, ln b). With w₃ = e^A3/(e^A3 + e^A4) and w₄ = 1 − w₃:
 *   ∂ℓ/∂r = ψ(r+x) − ψ(r) + ln α − w₃ ln(α+T) − w₄ ln(α+t_x)
 *   ∂ℓ/∂α = r/α − (r+x)(w₃/(α+T) + w₄/(α+t_x))
 *   ∂ℓ/∂a = ψ(a+b) − ψ(a+b+x) + w₄/a
 *   ∂ℓ/∂b = ψ(a+b) + ψ(b+x) − ψ(b) − ψ(a+b+x) − w₄/(b+x−1)
 */
function negLogLikelihoodWithGradient(v: readonly number[], p: PreparedRows): { f: number; g: number[] } {
  const r = Math.exp(v[0] ?? 0);
  const alpha = Math.exp(v[1] ?? 0);
  const a = Math.exp(v[2] ?? 0);
  const b = Math.exp(v[3] ?? 0);
  const k = p.distinctX.length;
  // Per distinct x: the lnΓ part of A1 + A2 and the ψ parts of the gradient.
  const lg = new Float64Array(k);
  const dr = new Float64Array(k);
  const da = new Float64Array(k);
  const db = new Float64Array(k);
  const psiAB = digamma(a + b);
  for (let j = 0; j < k; j++) {
    const x = p.distinctX[j]!;
    lg[j] = lnGamma(r + x) + lnGamma(b + x) - lnGamma(a + b + x);
    dr[j] = digamma(r + x);
    const psiABX = digamma(a + b + x);
    da[j] = psiAB - psiABX;
    db[j] = psiAB + digamma(b + x) - psiABX;
  }
  const base = -lnGamma(r) + r * Math.log(alpha) + lnGamma(a + b) - lnGamma(b);
  const logA = Math.log(a);
  let ll = 0;
  let gr = 0;
  let gAlpha = 0;
  let ga = 0;
  let gb = 0;
  for (let i = 0; i < p.x.length; i++) {
    const x = p.x[i]!;
    const w = p.w[i]!;
    const j = p.xIndex[i]!;
    const logAT = Math.log(alpha + p.T[i]!);
    const a3 = -(r + x) * logAT;
    let w3 = 1;
    let w4 = 0;
    let mix = a3;
    let logATx = 0;
    if (x > 0) {
      logATx = Math.log(alpha + p.tx[i]!);
      const a4 = logA - Math.log(b + x - 1) - (r + x) * logATx;
      // logAddExp with the weights of its two terms.
      if (a3 >= a4) {
        const e = Math.exp(a4 - a3);
        mix = a3 + Math.log1p(e);
        w4 = e / (1 + e);
        w3 = 1 - w4;
      } else {
        const e = Math.exp(a3 - a4);
        mix = a4 + Math.log1p(e);
        w3 = e / (1 + e);
        w4 = 1 - w3;
      }
    }
    ll += w * (lg[j]! + mix);
    gr += w * (dr[j]! - w3 * logAT - w4 * logATx);
    gAlpha += w * -(r + x) * (w3 / (alpha + p.T[i]!) + (x > 0 ? w4 / (alpha + p.tx[i]!) : 0));
    ga += w * (da[j]! + w4 / a);
    gb += w * (db[j]! - (x > 0 ? w4 / (b + x - 1) : 0));
  }
  const n = p.customers;
  ll += n * base;
  gr += n * (-digamma(r) + Math.log(alpha));
  gAlpha += (n * r) / alpha;
  gb += -n * digamma(b);
  // Chain rule to log-parameters, sign flipped for minimisation.
  return { f: -ll, g: [-r * gr, -alpha * gAlpha, -a * ga, -b * gb] };
}

export const bgnbdFromLog = ([r = 0, alpha = 0, a = 0, b = 0]: readonly number[]): BgNbdParams => ({
  r: Math.exp(r),
  alpha: Math.exp(alpha),
  a: Math.exp(a),
  b: Math.exp(b),
});

/** −ℓ on log-parameters (for standard errors and independent checks). */
export function bgnbdNegLogLikelihood(v: readonly number[], rows: readonly CompressedRow[]): number {
  const ll = bgnbdTotalLogLikelihood(bgnbdFromLog(v), rows);
  return Number.isFinite(ll) ? -ll : Infinity;
}

/**
 * Maximum likelihood on log-parameters (unconstrained), BFGS from several starts; no penalty unless `penalizer` > 0
 * (lifetimes' L2 shrinkage, model-fit.ts).
 */
export function fitBgNbd(rows: readonly CompressedRow[], options: FitOptions = {}): BgNbdFit {
  if (rows.length === 0) throw new Error("BG/NBD fit needs at least one customer");
  const prepared = prepare(rows);
  const customers = prepared.customers;
  const penalizer = options.penalizer ?? 0;
  const res = minimizeMultiStart(
    (v) => penaltyWithGradient(negLogLikelihoodWithGradient(v, prepared), v, penalizer, customers),
    betaGeometricStarts(logTimeScaleStart(rows, customers, 10)),
  );
  const params = bgnbdFromLog(res.x);
  const logLikelihood = penalizer > 0 ? bgnbdTotalLogLikelihood(params, rows) : -res.fx;
  return { ...params, ...fitCore(res, { logLikelihood, penalizer, customers, uniqueRows: rows.length }) };
}

/** The BG/NBD's and MBG/NBD's starts on log-parameters (r, α, a, b), α's around `la`. */
export function betaGeometricStarts(la: number): number[][] {
  return [
    [0, la, 0, 0],
    [Math.log(0.5), la, Math.log(0.5), Math.log(2)],
    [Math.log(2), la + 1, Math.log(2), Math.log(5)],
    [Math.log(0.2), la - 1, Math.log(1.5), Math.log(1)],
  ];
}

/** ln D where P(alive) = 1/D. */
function logAliveDenominator(p: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 0;
  const { r, alpha, a, b } = p;
  return logAddExp(0, Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx)));
}

export function probabilityAlive(p: BgNbdParams, x: number, tx: number, T: number): number {
  return Math.exp(-logAliveDenominator(p, x, tx, T));
}

/**
 * E[Y(t) | x, t_x, T]: expected repeat purchases in the next t for a customer with this history,
 * (a+b+x−1)/(a−1)·[1 − q^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z)]/D with q = (α+T)/(α+T+t), z = t/(α+T+t). The bracket
 * (betaGeometricBracket) returns the limit at a = 1 and at a+b+x−1 = 0 instead of NaN.
 */
export function conditionalExpectedPurchases(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  if (t <= 0) return 0;
  const { r, alpha, a, b } = p;
  const logQ = Math.log(alpha + T) - Math.log(alpha + T + t);
  const factor = betaGeometricBracket(r + x, b + x, a + b + x - 1, t / (alpha + T + t), logQ);
  return factor * Math.exp(-logAliveDenominator(p, x, tx, T));
}

/** E[X(t)]: expected purchases in (0, t] of a new customer (the conditional expectation at x = t_x = T = 0). */
export function expectedPurchases(p: BgNbdParams, t: number): number {
  if (t <= 0) return 0;
  const { r, alpha, a, b } = p;
  return betaGeometricBracket(r, b, a + b - 1, t / (alpha + t), Math.log(alpha) - Math.log(alpha + t));
}

/** P(X(t) = n) for a new customer (FHL 2005, eq. 8). */
export function probabilityOfPurchases(p: BgNbdParams, t: number, n: number): number {
  const { r, alpha, a, b } = p;
  const lq = Math.log(alpha) - Math.log(alpha + t); // ln(α/(α+t))
  const lz = Math.log(t) - Math.log(alpha + t); // ln(t/(α+t))
  const lnB = lnBeta(a, b);
  const nbd = (j: number) => lnGamma(r + j) - lnGamma(r) - lnGamma(j + 1) + r * lq + (j === 0 ? 0 : j * lz);
  const first = Math.exp(lnBeta(a, b + n) - lnB + nbd(n));
  if (n === 0) return first;
  // 1 − Σ_{j<n} NBD(j) = P(NBD ≥ n); summing the tail directly avoids cancellation when it is tiny.
  let tail = 0;
  for (let j = 0; j < n; j++) tail += Math.exp(nbd(j));
  let upper = 1 - tail;
  if (upper < 1e-8) {
    // Sum the upper tail instead: terms NBD(j), j ≥ n, decrease geometrically with ratio < (r+j)/(j+1)·z.
    upper = 0;
    for (let j = n; j < n + 100_000; j++) {
      const term = Math.exp(nbd(j));
      upper += term;
      if (term < 1e-18 * upper && ((r + j) / (j + 1)) * Math.exp(lz) < 1) break;
    }
  }
  return first + Math.exp(lnBeta(a + 1, b + n - 1) - lnB) * upper;
}
