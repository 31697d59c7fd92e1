import { describe, it, expect } from "vitest";
import {
  bernoulli,
  beta,
  deriveSeed,
  exponential,
  gamma,
  geometric,
  lnGamma,
  poisson,
  seededRng,
  uniformInt,
  type Rng,
} from "./random";

function draw(n: number, f: () => number): number[] {
  return Array.from({ length: n }, f);
}

function moments(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

/**
 * Checks the sample mean within 5 standard errors of the true mean and the sample variance within 10% (or 15%
 * for heavy-tailed cases): tight enough to catch a wrong parametrisation (scale vs rate, off-by-one shape), loose
 * enough never to be flaky for a fixed seed.
 */
function expectMoments(xs: number[], mean: number, variance: number, varTol = 0.1) {
  const m = moments(xs);
  const se = Math.sqrt(variance / xs.length);
  expect(Math.abs(m.mean - mean)).toBeLessThan(5 * se);
  expect(Math.abs(m.variance / variance - 1)).toBeLessThan(varTol);
}

const N = 100_000;

describe("seeded generator", () => {
  it("is deterministic for a seed and differs between seeds", () => {
    const a = draw(1000, seededRng(42));
    const b = draw(1000, seededRng(42));
    const c = draw(1000, seededRng(43));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("returns values in [0, 1) that look uniform", () => {
    const rng = seededRng(7);
    const xs = draw(N, rng);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expectMoments(xs, 0.5, 1 / 12, 0.02);
    // Ten equal buckets, chi-square with 9 df: 99.9% quantile is 27.9.
    const buckets = new Array<number>(10).fill(0);
    for (const x of xs) buckets[Math.floor(x * 10)]!++;
    const chi2 = buckets.reduce((s, o) => s + (o - N / 10) ** 2 / (N / 10), 0);
    expect(chi2).toBeLessThan(27.9);
  });

  it("derives distinct, stable sub-seeds", () => {
    expect(deriveSeed(1, 2, 3)).toBe(deriveSeed(1, 2, 3));
    const seeds = new Set<number>();
    for (let i = 0; i < 10_000; i++) seeds.add(deriveSeed(1, i, 0));
    expect(seeds.size).toBe(10_000);
    expect(deriveSeed(1, 2, 3)).not.toBe(deriveSeed(1, 3, 2));
  });

  it("uniformInt covers both ends", () => {
    const rng = seededRng(3);
    const xs = draw(10_000, () => uniformInt(rng, 1, 6));
    expect(new Set(xs)).toEqual(new Set([1, 2, 3, 4, 5, 6]));
  });
});

describe("distributions (fixed seed, rate parametrisation)", () => {
  const rng: Rng = seededRng(20261122);

  it("exponential(rate) has mean 1/rate and variance 1/rate²", () => {
    expectMoments(draw(N, () => exponential(rng, 0.25)), 4, 16);
  });

  it.each([
    [0.3, 2],
    [0.6, 40],
    [1, 1],
    [2.5, 0.5],
    [8, 2275],
  ])("gamma(shape %d, rate %d) has mean k/θ and variance k/θ²", (shape, rate) => {
    const xs = draw(N, () => gamma(rng, shape, rate));
    expect(xs.every((x) => x > 0)).toBe(true);
    // Small shapes are heavy-tailed relative to their mean: allow a looser variance check.
    expectMoments(xs, shape / rate, shape / rate ** 2, shape < 1 ? 0.15 : 0.1);
  });

  it.each([0.05, 1, 3.7, 9.99, 10, 25, 400])("poisson(%d) has mean and variance equal to the mean", (mean) => {
    const xs = draw(N, () => poisson(rng, mean));
    expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
    expectMoments(xs, mean, mean);
  });

  it("poisson probabilities match the pmf on both sides of the algorithm switch", () => {
    for (const mean of [4, 12]) {
      const xs = draw(N, () => poisson(rng, mean));
      for (const k of [0, 2, mean, 2 * mean]) {
        const p = Math.exp(-mean + k * Math.log(mean) - lnGamma(k + 1));
        const observed = xs.filter((x) => x === k).length / N;
        expect(Math.abs(observed - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N) + 1e-4);
      }
    }
  });

  it("geometric(p) counts failures: mean (1−p)/p, variance (1−p)/p²", () => {
    const p = 0.2;
    expectMoments(draw(N, () => geometric(rng, p)), (1 - p) / p, (1 - p) / p ** 2);
    expect(geometric(rng, 1)).toBe(0);
  });

  it("beta(a, b) has mean a/(a+b)", () => {
    const a = 0.8;
    const b = 2.4;
    const v = (a * b) / ((a + b) ** 2 * (a + b + 1));
    expectMoments(draw(N, () => beta(rng, a, b)), a / (a + b), v);
  });

  it("bernoulli(p) hits p", () => {
    const hits = draw(N, () => (bernoulli(rng, 0.3) ? 1 : 0));
    expectMoments(hits, 0.3, 0.21);
  });

  it("lnGamma matches known values", () => {
    expect(lnGamma(1)).toBeCloseTo(0, 12);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(lnGamma(10)).toBeCloseTo(Math.log(362880), 10);
    expect(lnGamma(100.5)).toBeCloseTo(361.4355404677776, 8);
  });

  it("rejects invalid parameters", () => {
    expect(() => gamma(rng, 0, 1)).toThrow();
    expect(() => exponential(rng, 0)).toThrow();
    expect(() => poisson(rng, -1)).toThrow();
    expect(() => geometric(rng, 0)).toThrow();
  });
});
