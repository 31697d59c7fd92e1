import { describe, expect, it } from "vitest";
import { cdnowSampleCustomers } from "../../../tests/support/cdnow-rows";
import {
  bgnbdLogLikelihood,
  bgnbdTotalLogLikelihood,
  conditionalExpectedPurchases,
  expectedPurchases,
  fitBgNbd,
  probabilityAlive,
  probabilityOfPurchases,
} from "./bgnbd";
import { compress } from "./summary";
import { hyp2f1 } from "./special";

const cdnowSummary = cdnowSampleCustomers;

// Published values: Fader, Hardie & Lee (2005) and the BTYD / lifetimes test suites (cltv-reference.md).
const ROUNDED = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

describe("BG/NBD on the CDNOW sample", () => {
  const rows = compress(cdnowSummary());
  const started = performance.now();
  const fit = fitBgNbd(rows);
  const seconds = (performance.now() - started) / 1000;
  console.info(`BG/NBD fit: ${seconds.toFixed(3)} s on ${rows.length} unique rows`);

  it("fits r, α, a, b and the log-likelihood to the published values, quickly, on compressed rows", () => {
    expect(fit.customers).toBe(2357);
    expect(fit.uniqueRows).toBe(rows.length);
    expect(rows.length).toBeLessThan(2357);
    expect(fit.r).toBeCloseTo(0.243, 2);
    expect(fit.alpha).toBeCloseTo(4.414, 2);
    expect(fit.a).toBeCloseTo(0.793, 2);
    expect(fit.b).toBeCloseTo(2.426, 2);
    expect(fit.logLikelihood).toBeCloseTo(-9582.43, 2);
    // The MLE itself, a little tighter than the published rounding.
    expect(Math.abs(fit.r - 0.242593)).toBeLessThan(1e-4);
    expect(Math.abs(fit.alpha - 4.413532)).toBeLessThan(2e-3);
    expect(Math.abs(fit.a - 0.792886)).toBeLessThan(1e-3);
    expect(Math.abs(fit.b - 2.425754)).toBeLessThan(5e-3);
  });

  it("customer x=2, t_x=30.43, T=38.86: E[X(39)] = 1.226 and P(alive) = 0.7266", () => {
    expect(Math.abs(conditionalExpectedPurchases(fit, 39, 2, 30.43, 38.86) - 1.226)).toBeLessThan(0.001);
    expect(Math.abs(probabilityAlive(fit, 2, 30.43, 38.86) - 0.7266)).toBeLessThan(5e-5);
  });

  it("unconditional E[X(t)] matches Hardie's spreadsheet to 3 decimals", () => {
    const times = [0.1429, 1, 3, 31.8571, 32, 78];
    const want = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576];
    times.forEach((t, i) => expect(expectedPurchases(fit, t)).toBeCloseTo(want[i]!, 3));
  });

  it("P(X(t)=n) matches BTYD at the published parameters", () => {
    expect(Math.abs(probabilityOfPurchases(ROUNDED, 39, 0) - 0.5737864)).toBeLessThan(1e-6);
    const p = probabilityOfPurchases(ROUNDED, 2, 10);
    expect(Math.abs(p - 1.07869e-7) / 1.07869e-7).toBeLessThan(1e-4);
    // The distribution sums to 1 (over a long horizon, most mass is below 200).
    let total = 0;
    for (let n = 0; n < 400; n++) total += probabilityOfPurchases(ROUNDED, 39, n);
    expect(total).toBeCloseTo(1, 6);
  });

  it("per-customer log-likelihood at a=0.8, b=2.5, r=0.25, α=4, T=40", () => {
    const p = { a: 0.8, b: 2.5, r: 0.25, alpha: 4 };
    expect(bgnbdLogLikelihood(p, 0, 0, 40)).toBeCloseTo(-0.59947382, 7);
    expect(bgnbdLogLikelihood(p, 200, 38, 40)).toBeCloseTo(100.7957, 4);
  });

  it("stays finite for heavy buyers (the powers and ₂F₁ are computed in logs)", () => {
    const e = conditionalExpectedPurchases(fit, 52, 2000, 77, 78);
    expect(Number.isFinite(e)).toBe(true);
    expect(e).toBeGreaterThan(0);
    expect(conditionalExpectedPurchases(fit, 39, 0, 0, 38.86)).toBeGreaterThan(0);
    expect(probabilityAlive(fit, 0, 0, 38.86)).toBe(1);
  });

  it("stays defined when the fit has a + b < 1 (c = a + b + x − 1 < 0 for members with no repeat purchase): values from mpmath", () => {
    // A fit seen on a small merchant; before the signed ₂F₁ these were NaN and the scoring job failed on them.
    const small = { r: 0.341, alpha: 7.057, a: 0.186, b: 0.289 };
    expect(conditionalExpectedPurchases(small, 52.18, 0, 0, 68.14)).toBeCloseTo(0.2060533855526028, 10);
    expect(conditionalExpectedPurchases(small, 52.18, 0, 0, 10)).toBeCloseTo(0.7248878342049464, 10);
    expect(expectedPurchases(small, 52.18)).toBeCloseTo(1.4634661467168844, 10);
    // Continuous across c = 0, where ₂F₁ has a pole and the factor (a+b+x−1) cancels it.
    const below = conditionalExpectedPurchases({ ...small, b: 1 - small.a - 1e-6 }, 52, 0, 0, 60);
    const above = conditionalExpectedPurchases({ ...small, b: 1 - small.a + 1e-6 }, 52, 0, 0, 60);
    expect(Math.abs(below - above)).toBeLessThan(1e-4);
  });

  it("the compressed weighted total equals the sum of per-customer log-likelihoods", () => {
    const perCustomer = cdnowSummary().reduce((s, c) => s + bgnbdLogLikelihood(fit, c.x, c.tx, c.T), 0);
    expect(bgnbdTotalLogLikelihood(fit, rows)).toBeCloseTo(perCustomer, 6);
  });
});

describe("BG/NBD removable singularities (issue 16 §4): the limit, never NaN", () => {
  const base = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

  it("a = 1: conditional and unconditional expectations equal the limit of their neighbours", () => {
    const at = { ...base, a: 1 };
    const cases: [number, number, number, number][] = [[39, 2, 30.43, 38.86], [39, 0, 0, 38.86], [52, 200, 70, 78]];
    for (const [t, x, tx, T] of cases) {
      const e = conditionalExpectedPurchases(at, t, x, tx, T);
      expect(Number.isFinite(e)).toBe(true);
      expect(e).toBeGreaterThan(0);
      for (const d of [1e-2, 1e-4, 1e-6, 1e-8, 1e-12]) {
        for (const a of [1 + d, 1 - d]) {
          const near = conditionalExpectedPurchases({ ...at, a }, t, x, tx, T);
          // Smooth in a: |E(1 ± d) − E(1)| is first order in d.
          expect(Math.abs(near - e)).toBeLessThan(Math.max(10 * d * e, 1e-9 * e));
        }
      }
    }
    const u = expectedPurchases(at, 39);
    expect(Number.isFinite(u)).toBe(true);
    expect(Math.abs(expectedPurchases({ ...at, a: 1 + 1e-7 }, 39) - u)).toBeLessThan(1e-6 * u);
    // Far enough from 1 that the plain formula is exact, the two agree with the limit's slope.
    const slope = (expectedPurchases({ ...at, a: 1.01 }, 39) - expectedPurchases({ ...at, a: 0.99 }, 39)) / 0.02;
    expect(Math.abs((expectedPurchases({ ...at, a: 1.01 }, 39) - u) / 0.01 - slope)).toBeLessThan(Math.abs(slope) * 0.05 + 1e-6);
  });

  it("c = a + b + x − 1 = 0 (x = 0, a + b = 1): ₂F₁ has a pole there and the expectation its finite limit", () => {
    const at = { r: 0.341, alpha: 7.057, a: 0.3, b: 0.7 };
    const e = conditionalExpectedPurchases(at, 52, 0, 0, 60);
    const u = expectedPurchases(at, 52);
    expect(Number.isFinite(e) && e > 0).toBe(true);
    expect(Number.isFinite(u) && u > 0).toBe(true);
    for (const d of [1e-3, 1e-6, 1e-10, 1e-14]) {
      for (const b of [0.7 + d, 0.7 - d]) {
        expect(Math.abs(conditionalExpectedPurchases({ ...at, b }, 52, 0, 0, 60) - e)).toBeLessThan(10 * d * e + 1e-12);
        expect(Math.abs(expectedPurchases({ ...at, b }, 52) - u)).toBeLessThan(10 * d * u + 1e-12);
      }
    }
    // The limit in closed form: c·₂F₁(m, n; c; z) → m·n·z·₂F₁(m+1, n+1; 2; z), so
    // E[X(t)] = −(α/(α+t))^r · r·b·z·₂F₁(r+1, b+1; 2; z) / (a − 1), z = t/(α+t).
    const z = 52 / (at.alpha + 52);
    const want = (-Math.pow(at.alpha / (at.alpha + 52), at.r) * at.r * at.b * z * hyp2f1(at.r + 1, at.b + 1, 2, z)) / (at.a - 1);
    expect(u).toBeCloseTo(want, 10);
  });
});
