import { describe, expect, it } from "vitest";
import { dateTimeFormat, numberFormat } from "./intl";

describe("shared Intl formatters", () => {
  it("reuses one formatter per locale and options, and formats like a fresh one", () => {
    const a = dateTimeFormat("en-US", { dateStyle: "medium", timeZone: "America/New_York" });
    expect(dateTimeFormat("en-US", { dateStyle: "medium", timeZone: "America/New_York" })).toBe(a);
    expect(dateTimeFormat("en-US", { dateStyle: "medium", timeZone: "Europe/Berlin" })).not.toBe(a);
    const at = new Date("2026-01-01T03:00:00Z");
    expect(a.format(at)).toBe(new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeZone: "America/New_York" }).format(at));
    expect(numberFormat("en-US", { style: "currency", currency: "EUR" }).format(12.5)).toBe("€12.50");
  });

  it("stays bounded however many distinct keys it sees", () => {
    const first = numberFormat("en-US", { maximumFractionDigits: 0, minimumIntegerDigits: 1 });
    // 600 distinct option sets (21 × 21 × 2 combinations to choose from).
    for (let i = 0; i < 600; i++) numberFormat("en-US", { minimumIntegerDigits: 1 + (i % 21), maximumSignificantDigits: 1 + (Math.floor(i / 21) % 21), useGrouping: i < 441 });
    // The oldest entry was evicted, so asking again builds a new one.
    expect(numberFormat("en-US", { maximumFractionDigits: 0, minimumIntegerDigits: 1 })).not.toBe(first);
  });

  it("refuses an invalid currency as Intl does, caching nothing", () => {
    expect(() => numberFormat("en-US", { style: "currency", currency: "XX" })).toThrow(RangeError);
  });
});
