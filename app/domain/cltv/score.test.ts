import { describe, expect, it } from "vitest";
import { conditionalExpectedPurchases, probabilityAlive } from "./bgnbd";
import { rankMembers, scoreMembers, type MemberScore } from "./score";

const CDNOW = { r: 0.242593, alpha: 4.413532, a: 0.792886, b: 2.425754 };
const GG = { p: 6.25, q: 3.74, gamma: 15.44 };
const input = { bgnbd: CDNOW, gammaGamma: GG, timeUnit: "week" as const, meanSpend: 30, grossMargin: 0.5, annualDiscountRate: 0, minorScale: 100 };

describe("scoreMembers", () => {
  it("without discounting, CLTV over h months = E[Y(h months)] × E[M] × margin", () => {
    // The published FHL customer: x = 2, t_x = 30.43, T = 38.86 weeks, mean repeat spend $25.
    const [s] = scoreMembers([{ memberId: "m", x: 2, tx: 30.43, T: 38.86, zbar: 25, spend: 75 }], input);
    const spend = (GG.p * (GG.gamma + 2 * 25)) / (GG.p * 2 + GG.q - 1);
    const weeks = (months: number) => (months * 365.25) / 12 / 7;
    expect(s!.pAlive).toBeCloseTo(probabilityAlive(CDNOW, 2, 30.43, 38.86), 12);
    expect(s!.predictedPurchases12m).toBeCloseTo(conditionalExpectedPurchases(CDNOW, weeks(12), 2, 30.43, 38.86), 10);
    expect(s!.expectedOrderMinor).toBe(Math.round(spend * 100));
    expect(s!.cltv12mMinor).toBe(Math.round(conditionalExpectedPurchases(CDNOW, weeks(12), 2, 30.43, 38.86) * spend * 0.5 * 100));
    expect(s!.cltv36mMinor).toBe(Math.round(conditionalExpectedPurchases(CDNOW, weeks(36), 2, 30.43, 38.86) * spend * 0.5 * 100));
  });

  it("discounts each month's purchases, uses the population mean for x = 0 and the fallback without Gamma-Gamma", () => {
    const members = [{ memberId: "a", x: 0, tx: 0, T: 30, zbar: 0, spend: 20 }];
    const [plain] = scoreMembers(members, input);
    const [discounted] = scoreMembers(members, { ...input, annualDiscountRate: 0.1 });
    expect(plain!.expectedOrderMinor).toBe(Math.round(((GG.p * GG.gamma) / (GG.q - 1)) * 100));
    expect(discounted!.cltv12mMinor).toBeLessThan(plain!.cltv12mMinor);
    expect(discounted!.cltv12mMinor).toBeGreaterThan(plain!.cltv12mMinor / 1.1);
    const [fallback] = scoreMembers(members, { ...input, gammaGamma: null });
    expect(fallback!.expectedOrderMinor).toBe(3000);
  });
});

describe("rankMembers", () => {
  const score = (memberId: string, cltv: number, pastValue: number, pAlive: number): MemberScore => ({
    memberId,
    predictedPurchases12m: 0,
    pAlive,
    expectedOrderMinor: 0,
    cltv12mMinor: cltv,
    cltv24mMinor: cltv,
    cltv36mMinor: cltv,
    pastValue,
    percentile: -1,
    segment: "middle",
    atRisk: false,
  });

  it("splits 20 / 60 / 20 by CLTV (ties by member id), percentiles count strictly lower values", () => {
    const s = Array.from({ length: 10 }, (_, i) => score(`m${i}`, i < 4 ? 0 : i * 100, 0, 1));
    rankMembers(s);
    expect(s.map((x) => x.segment)).toEqual(["bottom", "bottom", "middle", "middle", "middle", "middle", "middle", "middle", "top", "top"]);
    // Four members tie at 0: all at percentile 0; the next one has 4 of 10 below it.
    expect(s.map((x) => x.percentile)).toEqual([0, 0, 0, 0, 40, 50, 60, 70, 80, 90]);
  });

  it("flags at-risk: past value in the top 30% and P(alive) below one half", () => {
    const s = Array.from({ length: 10 }, (_, i) => score(`m${i}`, 100, i * 10, i % 2 ? 0.2 : 0.9));
    rankMembers(s);
    expect(s.filter((x) => x.atRisk).map((x) => x.memberId)).toEqual(["m7", "m9"]);
  });
});
