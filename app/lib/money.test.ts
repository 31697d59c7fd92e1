import { describe, expect, it } from "vitest";
import { formatMoney, minorDigits, signedMajor, toMajor } from "./money";

describe("money formatting", () => {
  it("converts minor units by the currency's decimals", () => {
    expect(toMajor(1234, "USD")).toBe(12.34);
    expect(toMajor(1234, "JPY")).toBe(1234);
    expect(toMajor(1234, "BHD")).toBe(1.234);
    expect(minorDigits("jpy")).toBe(0);
  });

  it("signs per-member amounts for reports, in the currency's units", () => {
    expect(signedMajor(77, "USD", 3)).toBe("+0.770");
    expect(signedMajor(-1250, "USD", 2)).toBe("−12.50");
    expect(signedMajor(-1250, "JPY", 0)).toBe("−1,250");
    expect(signedMajor(Number.NaN, "USD", 2)).toBe("—");
  });

  it("formats amounts with the currency symbol", () => {
    expect(formatMoney(250, "USD")).toBe("$2.50");
    expect(formatMoney(250, "JPY")).toBe("¥250");
  });
});
