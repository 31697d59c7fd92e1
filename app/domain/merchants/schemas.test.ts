import { describe, expect, it } from "vitest";
import { currencySchema, GeneralSettingsSchema, isKnownTimezone, slugify, slugSchema, timezoneSchema } from "./schemas";

describe("slugSchema", () => {
  it.each(["acme", "a1", "northwind-coffee", "x".repeat(40), "Acme-Shop"])("accepts %j", (v) => {
    expect(slugSchema.safeParse(v).success).toBe(true);
  });
  it("lowercases", () => {
    expect(slugSchema.parse(" Acme-Shop ")).toBe("acme-shop");
  });
  it.each(["a", "-acme", "acme-", "ac--me", "ac me", "acmé", "acme_shop", "x".repeat(41), ""])("rejects %j", (v) => {
    expect(slugSchema.safeParse(v).success).toBe(false);
  });
});

describe("currency and time zone", () => {
  it("accepts ISO 4217 codes and IANA zones from the runtime", () => {
    expect(currencySchema.parse("eur")).toBe("EUR");
    expect(currencySchema.safeParse("XXY").success).toBe(false);
    expect(currencySchema.safeParse("EURO").success).toBe(false);
    expect(timezoneSchema.parse("Europe/Berlin")).toBe("Europe/Berlin");
    expect(timezoneSchema.parse("UTC")).toBe("UTC");
    expect(timezoneSchema.safeParse("Mars/Olympus").success).toBe(false);
  });
});

describe("slugify", () => {
  it.each([
    ["Northwind Coffee", "northwind-coffee"],
    ["  Café Münster!! ", "cafe-munster"],
    ["---", ""],
  ])("%j → %j", (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });
  it("produces valid slugs for long names", () => {
    expect(slugSchema.safeParse(slugify("Big ".repeat(30))).success).toBe(true);
  });
});

const base = { name: "Shop", timezone: "Europe/Paris" };

describe("GeneralSettingsSchema", () => {
  it.each([
    [{ ...base }, true],
    [{ ...base, brandColor: "#A1b2C3" }, true],
    [{ ...base, brandColor: "#abc" }, false],
    [{ ...base, brandColor: "red" }, false],
    [{ ...base, brandColor: "#gggggg" }, false],
    [{ ...base, portalTagline: "x".repeat(160) }, true],
    [{ ...base, portalTagline: "x".repeat(161) }, false],
    [{ ...base, portalTagline: "two\nlines" }, true],
    [{ ...base, name: "   " }, false],
    [{ ...base, name: "a\u0000b" }, false],
    [{ ...base, timezone: "UTC" }, true],
    [{ ...base, timezone: "+05:00" }, false],
    [{ ...base, timezone: "Not/AZone" }, false],
    [{ ...base, timezone: "Europe/Atlantis" }, false],
    [{ ...base, timezone: "GMT+5" }, false],
    [{ ...base, timezone: "Asia/Kolkata" }, true],
  ])("%j → valid=%s", (input, valid) => {
    expect(GeneralSettingsSchema.safeParse(input).success).toBe(valid);
  });

  it("normalises the colour and defaults the toggle", () => {
    expect(GeneralSettingsSchema.parse({ ...base, brandColor: " #AABBCC " })).toEqual({ ...base, brandColor: "#aabbcc", membersOnlyPortal: false });
  });

  it("knows common zones", () => {
    for (const z of ["UTC", "America/New_York", "Asia/Kolkata", "Australia/Adelaide"]) expect(isKnownTimezone(z)).toBe(true);
  });
});
