import { describe, expect, it } from "vitest";
import { findUnstorableText, jsonTooDeep, unstorableReason } from "./storable-text";

describe("unstorableReason", () => {
  it.each([
    ["plain", null],
    ["emoji 😀 pairs are fine", null],
    ["a\u0000b", "NUL"],
    ["a\ud800b", "surrogate"],
    ["\udc00", "surrogate"],
    ["a\ud83d", "surrogate"],
  ])("%j", (s, expected) => {
    const reason = unstorableReason(s);
    if (expected === null) expect(reason).toBeNull();
    else expect(reason).toContain(expected);
  });
});

describe("findUnstorableText", () => {
  it("names the first offending value or key by its dotted path", () => {
    expect(findUnstorableText({ a: "ok", b: [{ c: "x\u0000" }] })?.field).toBe("b.0.c");
    expect(findUnstorableText({ ["k\ud800"]: 1 })?.field).toBe("k\uFFFD");
    expect(findUnstorableText("\u0000")?.field).toBe("body");
    expect(findUnstorableText({ a: 1, b: [true, null, "fine"] })).toBeNull();
  });

  it("walks 10,000 levels without recursion", () => {
    let v: unknown = "\u0000";
    for (let i = 0; i < 10_000; i++) v = [v];
    expect(findUnstorableText(v)?.field.split(".")).toHaveLength(10_000);
  });
});

describe("jsonTooDeep", () => {
  it("counts brackets outside strings only", () => {
    expect(jsonTooDeep("[".repeat(65) + "]".repeat(65))).toBe(true);
    expect(jsonTooDeep("[".repeat(64) + "]".repeat(64))).toBe(false);
    expect(jsonTooDeep(JSON.stringify({ s: "[".repeat(1000) + '\\"{' }))).toBe(false);
  });
});
