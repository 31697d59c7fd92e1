import { describe, expect, it } from "vitest";
import { generateReferralCode, normalizeCode } from "./codes";
import { ancestorPoints, DEFAULT_REFERRAL_SETTINGS, ReferralSettingsSchema } from "./settings";

describe("referral settings", () => {
  it("pays ancestors from level 2 up to the depth cap only", () => {
    const s = { ...DEFAULT_REFERRAL_SETTINGS, depthCap: 3, levelPoints: { "2": 100, "3": 25, "4": 5 } };
    expect([1, 2, 3, 4].map((l) => ancestorPoints(s, l))).toEqual([0, 100, 25, 0]);
  });

  it("rejects level 1 in levelPoints (the referrer reward is level 1), fractions and negatives", () => {
    const bad = (over: object) => ReferralSettingsSchema.safeParse({ ...DEFAULT_REFERRAL_SETTINGS, ...over }).success;
    expect(bad({ levelPoints: { "1": 500 } })).toBe(false);
    expect(bad({ levelPoints: { "2": 1.5 } })).toBe(false);
    expect(bad({ friendReward: { kind: "points", points: -1 } })).toBe(false);
    expect(bad({ holdDays: 366 })).toBe(false);
    expect(bad({ qualifyingEvent: { kind: "n_orders_within_days", orders: 3, days: 30 } })).toBe(true);
  });
});

describe("referral codes", () => {
  it("are 7 readable characters without look-alikes, and normalize case-insensitively", () => {
    const codes = new Set(Array.from({ length: 2000 }, () => generateReferralCode()));
    expect(codes.size).toBe(2000);
    for (const c of codes) expect(c).toMatch(/^[2-9A-HJKMNP-Z]{7}$/);
    expect(normalizeCode(" k7qm9xw ")).toBe("K7QM9XW");
    expect(normalizeCode("no!")).toBeNull();
    expect(normalizeCode("x".repeat(17))).toBeNull();
  });
});
