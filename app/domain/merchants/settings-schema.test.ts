import { describe, expect, it } from "vitest";
import { GeneralSettingsSchema, isKnownTimezone } from "./settings-schema";

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
