/**
 * Special functions for the CLTV models. lnΓ and ψ come from stdlib (a maintained, tested port of the Cephes/Boost
 * algorithms); ₂F₁ is the plain hypergeometric series, which is all the BG/NBD needs (0 ≤ z < 1, c > 0).
 */
import digammaImpl from "@stdlib/math-base-special-digamma";
import gammaln from "@stdlib/math-base-special-gammaln";

export function lnGamma(x: number): number {
  return gammaln(x);
}

/** ψ(x) = d/dx lnΓ(x), for the likelihood gradients. */
export function digamma(x: number): number {
  return digammaImpl(x);
}

/** ln B(a, b). */
export function lnBeta(a: number, b: number): number {
  return gammaln(a) + gammaln(b) - gammaln(a + b);
}

/** ln(exp(u) + exp(v)) without overflow. */
export function logAddExp(u: number, v: number): number {
  if (u === -Infinity) return v;
  if (v === -Infinity) return u;
  const m = Math.max(u, v);
  return m + Math.log(Math.exp(u - m) + Math.exp(v - m));
}

const MAX_TERMS = 200_000;
const RESCALE = 1e250;

/**
 * ln ₂F₁(a, b; c; z) by the power series, for 0 ≤ z < 1 and c > 0 (the BG/NBD calls it with a, b > 0).
 * The running sum is rescaled so that very large x (terms ~ e^(x·z)) does not overflow; the result is a log
 * for the same reason. For c ≤ 0 the terms are not all positive and this returns NaN: signedLogHyp2f1 handles it.
 */
export function logHyp2f1(a: number, b: number, c: number, z: number): number {
  if (!(c > 0) || !(z >= 0) || !(z < 1) || !Number.isFinite(a) || !Number.isFinite(b)) return Number.NaN;
  if (z === 0) return 0;
  let term = 1;
  let sum = 1;
  let logScale = 0;
  for (let k = 0; k < MAX_TERMS; k++) {
    const ratio = ((a + k) * (b + k) * z) / ((c + k) * (k + 1));
    term *= ratio;
    sum += term;
    if (sum > RESCALE) {
      sum /= RESCALE;
      term /= RESCALE;
      logScale += Math.log(RESCALE);
    }
    // Terms are positive here; once they shrink (ratio < 1, and the ratio tends to z < 1) and are negligible, stop.
    if ((term <= 1e-17 * sum && ratio < 1) || term === 0) return Math.log(sum) + logScale;
  }
  return Number.NaN;
}

/**
 * ₂F₁(a, b; c; z) as (sign, ln|value|), for 0 ≤ z < 1 and a, b > 0, and any c that is not 0 or a negative integer
 * (a pole). c < 0 arises in the BG/NBD when a + b < 1 and x = 0 (c = a + b − 1 ∈ (−1, 0)): the series is still
 * defined, but its terms change sign while c + k < 0, so it can be negative and is summed with signs (its terms stay
 * small there: a, b are r and b themselves and z < 1). Returns NaN fields where undefined.
 */
export function signedLogHyp2f1(a: number, b: number, c: number, z: number): { sign: number; log: number } {
  if (c > 0) {
    const log = logHyp2f1(a, b, c, z);
    return { sign: Number.isNaN(log) ? Number.NaN : 1, log };
  }
  if (!(z >= 0) || !(z < 1) || !Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(c) || Number.isInteger(c)) {
    return { sign: Number.NaN, log: Number.NaN };
  }
  let term = 1;
  let sum = 1;
  for (let k = 0; k < MAX_TERMS; k++) {
    const ratio = ((a + k) * (b + k) * z) / ((c + k) * (k + 1));
    term *= ratio;
    sum += term;
    if (!Number.isFinite(sum)) break;
    // Past the sign changes (c + k > 0) the terms keep one sign and shrink once the ratio is below 1.
    if (c + k > 0 && Math.abs(ratio) < 1 && Math.abs(term) <= 1e-17 * Math.abs(sum)) return { sign: Math.sign(sum), log: Math.log(Math.abs(sum)) };
  }
  return { sign: Number.NaN, log: Number.NaN };
}

export function hyp2f1(a: number, b: number, c: number, z: number): number {
  return Math.exp(logHyp2f1(a, b, c, z));
}
