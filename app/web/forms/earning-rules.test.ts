import { describe, expect, it } from "vitest";
import { DEFAULT_EARNING_RULES, type EarningRules } from "~/domain/points/rules";
import { earningRulesFormSchema, earningRulesToForm } from "./earning-rules";
import { formatMajorAmount, isoToLocalInput, localInputToIso, parseMajorAmount } from "./fields";

const opts = { currency: "USD", timezone: "America/New_York" };
const form = () => earningRulesToForm(DEFAULT_EARNING_RULES, opts);
const errorsOf = (value: unknown) => {
  const r = earningRulesFormSchema(opts).safeParse(value);
  return r.success ? {} : Object.fromEntries(r.error.issues.map((i) => [i.path.join("."), i.message]));
};

describe("amounts typed in major units", () => {
  it.each([
    ["5", 2, 500],
    ["5.5", 2, 550],
    ["5.05", 2, 505],
    ["5.050", 2, 505],
    ["0", 2, 0],
    ["12.345", 3, 12_345],
    ["1234", 0, 1234],
    ["1234.0", 0, 1234],
    ["5.055", 2, null],
    ["1234.5", 0, null],
    ["-5", 2, null],
    ["5,00", 2, null],
    ["", 2, null],
    ["1e3", 2, null],
    ["9".repeat(16), 2, null],
  ])("%j (%i digits) → %s", (text, digits, expected) => {
    expect(parseMajorAmount(text, digits)).toBe(expected);
  });

  it.each([
    [500, 2, "5.00"],
    [5, 2, "0.05"],
    [12_345, 3, "12.345"],
    [1234, 0, "1234"],
  ])("%i (%i digits) → %s", (minor, digits, expected) => {
    expect(formatMajorAmount(minor, digits)).toBe(expected);
  });
});

describe("campaign times typed in the merchant's zone", () => {
  it.each([
    ["2026-07-04T09:00", "America/New_York", "2026-07-04T13:00:00.000Z"],
    ["2026-01-04T09:00", "America/New_York", "2026-01-04T14:00:00.000Z"],
    ["2026-07-04T09:00:30", "Asia/Tokyo", "2026-07-04T00:00:30.000Z"],
    ["2026-03-08T02:30", "America/New_York", "2026-03-08T07:00:00.000Z"], // does not exist: the clocks jump to 03:00
    ["2026-02-30T09:00", "UTC", null],
    ["2026-07-04T24:00", "UTC", null],
    ["July 4th", "UTC", null],
  ])("%s in %s → %s", (value, tz, expected) => {
    expect(localInputToIso(value, tz)).toBe(expected);
  });

  it("shows stored instants back in the zone", () => {
    expect(isoToLocalInput("2026-07-04T13:00:00.000Z", "America/New_York")).toBe("2026-07-04T09:00");
    expect(isoToLocalInput("2026-07-04T00:00:30Z", "Asia/Tokyo")).toBe("2026-07-04T09:00:30");
  });
});

describe("earningRulesFormSchema", () => {
  it("round-trips saved rules through the form", () => {
    const rules: EarningRules = {
      ...DEFAULT_EARNING_RULES,
      earning: { pointsPerUnit: 3, rounding: "nearest", minimumOrderMinor: 1250 },
      customEvents: [{ key: "review_posted", label: "Review posted", points: 25 }],
      caps: { perDay: 500, perMonth: null, lifetime: 100_000 },
      campaigns: [{ id: "c1", name: "Double weekend", startsAt: "2026-07-04T04:00:00.000Z", endsAt: "2026-07-06T04:00:00.000Z", multiplierPercent: 200, appliesTo: "orders" }],
      expiry: { mode: "inactivity", months: 18 },
      pointValue: { points: 200, minor: 150 },
    };
    expect(earningRulesFormSchema(opts).parse(earningRulesToForm(rules, opts))).toEqual(rules);
    expect(earningRulesFormSchema(opts).parse(form())).toEqual(DEFAULT_EARNING_RULES);
  });

  it("reads empty caps as no cap, empty minimum as 0, and 'never' without months", () => {
    const v = { ...form(), caps: { perDay: "", perMonth: undefined, lifetime: " " }, earning: { ...form().earning, minimumOrder: "" }, expiry: { mode: "never", months: "abc" } };
    const r = earningRulesFormSchema(opts).parse(v);
    expect(r.caps).toEqual({ perDay: null, perMonth: null, lifetime: null });
    expect(r.earning.minimumOrderMinor).toBe(0);
    expect(r.expiry).toEqual({ mode: "never" });
  });

  it("gives new campaigns an id that no other campaign has", () => {
    const row = { name: "x", startsAt: "2026-07-04T00:00", endsAt: "2026-07-05T00:00", multiplierPercent: "200", appliesTo: "orders" };
    const r = earningRulesFormSchema(opts).parse({ ...form(), campaigns: [{ ...row, id: "campaign-1" }, { ...row }, { ...row, id: "" }] });
    expect(r.campaigns.map((c) => c.id)).toEqual(["campaign-1", "campaign-2", "campaign-3"]);
  });

  it.each([
    [{ earning: { pointsPerUnit: "1.5", rounding: "floor", minimumOrder: "0" } }, "earning.pointsPerUnit", "Points per currency unit must be a whole number"],
    [{ earning: { pointsPerUnit: "lots", rounding: "floor", minimumOrder: "0" } }, "earning.pointsPerUnit", "Points per currency unit must be a number"],
    [{ earning: { pointsPerUnit: "", rounding: "floor", minimumOrder: "0" } }, "earning.pointsPerUnit", "Points per currency unit is required"],
    [{ earning: { pointsPerUnit: "1", rounding: "floor", minimumOrder: "5.555" } }, "earning.minimumOrder", "Minimum order must be an amount like 5.00"],
    [{ pointValue: { points: "100", amount: "" } }, "pointValue.amount", "Point value amount is required"],
    [{ pointValue: { points: "100", amount: "10000.01" } }, "pointValue.amount", "Point value amount must be at most 10000.00"],
    [{ caps: { perDay: "0", perMonth: "", lifetime: "" } }, "caps.perDay", "Daily cap must be at least 1"],
    [{ bonuses: { signup: "-1", firstOrder: "0", birthday: "0", profileCompleted: "0" } }, "bonuses.signup", "Sign-up bonus must be at least 0"],
    [{ expiry: { mode: "after_earning", months: "" } }, "expiry.months", "Expiry months is required"],
    [{ pendingDays: "999" }, "pendingDays", "Pending days must be at most 365"],
    [
      { customEvents: [{ key: "a", label: "A", points: "1" }, { key: "a", label: "B", points: "2" }] },
      "customEvents.1.key",
      'Event key "a" is used twice',
    ],
    [
      { campaigns: [{ id: "c", name: "C", startsAt: "2026-07-05T00:00", endsAt: "2026-07-04T00:00", multiplierPercent: "200", appliesTo: "orders" }] },
      "campaigns.0.endsAt",
      "Campaign end must be after its start",
    ],
    [
      { campaigns: [{ id: "c", name: "C", startsAt: "2026-02-30T00:00", endsAt: "2026-07-04T00:00", multiplierPercent: "200", appliesTo: "orders" }] },
      "campaigns.0.startsAt",
      "Campaign start must be a date and time",
    ],
  ])("%j → %s", (patch, path, message) => {
    expect(errorsOf({ ...form(), ...patch })[path]).toBe(message);
  });
});
