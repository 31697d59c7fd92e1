import { describe, expect, it } from "vitest";
import { blankRewardForm, rewardFormSchema, rewardToForm } from "./rewards";

const schema = rewardFormSchema("USD", "America/New_York");
const issues = (v: Record<string, string>) => {
  const r = schema.safeParse(v);
  return r.success ? {} : Object.fromEntries(r.error.issues.map((i) => [String(i.path[0]), i.message]));
};

describe("reward editor form", () => {
  it("turns typed amounts and local dates into the domain input", () => {
    const r = schema.parse({ ...blankRewardForm(), name: "15% off", kind: "percent_discount", pointsCost: "800", percentOff: "15", minOrder: "30.00", startsAt: "2026-12-01T09:00", limitCount: "1", limitPeriod: "week" });
    expect(r).toMatchObject({ name: "15% off", kind: "percent_discount", pointsCost: 800, percentOff: 15, minOrderMinor: 3000, limitCount: 1, limitPeriod: "week", discountMinor: null });
    expect(r.startsAt?.toISOString()).toBe("2026-12-01T14:00:00.000Z");
  });

  it("names every wrong field at once, including what the chosen type needs, and ignores other types' fields", () => {
    expect(issues({ name: "", kind: "percent_discount", pointsCost: "0", discount: "abc", minOrder: "1.234" })).toEqual({
      name: "Name is required",
      pointsCost: "Points cost must be at least 1",
      minOrder: "Minimum order must be an amount like 5.00",
      percentOff: "Enter the percent off",
    });
    expect(issues({ name: "Cap", kind: "points_discount", pointsCost: "100", discount: "1.00", limitCount: "2" })).toEqual({
      maxDiscount: "Enter the cap per order",
      limitPeriod: "Enter both the limit and its period, or neither",
    });
    expect(issues({ name: "Late", kind: "gift", pointsCost: "10", startsAt: "2026-12-02T00:00", endsAt: "2026-12-01T00:00" })).toEqual({ endsAt: "The end must be after the start" });
  });

  it("round-trips a stored reward", () => {
    const stored = {
      name: "$5 off", description: "", kind: "fixed_discount", points_cost: 500, discount_minor: 500, percent_off: null, min_order_minor: null, max_discount_minor: null,
      product_name: null, min_tier_id: null, stock_total: 10, limit_count: null, limit_period: null, code_valid_days: 30, starts_at: null, ends_at: "2027-01-01T05:00:00.000Z",
    };
    const form = rewardToForm(stored, "USD", "America/New_York");
    expect(form).toMatchObject({ discount: "5.00", stockTotal: "10", endsAt: "2027-01-01T00:00" });
    expect(schema.parse(form)).toMatchObject({ discountMinor: 500, stockTotal: 10, codeValidDays: 30, endsAt: new Date("2027-01-01T05:00:00.000Z") });
  });
});
