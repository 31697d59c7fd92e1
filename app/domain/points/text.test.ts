import { describe, expect, it } from "vitest";
import { availableOn, localDay, memberHistoryText, pendingByDay, pointsLabel, shortDate, signedPoints } from "./text";

const line = (kind: string, description: string, points: number, extra: Partial<Parameters<typeof memberHistoryText>[0]> = {}) =>
  memberHistoryText({ kind, description, points, availableChange: 0, debtChange: 0, reason: null, ...extra });

describe("points in plain words", () => {
  it.each([
    [line("earn", "Points for order #1043", 42), "+42 points for order #1043"],
    [line("earn", "Happy birthday bonus", 100), "+100 points · Happy birthday bonus"],
    [line("earn", "Points for order #7", 1), "+1 point for order #7"],
    [line("reverse", "Order #1043 refunded", -42), "\u221242 points · Order #1043 refunded"],
    [line("reverse", "Payment for order #9 disputed", -5), "\u22125 points · Payment for order #9 disputed"],
    [line("restore", "Points for order #9 restored", 5), "+5 points for order #9 restored"],
    [line("spend", "Reward: free coffee", -150), "\u2212150 points · Reward: free coffee"],
    [line("release", "Points became available", 0, { availableChange: 42 }), "42 points became available"],
    [line("expire", "Points expired", -10), "\u221210 points expired"],
    [line("expire", "Points expired after a period without activity", -1), "\u22121 point expired after a period without activity"],
    [line("adjust", "Adjustment: Goodwill", 50, { reason: "Goodwill" }), "+50 points added: Goodwill"],
    [line("adjust", "Adjustment: Correction", -1, { reason: "Correction" }), "\u22121 point removed: Correction"],
    [line("forgive", "Points owed after a refund were forgiven", 30, { debtChange: -30 }), "30 points you owed after a refund were forgiven"],
  ])("%s", (text, expected) => expect(text).toBe(expected));

  it("formats numbers and signs", () => {
    expect(pointsLabel(1)).toBe("1 point");
    expect(pointsLabel(1250)).toBe("1,250 points");
    expect(signedPoints(1250)).toBe("+1,250");
    expect(signedPoints(-3)).toBe("\u22123");
    expect(signedPoints(0)).toBe("0");
  });

  it("dates in the merchant's zone, with the year only when it differs", () => {
    const at = new Date("2027-12-31T23:30:00Z");
    expect(shortDate(at, "UTC", at)).toBe("Dec 31");
    expect(shortDate(at, "Pacific/Auckland", at)).toBe("Jan 1");
    expect(shortDate(at, "Pacific/Auckland", new Date("2027-06-01T00:00:00Z"))).toBe("Jan 1, 2028");
    expect(localDay(at, "America/Los_Angeles")).toBe("2027-12-31");
    expect(localDay(at, "Asia/Tokyo")).toBe("2028-01-01");
  });

  it("groups pending points by local day and explains the return window", () => {
    const groups = pendingByDay(
      [
        { points: 10, releasesAt: new Date("2027-12-06T01:00:00Z") },
        { points: 5, releasesAt: new Date("2027-12-06T20:00:00Z") },
        { points: 7, releasesAt: new Date("2027-12-07T10:00:00Z") },
      ],
      "UTC",
    );
    expect(groups.map((g) => [g.day, g.points])).toEqual([
      ["2027-12-06", 15],
      ["2027-12-07", 7],
    ]);
    const ref = new Date("2027-11-22T12:00:00Z");
    expect(availableOn(groups[0]!.at, 14, "UTC", ref)).toBe("available on Dec 6 after the 14-day return window");
    expect(availableOn(new Date("2027-11-01T00:00:00Z"), 14, "UTC", ref)).toBe("available shortly");
  });
});
