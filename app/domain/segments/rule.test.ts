import { describe, expect, it } from "vitest";
import { describeRule, memberMatches, parseRuleJson, type MemberFacts, type Rule } from "./rule";

const AT = new Date("2026-06-15T12:00:00Z");
const base: MemberFacts = {
  status: "active",
  createdAt: new Date("2026-06-01T12:00:00Z"),
  birthday: "1990-06-03",
  tierId: null,
  pointsBalance: 120,
  lifetimeSpendMinor: 5000,
  orderCount: 3,
  lastOrderAt: new Date("2026-06-14T13:00:00Z"),
  referralCount: 0,
  tags: ["vip"],
  cltvPercentile: null,
  pAlive: null,
  atRisk: null,
  valueSegment: null,
};

describe("segment rules (pure)", () => {
  it("evaluates days as whole days elapsed, unknown values as false, and blocked members as outside", () => {
    const days = (op: "eq" | "gte", value: number): Rule => ({ type: "group", op: "all", conditions: [{ type: "condition", attribute: "days_since_last_order", operator: op, value }] });
    expect(memberMatches(days("eq", 0), base, AT)).toBe(true); // 23 hours ago
    expect(memberMatches(days("gte", 1), base, AT)).toBe(false);
    const unscored: Rule = { type: "group", op: "any", conditions: [{ type: "condition", attribute: "cltv_percentile", operator: "lt", value: 100 }] };
    expect(memberMatches(unscored, base, AT)).toBe(false);
    expect(memberMatches({ type: "group", op: "all", conditions: [] }, { ...base, status: "blocked" }, AT)).toBe(false);
    expect(memberMatches({ type: "group", op: "any", conditions: [] }, base, AT)).toBe(false);
  });

  it("parses rules from JSON and explains them in words", () => {
    const parsed = parseRuleJson(
      JSON.stringify({
        type: "group",
        op: "all",
        conditions: [
          { type: "condition", attribute: "order_count", operator: "gte", value: 3 },
          { type: "group", op: "any", conditions: [{ type: "condition", attribute: "birthday_month", operator: "in", value: [6, 7] }, { type: "condition", attribute: "tags", operator: "has_any", value: [" VIP "] }] },
        ],
      }),
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(describeRule(parsed.rule)).toBe("Orders at least 3 and (Birthday month is one of June, July or Tags has any of vip)");
    expect(memberMatches(parsed.rule, base, AT)).toBe(true);
    expect(parseRuleJson('{"type":"group","op":"all","conditions":[{"type":"condition","attribute":"order_count","operator":"gte","value":-1}]}')).toMatchObject({ ok: false });
  });
});
