import { describe, expect, it } from "vitest";
import { combinePercents, decide, progressToNext, qualificationWindows, startOfLocalYear, tierFor, type TierDef, type TierSettings } from "./model";

const tier = (rank: number, name: string, threshold: number): TierDef => ({
  id: `t${rank}`,
  name,
  rank,
  threshold,
  earningPercent: 100,
  exclusiveAccess: false,
  birthdayBonus: 0,
  perks: "",
});
const TIERS = [tier(1, "Bean", 100), tier(2, "Roast", 500), tier(3, "Reserve", 1000)];
const CAL: TierSettings = { basis: "spend", window: "calendar_year", graceDays: 0, downgrade: "one_step" };
const at = (iso: string) => new Date(iso);

describe("tierFor", () => {
  it("reaches a tier at exactly its threshold, not one below", () => {
    expect(tierFor(TIERS, 99)).toBeNull();
    expect(tierFor(TIERS, 100)?.name).toBe("Bean");
    expect(tierFor(TIERS, 999)?.name).toBe("Roast");
    expect(tierFor(TIERS, 1000)?.name).toBe("Reserve");
  });
});

describe("windows", () => {
  it("starts the calendar year at local midnight (Auckland is 13 hours ahead in January)", () => {
    expect(startOfLocalYear(2027, "Pacific/Auckland").toISOString()).toBe("2026-12-31T11:00:00.000Z");
    expect(startOfLocalYear(2027, "America/Los_Angeles").toISOString()).toBe("2027-01-01T08:00:00.000Z");
    const w = qualificationWindows("calendar_year", at("2026-12-31T11:30:00Z"), "Pacific/Auckland");
    expect(w.current.from?.toISOString()).toBe("2026-12-31T11:00:00.000Z");
    expect(w.previous?.from?.toISOString()).toBe("2025-12-31T11:00:00.000Z");
    expect(w.periodEnd?.toISOString()).toBe("2027-12-31T11:00:00.000Z");
  });

  it("rolling windows cover the 12 months up to and including the instant", () => {
    const w = qualificationWindows("rolling_12m", at("2026-03-15T10:00:00Z"), "UTC");
    expect(w.current.from?.toISOString()).toBe("2025-03-15T10:00:00.001Z");
    expect(w.current.to.toISOString()).toBe("2026-03-15T10:00:00.001Z");
    expect(w.periodEnd).toBeNull();
  });
});

describe("decide", () => {
  const base = { tiers: TIERS, settings: CAL, timezone: "UTC" };
  it("upgrades immediately and keeps a calendar-year tier through the next year", () => {
    const d = decide({ ...base, at: at("2026-05-01T00:00:00Z"), figures: { current: 500, previous: 0 }, state: null });
    expect(d).toMatchObject({ tierId: "t2", earnedTierId: "t2", atRisk: null });
    expect(d.validUntil?.toISOString()).toBe("2028-01-01T00:00:00.000Z");
  });

  it("warns (at risk) while a tier rests on last year's figure only, then drops one step after the grace days", () => {
    const state = { tierId: "t3", earnedTierId: "t3", validUntil: at("2028-01-01T00:00:00Z"), pinTierId: null, pinUntil: null };
    const settings = { ...CAL, graceDays: 10 };
    const during = decide({ ...base, settings, at: at("2027-06-01T00:00:00Z"), figures: { current: 0, previous: 1000 }, state });
    expect(during.tierId).toBe("t3");
    expect(during.atRisk).toMatchObject({ toTierId: "t2" });
    expect(during.atRisk?.downgradeAt.toISOString()).toBe("2028-01-11T00:00:00.000Z");
    const inGrace = decide({ ...base, settings, at: at("2028-01-10T23:59:59Z"), figures: { current: 0, previous: 0 }, state });
    expect(inGrace.tierId).toBe("t3");
    const after = decide({ ...base, settings, at: at("2028-01-11T00:00:00Z"), figures: { current: 0, previous: 0 }, state });
    expect(after).toMatchObject({ tierId: "t2", earnedTierId: "t2" });
    expect(after.validUntil?.toISOString()).toBe("2029-01-01T00:00:00.000Z");
  });

  it("to_qualified drops to what the figures reach, possibly no tier", () => {
    const state = { tierId: "t3", earnedTierId: "t3", validUntil: at("2028-01-01T00:00:00Z"), pinTierId: null, pinUntil: null };
    const d = decide({ ...base, settings: { ...CAL, downgrade: "to_qualified" }, at: at("2028-01-01T00:00:00Z"), figures: { current: 0, previous: 0 }, state });
    expect(d).toMatchObject({ tierId: null, earnedTierId: null, validUntil: null });
  });

  it("a pin is a floor until it ends; the pin ending is reported once", () => {
    const state = { tierId: "t3", earnedTierId: "t1", validUntil: at("2028-01-01T00:00:00Z"), pinTierId: "t3", pinUntil: at("2026-08-01T00:00:00Z") };
    const pinned = decide({ ...base, at: at("2026-07-31T00:00:00Z"), figures: { current: 600, previous: 0 }, state });
    expect(pinned).toMatchObject({ tierId: "t3", earnedTierId: "t2", pinTierId: "t3", pinEnded: false });
    const ended = decide({ ...base, at: at("2026-08-01T00:00:00Z"), figures: { current: 600, previous: 0 }, state });
    expect(ended).toMatchObject({ tierId: "t2", pinTierId: null, pinEnded: true });
  });

  it("lifetime tiers never end while the figure holds; after a refund they end with the calendar year", () => {
    const settings: TierSettings = { ...CAL, window: "lifetime" };
    const up = decide({ ...base, settings, at: at("2026-03-01T00:00:00Z"), figures: { current: 1000, previous: 0 }, state: null });
    expect(up).toMatchObject({ tierId: "t3", validUntil: null });
    const state = { tierId: "t3", earnedTierId: "t3", validUntil: null, pinTierId: null, pinUntil: null };
    const refunded = decide({ ...base, settings, at: at("2026-04-01T00:00:00Z"), figures: { current: 900, previous: 0 }, state });
    expect(refunded.tierId).toBe("t3");
    expect(refunded.validUntil?.toISOString()).toBe("2027-01-01T00:00:00.000Z");
  });

  it("is a fixed point: deciding again from its own result changes nothing", () => {
    const first = decide({ ...base, at: at("2026-05-01T00:00:00Z"), figures: { current: 700, previous: 200 }, state: null });
    const again = decide({ ...base, at: at("2026-05-01T00:00:00Z"), figures: { current: 700, previous: 200 }, state: { ...first } });
    expect(again).toEqual(first);
  });
});

describe("progress and percents", () => {
  it("says how much is missing to the next tier, by the end of the calendar year", () => {
    const w = qualificationWindows("calendar_year", at("2026-05-01T00:00:00Z"), "UTC");
    const p = progressToNext(TIERS, "t2", 962, w);
    expect(p).toMatchObject({ missing: 38, percent: 92 });
    expect(p?.next.name).toBe("Reserve");
    expect(p?.by?.toISOString()).toBe("2027-01-01T00:00:00.000Z");
    expect(progressToNext(TIERS, "t3", 5000, w)).toBeNull();
  });

  it("multiplies percents in integers, rounding down", () => {
    expect(combinePercents(150, 200)).toBe(300);
    expect(combinePercents(125, 110)).toBe(137);
    expect(combinePercents(100, 100)).toBe(100);
  });
});
