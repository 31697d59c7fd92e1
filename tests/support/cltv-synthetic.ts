/**
 * Seeded BG/NBD + Gamma-Gamma customers for CLTV benchmarks and tests: purchases while alive are Poisson(λ) per week,
 * λ ~ Gamma(r, α); after each repeat purchase the customer drops out with probability p ~ Beta(a, b); each purchase's
 * value ~ Gamma(shape p_s, rate ν), ν ~ Gamma(q, γ). First purchases are spread uniformly over the first year and
 * everyone is observed to the end of the second (calibration end = `end`).
 */
import type { Transaction } from "../../app/domain/cltv/summary";

export interface SyntheticTruth {
  r: number;
  alpha: number;
  a: number;
  b: number;
  p: number;
  q: number;
  gamma: number;
}

export const DEFAULT_TRUTH: SyntheticTruth = { r: 0.25, alpha: 4, a: 0.8, b: 2.5, p: 6, q: 4, gamma: 15 };
const START_DAY = 19_723; // 2024-01-01
const DAYS = 730;

/** mulberry32: small, fast, seedable. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** Gamma(shape, rate) by Marsaglia & Tsang (boosted for shape < 1). */
export function gammaSample(u: () => number, shape: number, rate: number): number {
  if (shape < 1) return gammaSample(u, shape + 1, rate) * Math.pow(1 - u(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = normal(u);
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    if (Math.log(1 - u()) < 0.5 * z * z + d - d * v + d * Math.log(v)) return (d * v) / rate;
  }
}

const dayString = (n: number) => new Date(n * 86_400_000).toISOString().slice(0, 10);

export interface SyntheticData {
  transactions: Transaction[];
  calibrationEnd: string;
}

export function syntheticCustomers(n: number, seed: number, truth: SyntheticTruth = DEFAULT_TRUTH): SyntheticData {
  const u = rng(seed);
  const transactions: Transaction[] = [];
  const end = START_DAY + DAYS - 1;
  for (let i = 0; i < n; i++) {
    const id = `c${i}`;
    const lambda = gammaSample(u, truth.r, truth.alpha); // per week
    const x1 = gammaSample(u, truth.a, 1);
    const dropout = x1 / (x1 + gammaSample(u, truth.b, 1));
    const nu = gammaSample(u, truth.q, truth.gamma);
    const amount = () => Math.max(0.01, Math.round(gammaSample(u, truth.p, nu) * 100) / 100);
    let t = START_DAY + Math.floor(u() * 365);
    transactions.push({ customerId: id, date: dayString(t), amount: amount() });
    for (;;) {
      t += (-Math.log(1 - u()) / lambda) * 7;
      if (!(t <= end)) break;
      transactions.push({ customerId: id, date: dayString(Math.floor(t)), amount: amount() });
      if (u() < dropout) break;
    }
  }
  return { transactions, calibrationEnd: dayString(end) };
}
