import { parseWithZod } from "@conform-to/zod/v4";
import { describe, expect, it } from "vitest";
import { DEFAULT_REFERRAL_SETTINGS } from "~/domain/referrals/settings";
import { referralSettingsFormSchema, settingsFormDefaults } from "./referral-settings";

function form(fields: Record<string, string | boolean | undefined>): FormData {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || v === false) continue;
    fd.set(k, v === true ? "on" : v);
  }
  return fd;
}

const parse = (fields: Record<string, string | boolean | undefined>, currency = "USD") =>
  parseWithZod(form(fields), { schema: referralSettingsFormSchema(currency) });

const base = settingsFormDefaults(DEFAULT_REFERRAL_SETTINGS, "USD");

describe("referral settings form", () => {
  it("round-trips the defaults", () => {
    const s = parse(base);
    expect(s.status).toBe("success");
    expect(s.status === "success" && s.value).toEqual(DEFAULT_REFERRAL_SETTINGS);
  });

  it("reads a minimum order in major units and drops levels beyond the cap", () => {
    const s = parse({ ...base, enabled: true, qualifyingKind: "first_order_above", minAmount: "25.50", depthCap: "3", level2: "100", level3: "25", level4: "5" });
    expect(s.status).toBe("success");
    if (s.status !== "success") return;
    expect(s.value.qualifyingEvent).toEqual({ kind: "first_order_above", minAmountMinor: 2550 });
    expect(s.value.levelPoints).toEqual({ "2": 100, "3": 25 });
    expect(s.value.enabled).toBe(true);
    // A zero-decimal currency takes whole amounts.
    const yen = parse({ ...settingsFormDefaults(DEFAULT_REFERRAL_SETTINGS, "JPY"), qualifyingKind: "first_order_above", minAmount: "3000" }, "JPY");
    expect(yen.status === "success" && yen.value.qualifyingEvent).toEqual({ kind: "first_order_above", minAmountMinor: 3000 });
  });

  it.each([
    [{ qualifyingKind: "first_order_above", minAmount: "" }, "minAmount", "Enter the minimum order amount"],
    [{ qualifyingKind: "first_order_above", minAmount: "12.345" }, "minAmount", "Enter an amount like 25.00"],
    [{ qualifyingKind: "first_order_above", minAmount: "-5" }, "minAmount", "Enter an amount like 25.00"],
    [{ qualifyingKind: "n_orders_within_days", orders: "3" }, "days", "Enter the number of days"],
    [{ holdDays: "-1" }, "holdDays", "Hold period must be at least 0"],
    [{ holdDays: "1.5" }, "holdDays", "Hold period must be a whole number"],
    [{ holdDays: "abc" }, "holdDays", "Hold period must be a whole number"],
    [{ friendKind: "points", friendPoints: "" }, "friendPoints", "Enter the points"],
    [{ referrerKind: "reward", referrerRewardId: "" }, "referrerRewardId", "Choose a reward from the catalog"],
    [{ referrerPoints: "2000000" }, "referrerPoints", "Points must be at most 1,000,000"],
    [{ referrerCapPerMonth: "10", referrerCapLifetime: "5" }, "referrerCapLifetime", "The lifetime cap cannot be below the monthly cap"],
    [{ depthCap: "11" }, "depthCap", "Levels paid must be at most 10"],
    [{ cookieDays: "0" }, "cookieDays", "Cookie lifetime must be at least 1"],
    [{ disposableDomains: "mailinator.com\nnot a domain" }, "disposableDomains", '"not" is not a domain'],
    [{ qualifyingKind: "whenever" }, "qualifyingKind", "Choose the qualifying event"],
  ])("%j → error on %s", (change, field, message) => {
    const s = parse({ ...base, ...change });
    expect(s.status).toBe("error");
    expect(s.reply().error?.[field]).toContain(message);
  });

  it("splits the disposable list on lines, commas and spaces, without duplicates", () => {
    const s = parse({ ...base, disposableDomains: "Mailinator.com, yopmail.com\n\n@yopmail.com trash.example.org" });
    expect(s.status === "success" && s.value.disposableDomains).toEqual(["mailinator.com", "yopmail.com", "trash.example.org"]);
  });
});
