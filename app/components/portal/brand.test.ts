import { describe, expect, it } from "vitest";
import { DEFAULT_PORTAL_COLOR, onColor, portalColor, portalTagline } from "./brand";

describe("portalColor", () => {
  it("keeps hex colours", () => {
    expect(portalColor("#0a7")).toBe("#0a7");
    expect(portalColor("#1F6FEB")).toBe("#1F6FEB");
  });
  it.each([undefined, null, 42, "red", "#12345", "#1234567", "#fff;background:url(x)", "var(--x)"])("falls back for %j", (v) => {
    expect(portalColor(v)).toBe(DEFAULT_PORTAL_COLOR);
  });
});

describe("onColor", () => {
  it("picks readable text", () => {
    expect(onColor("#7c4a2d")).toBe("#ffffff");
    expect(onColor("#000")).toBe("#ffffff");
    expect(onColor("#ffeb3b")).toBe("#1c1917");
    expect(onColor("#fff")).toBe("#1c1917");
  });
});

describe("portalTagline", () => {
  it("keeps text, capped at 200 characters", () => {
    expect(portalTagline({ portalTagline: "Coffee, rewarded." })).toBe("Coffee, rewarded.");
    expect(portalTagline({ portalTagline: "x".repeat(250) })).toBe("x".repeat(200));
  });
  it.each([undefined, null, {}, { portalTagline: 42 }, { portalTagline: null }])("is null for %j", (v) => {
    expect(portalTagline(v)).toBeNull();
  });
});
