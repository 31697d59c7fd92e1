import { describe, expect, it } from "vitest";
import { DEFAULT_EARNING_RULES } from "~/domain/points/rules";
import { parseStoredRules } from "~/domain/points/rules.server";
import { orderRules } from "./earning.server";

// The order path's parse of the stored earning rules is reused while the stored JSON is the same text.
describe("orderRules", () => {
  const stored = () => JSON.parse(JSON.stringify({ ...DEFAULT_EARNING_RULES, earning: { ...DEFAULT_EARNING_RULES.earning, pointsPerUnit: 3 } })) as unknown;

  it("parses as parseStoredRules does and reuses the parse for the same document", () => {
    const a = orderRules("mch_cache_a", stored());
    expect(a).toEqual(parseStoredRules("mch_cache_a", stored()));
    expect(orderRules("mch_cache_a", stored())).toBe(a);
  });

  it("parses again when the document changes, and per merchant", () => {
    const a = orderRules("mch_cache_b", stored());
    const changed = { ...(stored() as object), earning: { ...DEFAULT_EARNING_RULES.earning, pointsPerUnit: 4 } };
    const b = orderRules("mch_cache_b", changed);
    expect(b).not.toBe(a);
    expect(b).toEqual(parseStoredRules("mch_cache_b", changed));
    expect(orderRules("mch_cache_c", changed)).not.toBe(b);
  });

  it("hands out a frozen copy, so no caller can change what the next order uses", () => {
    const a = orderRules("mch_cache_d", stored()) as unknown as Record<string, unknown>;
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.caps)).toBe(true);
    expect(() => {
      (a.caps as Record<string, unknown>).perDay = 1;
    }).toThrow(TypeError);
  });

  it("still refuses an invalid document and gives the defaults for none", () => {
    expect(() => orderRules("mch_cache_e", { ...DEFAULT_EARNING_RULES, earning: { pointsPerUnit: "lots" } })).toThrow(/invalid/);
    expect(orderRules("mch_cache_e", null)).toEqual(DEFAULT_EARNING_RULES);
  });
});
