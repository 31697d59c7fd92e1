import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { describe, expect, it } from "vitest";
import { isId, newId, newIds } from "./ids";

describe("newId", () => {
  it("gives distinct ids across several blocks of randomness (each byte handed out once)", () => {
    const ids = Array.from({ length: 1_000 }, () => newId("journal"));
    expect(ids.every((id) => isId("journal", id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // No 6 bytes recur anywhere (48 bits: a chance recurrence is ~1e-7 here); bytes handed out twice would.
    const windows = ids.flatMap((id) => {
      const hex = Buffer.from(decodeBase32IgnorePadding(id.slice(4).toUpperCase())).toString("hex");
      return Array.from({ length: 11 }, (_, i) => hex.slice(2 * i, 2 * i + 12));
    });
    expect(new Set(windows).size).toBe(windows.length);
  });
});

describe("newIds", () => {
  it("gives n distinct ids of the kind, shaped like newId's, across several draws of randomness", () => {
    const ids = newIds("order", 10_001);
    expect(ids).toHaveLength(10_001);
    expect(ids.every((id) => isId("order", id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(newId("order")).toMatch(/^ord_[a-z2-7]{26}$/);
    expect(ids[10_000]).toMatch(/^ord_[a-z2-7]{26}$/);
  });

  it("gives nothing for n = 0", () => {
    expect(newIds("member", 0)).toEqual([]);
  });
});
