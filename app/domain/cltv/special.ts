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

/** ln(e^u − e^v) for u ≥ v (−Infinity when they are equal). */
export function logSubExp(u: number, v: number): number {
  if (v === -Infinity) return u;
  if (!(u >= v)) return Number.NaN;
  if (u === v) return -Infinity;
  return u + Math.log(-Math.expm1(v - u));
}

/**
 * ln[c·(₂F₁(a, b; c; z) − 1)] for a, b > 0, 0 ≤ z < 1 and c > −1, c ≠ 0 allowed to be 0: the series
 * c·(F − 1) = ab·z·Σ_j (a+1)_j (b+1)_j z^j / ((c+1)_j (j+1)!) has only positive terms and no pole at c = 0, where it is
 * the limit ab·z·₂F₁(a+1, b+1; 2; z) of c·₂F₁. The BG/NBD multiplies ₂F₁ by c = a+b+x−1, which is 0 when x = 0 and
 * a + b = 1 (the removable singularity the issue names).
 */
export function logScaledHyp2f1Tail(a: number, b: number, c: number, z: number): number {
  if (!(c > -1) || !(z >= 0) || !(z < 1) || !(a > 0) || !(b > 0)) return Number.NaN;
  if (z === 0) return -Infinity;
  let term = 1;
  let sum = 1;
  let logScale = 0;
  for (let j = 0; j < MAX_TERMS; j++) {
    const ratio = ((a + 1 + j) * (b + 1 + j) * z) / ((c + 1 + j) * (j + 2));
    term *= ratio;
    sum += term;
    if (sum > RESCALE) {
      sum /= RESCALE;
      term /= RESCALE;
      logScale += Math.log(RESCALE);
    }
    if ((term <= 1e-17 * sum && ratio < 1) || term === 0) return Math.log(a * b * z) + Math.log(sum) + logScale;
  }
  return Number.NaN;
}

/**
 * ln of lim_{ε→0} [1 − (1−z)^m ₂F₁(m, n; n+ε; z)] / ε = (1−z)^m Σ_k (m)_k z^k / k! · Σ_{j<k} 1/(n+j), for m, n > 0 and
 * 0 < z < 1: at ε = 0 the ₂F₁ is (1−z)^(−m) and the bracket vanishes, so the expectation's (a−1) in the denominator is
 * cancelled (the a = 1 path of the BG/NBD and MBG/NBD). The derivative of (n)_k/(n+ε)_k at ε = 0 is −Σ_{j<k} 1/(n+j).
 */
export function logBracketLimitAtA1(m: number, n: number, z: number, logOneMinusZ: number): number {
  if (!(m > 0) || !(n > 0) || !(z > 0) || !(z < 1)) return z === 0 ? -Infinity : Number.NaN;
  let t = 1; // (m)_k z^k / k!
  let h = 0; // Σ_{j<k} 1/(n+j)
  let sum = 0;
  let logScale = 0;
  for (let k = 1; k < MAX_TERMS; k++) {
    const ratio = ((m + k - 1) * z) / k;
    t *= ratio;
    h += 1 / (n + k - 1);
    const term = t * h;
    sum += term;
    if (sum > RESCALE) {
      sum /= RESCALE;
      t /= RESCALE;
      logScale += Math.log(RESCALE);
    }
    // h grows like ln k, slower than the geometric decay of t once ratio < 1.
    if ((term <= 1e-17 * sum && ratio < 1) || t === 0) return m * logOneMinusZ + Math.log(sum) + logScale;
  }
  return Number.NaN;
}

/** Within this distance of a = 1 the expectations interpolate between the limit and the plain formula at the band's edge. */
const A1_BAND = 1e-5;

/**
 * c·[1 − q^m ₂F₁(m, n; c; z)] / (c − n) with q = 1 − z given as ln q: the factor shared by the BG/NBD (c = a+b+x−1,
 * n = b+x) and MBG/NBD (c = a+b+x, n = b+x+1) expected purchases, where c − n = a − 1. Positive for valid parameters.
 * Guards both removable singularities: a = 1 (c = n, 0/0) and c = 0 (the pole of ₂F₁ times c); never NaN there.
 */
export function betaGeometricBracket(m: number, n: number, c: number, z: number, logQ: number): number {
  if (z <= 0) return 0;
  const eps = c - n;
  if (Math.abs(eps) < A1_BAND) {
    // Linear between the limit at a = 1 and the formula at the band's edge: error O(ε·band), no cancellation.
    const atOne = Math.exp(Math.log(n) + logBracketLimitAtA1(m, n, z, logQ));
    const edge = eps >= 0 ? A1_BAND : -A1_BAND;
    const atEdge = bracketAwayFromA1(m, n, n + edge, edge, z, logQ);
    return atOne + ((atEdge - atOne) * eps) / edge;
  }
  return bracketAwayFromA1(m, n, c, eps, z, logQ);
}

function bracketAwayFromA1(m: number, n: number, c: number, eps: number, z: number, logQ: number): number {
  if (c < 1) {
    // c·[1 − q^m F] = c(1 − q^m) − q^m·c(F − 1), the second part from the pole-free series.
    const tail = Math.exp(m * logQ + logScaledHyp2f1Tail(m, n, c, z));
    return (-c * Math.expm1(m * logQ) - tail) / eps;
  }
  const F = signedLogHyp2f1(m, n, c, z);
  const L = m * logQ + F.log;
  // 1 − e^L with its sign (F > 0 here since c ≥ 1).
  const bracketSign = L < 0 ? 1 : L === 0 ? 0 : -1;
  const bracketLog = L < 0 ? Math.log(-Math.expm1(L)) : L + Math.log(-Math.expm1(-L));
  return Math.sign(eps) * bracketSign * Math.exp(Math.log(c) - Math.log(Math.abs(eps)) + bracketLog);
}

/** [1 − q^k] / k for q = e^{logQ}, and its limit −ln q at k = 0 (the Pareto/NBD's s = 1). */
export function oneMinusPowOver(logQ: number, k: number): number {
  const u = k * logQ;
  const ratio = Math.abs(u) < 1e-5 ? 1 + u / 2 + (u * u) / 6 : Math.expm1(u) / u;
  return -logQ * ratio;
}
