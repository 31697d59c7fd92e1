import { describe, expect, it } from "vitest";
import { isId, newId, newIds } from "./ids";

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
