import { describe, expect, it } from "vitest";
import {
  DEFAULT_EARNING_RULES,
  EarningRulesSchema,
  activeCampaign,
  addMonths,
  applyCaps,
  capWindowStarts,
  eventPoints,
  inactivityExpiry,
  isBirthdayOn,
  liabilityMinor,
  localYear,
  lotExpiresAt,
  orderBasePoints,
  orderPoints,
  pendingUntil,
  previewText,
  zonedTimeToUtc,
  type Campaign,
  type EarningRules,
} from "./rules";

type Patch = { [K in keyof EarningRules]?: EarningRules[K] extends object ? Partial<EarningRules[K]> | EarningRules[K] : EarningRules[K] };
function rules(patch: Patch = {}): EarningRules {
  const d = structuredClone(DEFAULT_EARNING_RULES) as EarningRules;
  const out = { ...d } as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    const cur = (d as Record<string, unknown>)[k];
    out[k] = v && typeof v === "object" && !Array.isArray(v) && cur && typeof cur === "object" && !Array.isArray(cur) ? { ...cur, ...v } : v;
  }
  return EarningRulesSchema.parse(out);
}

const NONE = { day: 0, month: 0, lifetime: 0 };
const campaign = (c: Partial<Campaign> & Pick<Campaign, "id">): Campaign => ({
  name: c.id,
  startsAt: "2026-07-04T00:00:00Z",
  endsAt: "2026-07-06T00:00:00Z",
  multiplierPercent: 200,
  appliesTo: "orders",
  ...c,
});
const d = (iso: string) => new Date(iso);

describe("orderBasePoints: rounding", () => {
  it.each([
    // rounding, points per unit, minimum (minor), amount (minor), currency digits, expected
    ["floor", 1, 0, 4250, 2, 42],
    ["floor", 1, 0, 4299, 2, 42],
    ["nearest", 1, 0, 4250, 2, 43],
    ["nearest", 1, 0, 4249, 2, 42],
    ["nearest", 1, 0, 4251, 2, 43],
    ["floor", 3, 0, 1999, 2, 59],
    ["nearest", 3, 0, 1999, 2, 60],
    ["floor", 1, 0, 99, 2, 0],
    ["nearest", 1, 0, 50, 2, 1],
    ["nearest", 1, 0, 49, 2, 0],
    ["floor", 0, 0, 100_000, 2, 0],
    ["floor", 10_000, 0, 1, 2, 100],
    // JPY: no minor digits
    ["floor", 1, 0, 1234, 0, 1234],
    ["nearest", 2, 0, 1234, 0, 2468],
    // KWD: three minor digits
    ["floor", 10, 0, 12_345, 3, 123],
    ["nearest", 10, 0, 12_345, 3, 123],
    ["nearest", 10, 0, 12_350, 3, 124],
    ["floor", 1, 0, 999, 3, 0],
    // minimum order
    ["floor", 1, 500, 499, 2, 0],
    ["floor", 1, 500, 500, 2, 5],
    ["nearest", 1, 500, 499, 2, 0],
    // exact for big amounts (a float would drift)
    ["floor", 10_000, 0, 123_456_789_012, 2, 12_345_678_901_200],
    ["floor", 7, 0, 900_719_925_474_099, 2, 63_050_394_783_186],
    // zero and negative amounts earn nothing
    ["floor", 1, 0, 0, 2, 0],
    ["floor", 1, 0, -4250, 2, 0],
  ] as const)("%s × %i/unit, min %i: %i minor (%i digits) → %i", (rounding, ppu, min, amount, digits, expected) => {
    const r = rules({ earning: { pointsPerUnit: ppu, rounding, minimumOrderMinor: min } });
    expect(orderBasePoints(r, amount, digits)).toBe(expected);
  });

  it("refuses non-integer input and results that cannot be recorded exactly", () => {
    expect(() => orderBasePoints(rules(), 12.5, 2)).toThrow(RangeError);
    expect(() => orderBasePoints(rules(), 100, 1.5)).toThrow(RangeError);
    expect(() => orderBasePoints(rules({ earning: { pointsPerUnit: 10_000 } }), Number.MAX_SAFE_INTEGER, 0)).toThrow(RangeError);
  });
});

describe("activeCampaign", () => {
  const r = rules({
    campaigns: [
      campaign({ id: "double", multiplierPercent: 200, startsAt: "2026-07-04T00:00:00Z", endsAt: "2026-07-06T00:00:00Z" }),
      campaign({ id: "triple", multiplierPercent: 300, startsAt: "2026-07-05T00:00:00Z", endsAt: "2026-07-05T12:00:00Z" }),
      campaign({ id: "events", multiplierPercent: 150, appliesTo: "orders_and_events", startsAt: "2026-07-01T00:00:00Z", endsAt: "2026-08-01T00:00:00Z" }),
      campaign({ id: "tie", multiplierPercent: 300, startsAt: "2026-07-05T06:00:00Z", endsAt: "2026-07-05T07:00:00Z" }),
    ],
  });
  it.each([
    ["2026-06-30T23:59:59Z", "order", null],
    ["2026-07-01T00:00:00Z", "order", "events"],
    ["2026-07-03T23:59:59.999Z", "order", "events"],
    ["2026-07-04T00:00:00Z", "order", "double"], // start is inclusive
    ["2026-07-05T00:00:00Z", "order", "triple"], // overlap → highest
    ["2026-07-05T06:30:00Z", "order", "triple"], // tie → first listed
    ["2026-07-05T12:00:00Z", "order", "double"], // end is exclusive
    ["2026-07-06T00:00:00Z", "order", "events"],
    ["2026-08-01T00:00:00Z", "order", null],
    ["2026-07-05T01:00:00Z", "event", "events"], // order-only campaigns do not apply to events
    ["2026-08-01T00:00:00Z", "event", null],
  ] as const)("%s (%s) → %s", (at, kind, expected) => {
    expect(activeCampaign(r, d(at), kind)?.id ?? null).toBe(expected);
  });
});

describe("orderPoints", () => {
  const r = rules({
    bonuses: { firstOrder: 500 },
    campaigns: [campaign({ id: "double", multiplierPercent: 200 })],
    earning: { minimumOrderMinor: 1000 },
  });
  const order = (patch: Partial<Parameters<typeof orderPoints>[1]>) =>
    orderPoints(r, { amountMinor: 4250, currencyDigits: 2, occurredAt: d("2026-06-01T12:00:00Z"), isFirstOrder: false, tierPercent: 100, earnedSoFar: NONE, ...patch });

  it.each([
    ["plain", {}, { base: 42, campaignPercent: 100, firstOrderBonus: 0, beforeCaps: 42, points: 42, reason: null }],
    ["campaign doubles", { occurredAt: d("2026-07-04T10:00:00Z") }, { base: 42, campaignPercent: 200, campaignId: "double", points: 84 }],
    ["tier 150%", { tierPercent: 150 }, { base: 42, tierPercent: 150, points: 63 }],
    ["campaign and tier multiply together", { tierPercent: 150, occurredAt: d("2026-07-04T10:00:00Z") }, { points: 126 }],
    ["tier rounds down", { amountMinor: 1300, tierPercent: 125 }, { base: 13, points: 16 }], // 16.25
    ["first-order bonus is not multiplied", { isFirstOrder: true, tierPercent: 150, occurredAt: d("2026-07-04T10:00:00Z") }, { firstOrderBonus: 500, beforeCaps: 626, points: 626 }],
    ["below minimum: nothing, bonus included", { amountMinor: 999, isFirstOrder: true }, { base: 0, firstOrderBonus: 0, points: 0, reason: "below_minimum" }],
    ["tier 0 keeps the bonus", { tierPercent: 0, isFirstOrder: true }, { beforeCaps: 500, points: 500 }],
  ] as const)("%s", (_label, patch, expected) => {
    expect(order(patch)).toMatchObject(expected);
  });

  it("caps the whole amount, bonus included, and says why when nothing is left", () => {
    const capped = rules({ bonuses: { firstOrder: 500 }, caps: { perDay: 100, perMonth: null, lifetime: null } });
    const input = { amountMinor: 4250, currencyDigits: 2, occurredAt: d("2026-06-01T12:00:00Z"), isFirstOrder: true, tierPercent: 100 };
    expect(orderPoints(capped, { ...input, earnedSoFar: { day: 30, month: 30, lifetime: 30 } })).toMatchObject({ beforeCaps: 542, capped: true, points: 70, reason: null });
    expect(orderPoints(capped, { ...input, earnedSoFar: { day: 100, month: 100, lifetime: 100 } })).toMatchObject({ capped: true, points: 0, reason: "cap_reached" });
  });

  it("refuses a fractional tier percent", () => {
    expect(() => order({ tierPercent: 12.5 })).toThrow(RangeError);
  });
});

describe("eventPoints", () => {
  const r = rules({
    customEvents: [{ key: "review_posted", label: "Review posted", points: 25 }],
    campaigns: [campaign({ id: "orders-only", multiplierPercent: 300 }), campaign({ id: "all", multiplierPercent: 200, appliesTo: "orders_and_events" })],
    caps: { perDay: null, perMonth: 60, lifetime: null },
  });
  const ev = (key: string, at = "2026-06-01T00:00:00Z", tierPercent = 100, so = NONE) => eventPoints(r, key, { occurredAt: d(at), tierPercent, earnedSoFar: so });

  it.each([
    ["plain", "review_posted", "2026-06-01T00:00:00Z", 100, NONE, { base: 25, points: 25, campaignId: null }],
    ["only event campaigns apply", "review_posted", "2026-07-04T12:00:00Z", 100, NONE, { campaignId: "all", campaignPercent: 200, points: 50 }],
    ["tier", "review_posted", "2026-06-01T00:00:00Z", 110, NONE, { points: 27 }],
    ["monthly cap", "review_posted", "2026-06-01T00:00:00Z", 100, { day: 0, month: 50, lifetime: 50 }, { capped: true, points: 10 }],
    ["cap reached", "review_posted", "2026-06-01T00:00:00Z", 100, { day: 0, month: 60, lifetime: 60 }, { capped: true, points: 0, reason: "cap_reached" }],
  ] as const)("%s", (_l, key, at, tier, so, expected) => {
    expect(ev(key, at, tier, so)).toMatchObject(expected);
  });

  it("returns null for an unknown event", () => {
    expect(ev("nope")).toBeNull();
  });
});

describe("applyCaps", () => {
  it.each([
    // caps [day, month, lifetime], earned so far [day, month, lifetime], requested → [points, capped]
    [[null, null, null], [1e6, 1e6, 1e6], 500, [500, false]],
    [[100, null, null], [0, 0, 0], 100, [100, false]],
    [[100, null, null], [90, 90, 90], 50, [10, true]],
    [[100, null, null], [100, 100, 100], 50, [0, true]],
    [[100, null, null], [150, 150, 150], 50, [0, true]], // a cap lowered below what was already earned
    [[null, 500, null], [0, 480, 480], 50, [20, true]],
    [[null, null, 1000], [0, 0, 990], 50, [10, true]],
    [[100, 500, 1000], [0, 480, 480], 50, [20, true]], // month binds
    [[100, 500, 1000], [60, 60, 990], 50, [10, true]], // lifetime binds
    [[100, 500, 1000], [80, 100, 100], 50, [20, true]], // day binds
    [[100, 500, 1000], [0, 0, 0], 0, [0, false]],
  ] as const)("caps %j, earned %j, requested %i → %j", (caps, so, requested, [points, capped]) => {
    const r = rules({ caps: { perDay: caps[0], perMonth: caps[1], lifetime: caps[2] } });
    expect(applyCaps(r, requested, { day: so[0], month: so[1], lifetime: so[2] })).toEqual({ points, capped });
  });
});

describe("capWindowStarts (local day and month, DST-correct)", () => {
  it.each([
    ["2026-03-15T10:00:00Z", "UTC", "2026-03-15T00:00:00.000Z", "2026-03-01T00:00:00.000Z"],
    // New York, the day clocks spring forward (2 am → 3 am): the day started on EST, now is EDT
    ["2026-03-08T12:00:00Z", "America/New_York", "2026-03-08T05:00:00.000Z", "2026-03-01T05:00:00.000Z"],
    ["2026-03-09T12:00:00Z", "America/New_York", "2026-03-09T04:00:00.000Z", "2026-03-01T05:00:00.000Z"],
    // the day clocks fall back: a 25-hour day that started on EDT
    ["2026-11-01T20:00:00Z", "America/New_York", "2026-11-01T04:00:00.000Z", "2026-11-01T04:00:00.000Z"],
    ["2026-11-01T05:30:00Z", "America/New_York", "2026-11-01T04:00:00.000Z", "2026-11-01T04:00:00.000Z"], // 01:30 EDT
    ["2026-11-01T06:30:00Z", "America/New_York", "2026-11-01T04:00:00.000Z", "2026-11-01T04:00:00.000Z"], // 01:30 EST
    // just before midnight local is still the previous day
    ["2026-03-01T04:59:59Z", "America/New_York", "2026-02-28T05:00:00.000Z", "2026-02-01T05:00:00.000Z"],
    // Tokyo: 23:30 UTC is already the next day (and here the next month)
    ["2026-01-31T23:30:00Z", "Asia/Tokyo", "2026-01-31T15:00:00.000Z", "2026-01-31T15:00:00.000Z"],
    // half- and quarter-hour zones
    ["2026-06-10T20:00:00Z", "Asia/Kolkata", "2026-06-10T18:30:00.000Z", "2026-05-31T18:30:00.000Z"],
    ["2026-06-10T20:00:00Z", "Asia/Kathmandu", "2026-06-10T18:15:00.000Z", "2026-05-31T18:15:00.000Z"],
    // southern hemisphere DST (Sydney switches to AEDT on 4 Oct 2026)
    ["2026-10-04T12:00:00Z", "Australia/Sydney", "2026-10-03T14:00:00.000Z", "2026-09-30T14:00:00.000Z"],
    // São Paulo 2018: clocks jumped from 00:00 to 01:00, so that day began at 01:00 local
    ["2018-11-04T12:00:00Z", "America/Sao_Paulo", "2018-11-04T03:00:00.000Z", "2018-11-01T03:00:00.000Z"],
  ])("%s in %s → day %s, month %s", (at, tz, day, month) => {
    const w = capWindowStarts(d(at), tz);
    expect([w.dayStart.toISOString(), w.monthStart.toISOString()]).toEqual([day, month]);
  });

  it.each([
    // a wall time in the spring-forward gap maps to the moment the clocks jump; a repeated one to its first occurrence
    [{ year: 2026, month: 3, day: 8, hour: 2, minute: 30, second: 0 }, "America/New_York", "2026-03-08T07:00:00.000Z"],
    [{ year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0 }, "America/New_York", "2026-11-01T05:30:00.000Z"],
    [{ year: 2026, month: 7, day: 4, hour: 9, minute: 15, second: 0 }, "Europe/Paris", "2026-07-04T07:15:00.000Z"],
    [{ year: 2026, month: 1, day: 4, hour: 9, minute: 15, second: 0 }, "Europe/Paris", "2026-01-04T08:15:00.000Z"],
  ])("zonedTimeToUtc %j in %s → %s", (wall, tz, expected) => {
    expect(zonedTimeToUtc(wall, tz).toISOString()).toBe(expected);
  });
});

describe("birthdays and local years", () => {
  it.each([
    ["1990-06-15", "2026-06-14T23:30:00Z", "UTC", false],
    ["1990-06-15", "2026-06-14T23:30:00Z", "Asia/Tokyo", true], // already 15 June in Tokyo
    ["1990-06-15", "2026-06-15T23:30:00Z", "Asia/Tokyo", false], // 16 June there
    ["1990-06-15", "2026-06-16T05:00:00Z", "America/Los_Angeles", true], // still 15 June, 10 pm
    ["1990-06-15", "2026-06-15T06:00:00Z", "America/Los_Angeles", false], // 14 June, 11 pm
    ["2000-02-29", "2027-02-28T12:00:00Z", "UTC", true], // non-leap year: celebrated on the 28th
    ["2000-02-29", "2027-03-01T12:00:00Z", "UTC", false],
    ["2000-02-29", "2028-02-29T12:00:00Z", "UTC", true],
    ["2000-02-29", "2028-02-28T12:00:00Z", "UTC", false], // leap year: only the 29th
    ["2000-02-29", "2027-02-28T16:00:00Z", "Asia/Tokyo", false], // 1 March in Tokyo
    ["2000-02-29", "2100-02-28T12:00:00Z", "UTC", true], // 2100 is not a leap year
    ["1985-02-28", "2028-02-28T12:00:00Z", "UTC", true],
    ["1985-12-31", "2026-12-31T23:59:59Z", "UTC", true],
    ["not-a-date", "2026-06-15T00:00:00Z", "UTC", false],
    ["1990-13-01", "2026-01-01T00:00:00Z", "UTC", false],
  ])("%s on %s in %s → %s", (birthday, at, tz, expected) => {
    expect(isBirthdayOn(birthday, d(at), tz)).toBe(expected);
  });

  it.each([
    ["2026-12-31T20:00:00Z", "Asia/Tokyo", 2027],
    ["2026-12-31T20:00:00Z", "UTC", 2026],
    ["2027-01-01T03:00:00Z", "America/New_York", 2026],
    ["2027-01-01T05:00:00Z", "America/New_York", 2027],
  ])("localYear(%s, %s) = %i", (at, tz, year) => {
    expect(localYear(d(at), tz)).toBe(year);
  });
});

describe("pending and expiry", () => {
  it.each([
    ["2026-01-31T10:00:00Z", 1, "2026-02-28T10:00:00.000Z"],
    ["2028-01-31T10:00:00Z", 1, "2028-02-29T10:00:00.000Z"],
    ["2026-03-31T00:00:00Z", 12, "2027-03-31T00:00:00.000Z"],
    ["2026-08-31T23:59:59Z", 6, "2027-02-28T23:59:59.000Z"],
    ["2026-12-15T08:00:00Z", 1, "2027-01-15T08:00:00.000Z"],
    ["2026-05-31T00:00:00Z", 1, "2026-06-30T00:00:00.000Z"],
    ["2028-02-29T12:00:00Z", 12, "2029-02-28T12:00:00.000Z"],
    ["2026-01-15T00:00:00Z", 120, "2036-01-15T00:00:00.000Z"],
  ])("%s + %i months → %s", (from, months, expected) => {
    expect(addMonths(d(from), months).toISOString()).toBe(expected);
    expect(lotExpiresAt(rules({ expiry: { mode: "after_earning", months } }), d(from))?.toISOString()).toBe(expected);
  });

  it("applies the policy that is chosen, and only that one", () => {
    const at = d("2026-01-31T10:00:00Z");
    expect(lotExpiresAt(rules({ expiry: { mode: "never" } }), at)).toBeNull();
    expect(lotExpiresAt(rules({ expiry: { mode: "inactivity", months: 6 } }), at)).toBeNull();
    expect(inactivityExpiry(rules({ expiry: { mode: "inactivity", months: 6 } }), at)?.toISOString()).toBe("2026-07-31T10:00:00.000Z");
    expect(inactivityExpiry(rules({ expiry: { mode: "after_earning", months: 6 } }), at)).toBeNull();
    expect(inactivityExpiry(rules({ expiry: { mode: "never" } }), at)).toBeNull();
  });

  it.each([
    [0, null],
    [14, "2026-03-22T10:00:00.000Z"], // 14 × 24 h, across the New York DST change (an instant, not a wall time)
    [365, "2027-03-08T10:00:00.000Z"],
  ])("pendingDays %i → %s", (days, expected) => {
    expect(pendingUntil(rules({ pendingDays: days }), d("2026-03-08T10:00:00Z"))?.toISOString() ?? null).toBe(expected);
  });
});

describe("liabilityMinor", () => {
  it.each([
    [100, 100, 12_345, 12_345],
    [1000, 5, 1999, 9], // 9.995 rounds down
    [1, 0, 5000, 0],
    [3, 1, 10, 3],
    [100, 100, 0, 0],
    [1, 1_000_000, 9_000_000_000, 9_000_000_000_000_000],
    [3, 1, -10, -4], // a negative figure rounds down too
  ])("%i points = %i minor: %i points → %i", (points, minor, n, expected) => {
    expect(liabilityMinor(rules({ pointValue: { points, minor } }), n)).toBe(expected);
  });
});

describe("previewText", () => {
  it.each([
    [rules(), 4250, "USD", undefined, "An order of $42.50 earns 42 points."],
    [rules(), 100, "USD", undefined, "An order of $1.00 earns 1 point."],
    [rules({ earning: { rounding: "nearest" } }), 4250, "USD", undefined, "An order of $42.50 earns 43 points."],
    [rules(), 1234, "JPY", undefined, "An order of ¥1,234 earns 1,234 points."],
    [rules({ earning: { pointsPerUnit: 10 } }), 12_345, "KWD", undefined, "An order of KWD\u00a012.345 earns 123 points."],
    [rules({ earning: { minimumOrderMinor: 5000 } }), 4250, "USD", undefined, "An order of $42.50 earns no points: orders under $50.00 do not earn."],
    [
      rules({ campaigns: [campaign({ id: "c1", name: "Double weekend" })] }),
      4250,
      "USD",
      d("2026-07-04T12:00:00Z"),
      "An order of $42.50 earns 84 points (42 points × 200% during “Double weekend”).",
    ],
    [rules({ campaigns: [campaign({ id: "c1" })] }), 4250, "USD", d("2026-07-07T00:00:00Z"), "An order of $42.50 earns 42 points."],
    [rules({ bonuses: { firstOrder: 200 } }), 4250, "USD", undefined, "An order of $42.50 earns 42 points. A member's first order earns 200 points more."],
  ] as const)("%#: %s", (r, amount, currency, at, expected) => {
    expect(previewText(r, amount, currency, at)).toBe(expected);
  });
});

describe("EarningRulesSchema", () => {
  it("accepts the defaults", () => {
    expect(EarningRulesSchema.parse(DEFAULT_EARNING_RULES)).toEqual(DEFAULT_EARNING_RULES);
  });

  const base = () => structuredClone(DEFAULT_EARNING_RULES) as EarningRules & Record<string, unknown>;
  const set = (path: string, value: unknown) => {
    const r = base() as Record<string, unknown>;
    const keys = path.split(".");
    let o = r;
    for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
    o[keys.at(-1)!] = value;
    return r;
  };
  const ev = (key: string) => ({ key, label: "An event", points: 10 });

  it.each([
    ["earning.pointsPerUnit", -1, "earning.pointsPerUnit", "Points per currency unit must be at least 0"],
    ["earning.pointsPerUnit", 1.5, "earning.pointsPerUnit", "Points per currency unit must be a whole number"],
    ["earning.pointsPerUnit", 10_001, "earning.pointsPerUnit", "Points per currency unit must be at most 10,000"],
    ["earning.pointsPerUnit", 1e300, "earning.pointsPerUnit", "Points per currency unit must be a whole number"],
    ["earning.pointsPerUnit", Number.NaN, "earning.pointsPerUnit", "Points per currency unit must be a number"],
    ["earning.pointsPerUnit", Infinity, "earning.pointsPerUnit", "Points per currency unit must be a number"],
    ["earning.pointsPerUnit", "1", "earning.pointsPerUnit", "Points per currency unit must be a number"],
    ["earning.pointsPerUnit", undefined, "earning.pointsPerUnit", "Points per currency unit is required"],
    ["earning.rounding", "ceil", "earning.rounding", "Rounding must be floor or nearest"],
    ["earning.minimumOrderMinor", -100, "earning.minimumOrderMinor", "Minimum order must be at least 0"],
    ["bonuses.signup", -5, "bonuses.signup", "Sign-up bonus must be at least 0"],
    ["bonuses.birthday", 1_000_001, "bonuses.birthday", "Birthday bonus must be at most 1,000,000"],
    ["bonuses.firstOrder", 0.1, "bonuses.firstOrder", "First-order bonus must be a whole number"],
    ["caps.perDay", 0, "caps.perDay", "Daily cap must be at least 1"],
    ["caps.lifetime", 2.5, "caps.lifetime", "Lifetime cap must be a whole number"],
    ["pendingDays", 366, "pendingDays", "Pending days must be at most 365"],
    ["pendingDays", -1, "pendingDays", "Pending days must be at least 0"],
    ["expiry", { mode: "after_earning" }, "expiry.months", "Expiry months is required"],
    ["expiry", { mode: "inactivity", months: 121 }, "expiry.months", "Inactivity months must be at most 120"],
    ["expiry", { mode: "sometimes" }, "expiry.mode", "Choose an expiry policy"],
    ["pointValue.points", 0, "pointValue.points", "Point value (points) must be at least 1"],
    ["pointValue.minor", -1, "pointValue.minor", "Point value (amount) must be at least 0"],
    ["version", 2, "version", "Unsupported earning rules version"],
    ["customEvents", [ev("review_posted"), ev("review_posted")], "customEvents.1.key", 'Event key "review_posted" is used twice'],
    ["customEvents", [ev("Review")], "customEvents.0.key", "Event key must start with a letter"],
    ["customEvents", [ev("1review")], "customEvents.0.key", "Event key must start with a letter"],
    ["customEvents", [ev("a".repeat(51))], "customEvents.0.key", "Event key must start with a letter"],
    ["customEvents", [{ ...ev("a"), points: 0 }], "customEvents.0.points", "Event points must be at least 1"],
    ["customEvents", [{ ...ev("a"), label: "  " }], "customEvents.0.label", "Event name is required"],
    ["customEvents", Array.from({ length: 51 }, (_, i) => ev(`e${i}`)), "customEvents", "At most 50 custom events"],
    ["campaigns", [campaign({ id: "c", endsAt: "2026-07-04T00:00:00Z" })], "campaigns.0.endsAt", "Campaign end must be after its start"],
    ["campaigns", [campaign({ id: "c", endsAt: "2026-07-03T00:00:00Z" })], "campaigns.0.endsAt", "Campaign end must be after its start"],
    ["campaigns", [campaign({ id: "c", startsAt: "next tuesday" })], "campaigns.0.startsAt", "Campaign start must be a date and time"],
    ["campaigns", [campaign({ id: "c", multiplierPercent: 99 })], "campaigns.0.multiplierPercent", "Campaign multiplier must be at least 100"],
    ["campaigns", [campaign({ id: "c", multiplierPercent: 1001 })], "campaigns.0.multiplierPercent", "Campaign multiplier must be at most 1,000"],
    ["campaigns", [campaign({ id: "c", appliesTo: "refunds" as never })], "campaigns.0.appliesTo", "Choose what the campaign applies to"],
    ["campaigns", [campaign({ id: "c" }), campaign({ id: "c" })], "campaigns.1.id", 'Campaign id "c" is used twice'],
    ["campaigns", [campaign({ id: "c", name: "x".repeat(81) })], "campaigns.0.name", "Campaign name must be at most 80 characters"],
  ])("%s = %j → %s: %s", (path, value, errorPath, message) => {
    const result = EarningRulesSchema.safeParse(set(path, value));
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.path.join(".") === errorPath);
    expect(issue?.message, JSON.stringify(result.error!.issues)).toContain(message);
  });

  it("accepts the edges of every range", () => {
    const r = set("earning.pointsPerUnit", 10_000) as Record<string, unknown>;
    Object.assign(r, {
      pendingDays: 365,
      caps: { perDay: 1, perMonth: 1, lifetime: Number.MAX_SAFE_INTEGER },
      bonuses: { signup: 0, firstOrder: 1_000_000, birthday: 0, profileCompleted: 0 },
      customEvents: Array.from({ length: 50 }, (_, i) => ev(`e${i}`)),
      campaigns: [campaign({ id: "c", multiplierPercent: 1000, startsAt: "2026-07-04T00:00:00+02:00", endsAt: "2026-07-04T00:00:01+02:00" })],
      pointValue: { points: 1_000_000, minor: 0 },
      expiry: { mode: "inactivity", months: 120 },
    });
    expect(EarningRulesSchema.safeParse(r).success).toBe(true);
  });
});
