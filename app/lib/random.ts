/**
 * Seeded pseudo-random numbers and the few distributions the demo-data generator needs. Pure: no I/O, no
 * Math.random, so the same seed always gives the same stream (on every platform: only 32-bit integer ops and
 * IEEE double arithmetic are used).
 *
 * Parametrisation: every rate-based distribution takes a *rate* (not a scale), matching the BG/NBD,
 * Pareto/NBD and Gamma-Gamma papers, e.g. λ ~ Gamma(r, α) has mean r/α.
 */

/** A uniform generator on [0, 1). */
export type Rng = () => number;

const TWO_POW_32 = 4294967296;

/** splitmix32: a good 32-bit mixer; used to expand one seed into sfc32's 128-bit state and to derive sub-seeds. */
function splitmix32(state: number): { value: number; state: number } {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return { value: z >>> 0, state: s };
}

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, PractRand-clean), returning doubles in [0, 1). */
export function sfc32(a: number, b: number, c: number, d: number): Rng {
  a |= 0;
  b |= 0;
  c |= 0;
  d |= 0;
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / TWO_POW_32;
  };
}

/** A generator seeded from any 32-bit integer (other numbers are truncated to 32 bits). */
export function seededRng(seed: number): Rng {
  let s = seed | 0;
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    const r = splitmix32(s);
    s = r.state;
    words.push(r.value);
  }
  const rng = sfc32(words[0]!, words[1]!, words[2]!, words[3]!);
  // The author's recommended warm-up, so nearby seeds diverge fully before the first value is used.
  for (let i = 0; i < 12; i++) rng();
  return rng;
}

/**
 * Derives an independent seed from a base seed and a path of integers (e.g. [memberIndex, STREAM_SPEND]).
 * Giving each member its own stream keeps member 17's draws unchanged when member 16 draws more numbers.
 */
export function deriveSeed(seed: number, ...path: number[]): number {
  let h = splitmix32(seed | 0).value;
  for (const p of path) h = splitmix32((h ^ Math.imul(p | 0, 0x27d4eb2d)) | 0).value;
  return h | 0;
}

/** Uniform on (0, 1]: safe to take the logarithm of. */
function uniformPositive(rng: Rng): number {
  return 1 - rng();
}

export function uniform(rng: Rng, min: number, max: number): number {
  return min + (max - min) * rng();
}

/** Uniform integer in [min, max] (both inclusive). */
export function uniformInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

export function bernoulli(rng: Rng, p: number): boolean {
  return rng() < p;
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  if (items.length === 0) throw new Error("pick from an empty list");
  return items[Math.floor(rng() * items.length)]!;
}

/** Standard normal by Box–Muller (the second variate is discarded: simpler state, speed is irrelevant here). */
export function standardNormal(rng: Rng): number {
  const u1 = uniformPositive(rng);
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Exponential with the given rate (mean 1/rate). */
export function exponential(rng: Rng, rate: number): number {
  if (!(rate > 0)) throw new Error(`exponential rate must be > 0, got ${rate}`);
  return -Math.log(uniformPositive(rng)) / rate;
}

/**
 * Gamma(shape, rate), mean shape/rate, by Marsaglia & Tsang (2000). For shape < 1 it uses the boost
 * Gamma(k) = Gamma(k + 1) · U^(1/k), which the same paper recommends.
 */
export function gamma(rng: Rng, shape: number, rate = 1): number {
  if (!(shape > 0) || !(rate > 0)) throw new Error(`gamma needs shape > 0 and rate > 0, got ${shape}, ${rate}`);
  if (shape < 1) return gamma(rng, shape + 1, rate) * Math.pow(uniformPositive(rng), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = uniformPositive(rng);
    // Squeeze first (cheap), then the exact log test.
    if (u < 1 - 0.0331 * x * x * x * x) return (d * v) / rate;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return (d * v) / rate;
  }
}

/** Lanczos approximation of ln Γ(x) for x > 0 (g = 7, n = 9; ~15 significant digits). */
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Poisson with the given mean: Knuth's product method for small means, Hörmann's PTRS transformed rejection
 * (1993, as in NumPy) for mean ≥ 10, where the product method would be slow and underflow.
 */
export function poisson(rng: Rng, mean: number): number {
  if (!(mean >= 0)) throw new Error(`poisson mean must be >= 0, got ${mean}`);
  if (mean === 0) return 0;
  if (mean < 10) {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = rng();
    while (p > limit) {
      k++;
      p *= rng();
    }
    return k;
  }
  const slam = Math.sqrt(mean);
  const loglam = Math.log(mean);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng() - 0.5;
    const v = rng();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -mean + k * loglam - lnGamma(k + 1)) return k;
  }
}

/**
 * Geometric: the number of failures before the first success, success probability p (mean (1 − p)/p).
 * This is the BG/NBD dropout count: with p the per-purchase dropout probability it is the number of repeat
 * purchases a customer survives.
 */
export function geometric(rng: Rng, p: number): number {
  if (!(p > 0 && p <= 1)) throw new Error(`geometric p must be in (0, 1], got ${p}`);
  if (p === 1) return 0;
  return Math.floor(Math.log(uniformPositive(rng)) / Math.log1p(-p));
}

/** Beta(a, b) via two Gammas (the BG/NBD dropout probability p ~ Beta(a, b)). */
export function beta(rng: Rng, a: number, b: number): number {
  const x = gamma(rng, a);
  const y = gamma(rng, b);
  return x / (x + y);
}
