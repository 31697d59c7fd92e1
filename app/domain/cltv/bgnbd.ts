/**
 * BG/NBD (Fader, Hardie & Lee 2005): purchases while alive are Poisson(λ), λ ~ Gamma(r, α); after each purchase the
 * customer drops out with probability p, p ~ Beta(a, b). Everything is computed in logs: the powers and ₂F₁ in the
 * conditional expectation overflow for heavy buyers.
 */
import { minimizeMultiStart } from "./optimize";
import { lnBeta, lnGamma, logAddExp, logHyp2f1 } from "./special";
import { type CompressedRow } from "./summary";

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface BgNbdFit extends BgNbdParams {
  logLikelihood: number;
  iterations: number;
  converged: boolean;
  customers: number;
  uniqueRows: number;
}

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

const fromLog = ([r = 0, alpha = 0, a = 0, b = 0]: readonly number[]): BgNbdParams => ({
  r: Math.exp(r),
  alpha: Math.exp(alpha),
  a: Math.exp(a),
  b: Math.exp(b),
});

/** Maximum likelihood on log-parameters (unconstrained, no penalty), several starts. */
export function fitBgNbd(rows: readonly CompressedRow[]): BgNbdFit {
  if (rows.length === 0) throw new Error("BG/NBD fit needs at least one customer");
  const customers = rows.reduce((s, r) => s + r.weight, 0);
  // Scale α's start to the data's time unit (weeks vs days) so every start is in the right region.
  const meanT = rows.reduce((s, r) => s + r.weight * r.T, 0) / customers;
  const la = Math.log(Math.max(meanT / 10, 1e-3));
  const starts = [
    [0, la, 0, 0],
    [Math.log(0.5), la, Math.log(0.5), Math.log(2)],
    [Math.log(2), la + 1, Math.log(2), Math.log(5)],
    [Math.log(0.2), la - 1, Math.log(1.5), Math.log(1)],
  ];
  const res = minimizeMultiStart((v) => -bgnbdTotalLogLikelihood(fromLog(v), rows), starts);
  return { ...fromLog(res.x), logLikelihood: -res.fx, iterations: res.iterations, converged: res.converged, customers, uniqueRows: rows.length };
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

/** 1 − e^L as (sign, ln|·|). */
function oneMinusExp(L: number): { sign: number; log: number } {
  if (L < 0) return { sign: 1, log: Math.log(-Math.expm1(L)) };
  if (L === 0) return { sign: 0, log: -Infinity };
  return { sign: -1, log: L + Math.log(-Math.expm1(-L)) };
}

/** E[Y(t) | x, t_x, T]: expected repeat purchases in the next t for a customer with this history. */
export function conditionalExpectedPurchases(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  if (t <= 0) return 0;
  const { r, alpha, a, b } = p;
  const c = a + b + x - 1;
  const logF = logHyp2f1(r + x, b + x, c, t / (alpha + T + t));
  const L = (r + x) * (Math.log(alpha + T) - Math.log(alpha + T + t)) + logF;
  const bracket = oneMinusExp(L);
  // (a+b+x−1)/(a−1): the sign of (a−1) and of the bracket agree (both flip at a = 1), so the ratio is positive.
  const sign = Math.sign(c) * Math.sign(a - 1) * bracket.sign;
  const log = Math.log(Math.abs(c)) - Math.log(Math.abs(a - 1)) + bracket.log - logAliveDenominator(p, x, tx, T);
  return sign * Math.exp(log);
}

/** E[X(t)]: expected purchases in (0, t] of a new customer. */
export function expectedPurchases(p: BgNbdParams, t: number): number {
  if (t <= 0) return 0;
  const { r, alpha, a, b } = p;
  const L = r * (Math.log(alpha) - Math.log(alpha + t)) + logHyp2f1(r, b, a + b - 1, t / (alpha + t));
  const bracket = oneMinusExp(L);
  const c = a + b - 1;
  return Math.sign(c) * Math.sign(a - 1) * bracket.sign * Math.exp(Math.log(Math.abs(c)) - Math.log(Math.abs(a - 1)) + bracket.log);
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
