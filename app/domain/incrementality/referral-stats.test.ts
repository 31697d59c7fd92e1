import { describe, expect, it } from "vitest";
import { incrementalReferralInterval, incrementalReferralValue, rateRatioKatz, referralPremium, wilson } from "./referral-stats";

describe("wilson", () => {
  it("matches the textbook interval for 10/100", () => {
    const r = wilson(10, 100);
    expect(r.rate).toBe(0.1);
    // Newcombe (1998), table I: 0.0552 – 0.1744.
    expect(r.ci95![0]).toBeCloseTo(0.0552, 4);
    expect(r.ci95![1]).toBeCloseTo(0.1744, 4);
  });
  it("has a positive upper bound at zero successes and no interval without trials", () => {
    const z = wilson(0, 20);
    expect(z.ci95![0]).toBe(0);
    expect(z.ci95![1]).toBeGreaterThan(0.1);
    expect(wilson(0, 0)).toEqual({ successes: 0, trials: 0, rate: null, ci95: null });
  });
  it("rejects impossible counts", () => {
    expect(() => wilson(5, 4)).toThrow(RangeError);
    expect(() => wilson(-1, 4)).toThrow(RangeError);
  });
});

describe("rateRatioKatz", () => {
  it("computes the ratio and Katz's log interval", () => {
    // holdout 20/200 = 0.1, offer 50/200 = 0.25 → 0.4; SE = √(1/20 − 1/200 + 1/50 − 1/200) = √0.06.
    const r = rateRatioKatz(20, 200, 50, 200)!;
    expect(r.ratio).toBeCloseTo(0.4, 12);
    expect(r.seLog).toBeCloseTo(Math.sqrt(0.06), 12);
    expect(r.ci95[0]).toBeCloseTo(0.4 * Math.exp(-1.959964 * Math.sqrt(0.06)), 5);
    expect(r.ci95[1]).toBeCloseTo(0.4 * Math.exp(1.959964 * Math.sqrt(0.06)), 5);
    expect(r.ci95[0]).toBeCloseTo(0.2475, 4);
    expect(r.ci95[1]).toBeCloseTo(0.6465, 4);
  });
  it("narrows as the sample grows", () => {
    const small = rateRatioKatz(20, 200, 50, 200)!;
    const big = rateRatioKatz(200, 2000, 500, 2000)!;
    expect(big.ratio).toBeCloseTo(small.ratio, 12);
    expect(big.ci95[1] - big.ci95[0]).toBeLessThan((small.ci95[1] - small.ci95[0]) / 2);
  });
  it("uses the zero-cell correction and is undefined without offer conversions", () => {
    const z = rateRatioKatz(0, 100, 10, 100)!;
    expect(z.ratio).toBe(0);
    expect(z.ci95[0]).toBeGreaterThan(0);
    expect(z.ci95[1]).toBeGreaterThan(0.05);
    expect(rateRatioKatz(3, 100, 0, 100)).toBeNull();
    expect(rateRatioKatz(3, 0, 4, 100)).toBeNull();
  });
});

describe("incremental value of the friend's gift", () => {
  // 50 gifted converts worth 10,000 each; held-out converts worth 8,000; 200 per gift, 600 per referrer reward.
  const x = { converts: 50, sumValue: 50 * 10_000, meanOffer: 10_000, meanHoldout: 8_000, friendRewardCost: 50 * 200, referrerRewardCost: 50 * 600 };
  it("is Σ CLV·(1 − p) + premium − friend rewards − referrer rewards·(1 − p)", () => {
    expect(referralPremium(x, 0.4)).toBe(50 * 0.4 * 2_000);
    expect(incrementalReferralValue(x, 0.4)).toBeCloseTo(470_000 * 0.6 + 40_000 - 10_000, 6);
    // Nobody would have come without the gift: everything the gifted friends bring, less every reward.
    expect(incrementalReferralValue(x, 0)).toBe(500_000 - 10_000 - 30_000);
    // Everyone would have come anyway: the premium less the gifts; the referrer rewards were due either way.
    expect(incrementalReferralValue(x, 1)).toBe(100_000 - 10_000);
  });
  it("equals the per-device difference between the arms (a known answer from first principles)", () => {
    // 200 gifted devices convert at 25% (50), 100 held-out devices at 10% (10). Per gifted device, the gift adds
    // 0.25·10,000 − 0.10·8,000 in value, costs 0.25·200 in gifts and (0.25 − 0.10)·600 in referrer rewards for the
    // friends it brought: 2,500 − 800 − 50 − 90 = 1,560, so 312,000 over the 200 devices.
    const p = rateRatioKatz(10, 100, 50, 200)!.ratio;
    expect(p).toBeCloseTo(0.4, 12);
    expect(incrementalReferralValue(x, p)).toBeCloseTo(312_000, 6);
  });
  it("orders the interval from p's interval ends", () => {
    const [lo, hi] = incrementalReferralInterval(x, [0.25, 0.65]);
    expect(lo).toBeCloseTo(incrementalReferralValue(x, 0.65), 6);
    expect(hi).toBeCloseTo(incrementalReferralValue(x, 0.25), 6);
    expect(lo).toBeLessThan(hi);
  });
});
