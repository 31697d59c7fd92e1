import { z } from "zod";

/**
 * A segment rule: a tree of `all` / `any` groups whose leaves are conditions on one member attribute.
 * Pure and client-safe: the admin builder, the SQL compiler (compile.server.ts) and the brute-force evaluator
 * below (used by the property test and nothing else in production) all read the same attribute list.
 *
 * There is no negation operator on groups: a missing value (no orders yet, not scored by the CLTV model) makes a
 * condition false, so a rule means the same thing in SQL's three-valued logic and in plain JavaScript.
 */

export const NUMBER_OPERATORS = ["gte", "lte", "gt", "lt", "eq", "neq"] as const;
export type NumberOperator = (typeof NUMBER_OPERATORS)[number];

export const OPERATOR_LABELS: Record<string, string> = {
  gte: "at least",
  lte: "at most",
  gt: "more than",
  lt: "less than",
  eq: "exactly",
  neq: "not",
  in: "is one of",
  has_any: "has any of",
  has_all: "has all of",
  has_none: "has none of",
  is: "is",
};

type NumberAttr = { type: "number"; label: string; integer: boolean; min: number; max: number; unit?: "money" | "days" | "points" | "percent" | "probability"; help?: string };
type ChoiceAttr = { type: "choice"; label: string; choices: "months" | "tiers" | "value_segments"; help?: string };
type TagsAttr = { type: "tags"; label: string; help?: string };
type BoolAttr = { type: "boolean"; label: string; help?: string };
export type AttributeSpec = NumberAttr | ChoiceAttr | TagsAttr | BoolAttr;

const MAX_INT = 1_000_000_000_000;

/**
 * Every attribute a rule can use. A new per-member statistic is one entry here plus its SQL expression in
 * compile.server.ts (SQL_ATTRIBUTES) and its field in `MemberFacts`.
 */
export const ATTRIBUTES = {
  tier: { type: "choice", label: "Tier", choices: "tiers" },
  points_balance: { type: "number", label: "Points balance", integer: true, min: 0, max: MAX_INT, unit: "points" },
  lifetime_spend: { type: "number", label: "Lifetime spend", integer: true, min: -MAX_INT, max: MAX_INT, unit: "money", help: "Net of refunds" },
  order_count: { type: "number", label: "Orders", integer: true, min: 0, max: MAX_INT },
  days_since_last_order: { type: "number", label: "Days since last order", integer: true, min: 0, max: 100_000, unit: "days", help: "Members without orders never match" },
  tenure_days: { type: "number", label: "Days since joining", integer: true, min: 0, max: 100_000, unit: "days" },
  birthday_month: { type: "choice", label: "Birthday month", choices: "months" },
  referral_count: { type: "number", label: "Referrals", integer: true, min: 0, max: MAX_INT },
  tags: { type: "tags", label: "Tags" },
  cltv_percentile: { type: "number", label: "Predicted CLTV percentile", integer: false, min: 0, max: 100, unit: "percent", help: "At least 80 = top 20%; unscored members never match" },
  p_alive: { type: "number", label: "Probability alive", integer: false, min: 0, max: 1, unit: "probability", help: "0 to 1; unscored members never match" },
  at_risk: { type: "boolean", label: "Churn risk (at risk)" },
  value_segment: { type: "choice", label: "Predicted value segment", choices: "value_segments" },
} as const satisfies Record<string, AttributeSpec>;

export type AttributeName = keyof typeof ATTRIBUTES;
export const ATTRIBUTE_NAMES = Object.keys(ATTRIBUTES) as [AttributeName, ...AttributeName[]];

export const VALUE_SEGMENTS = ["top", "middle", "bottom"] as const;
export const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

export const TAG_RE = /^[a-z0-9][a-z0-9_-]{0,39}$/;
export const tagSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(TAG_RE, "Tags are 1–40 lowercase letters, digits, - or _");

const num = (name: AttributeName) => {
  const spec = ATTRIBUTES[name] as NumberAttr;
  let n = z.number({ error: `${spec.label} needs a number` }).min(spec.min).max(spec.max);
  if (spec.integer) n = n.int(`${spec.label} must be a whole number`);
  return z.object({ type: z.literal("condition"), attribute: z.literal(name), operator: z.enum(NUMBER_OPERATORS), value: n });
};

const numberConditions = (Object.keys(ATTRIBUTES) as AttributeName[]).filter((k) => ATTRIBUTES[k].type === "number").map(num);

const ConditionSchema = z.union([
  ...numberConditions,
  z.object({
    type: z.literal("condition"),
    attribute: z.literal("birthday_month"),
    operator: z.literal("in"),
    value: z.array(z.number().int().min(1).max(12)).min(1, "Choose at least one month").max(12),
  }),
  z.object({
    type: z.literal("condition"),
    attribute: z.literal("tier"),
    operator: z.literal("in"),
    value: z.array(z.string().min(1).max(64)).min(1, "Choose at least one tier").max(50),
  }),
  z.object({
    type: z.literal("condition"),
    attribute: z.literal("value_segment"),
    operator: z.literal("in"),
    value: z.array(z.enum(VALUE_SEGMENTS)).min(1).max(3),
  }),
  z.object({
    type: z.literal("condition"),
    attribute: z.literal("tags"),
    operator: z.enum(["has_any", "has_all", "has_none"]),
    value: z.array(tagSchema).min(1, "Enter at least one tag").max(50),
  }),
  z.object({ type: z.literal("condition"), attribute: z.literal("at_risk"), operator: z.literal("is"), value: z.boolean() }),
]);

export type NumberAttributeName = {
  [K in AttributeName]: (typeof ATTRIBUTES)[K]["type"] extends "number" ? K : never;
}[AttributeName];

/** The schema's output, spelled out so that `attribute` narrows `value`. */
export type Condition =
  | { type: "condition"; attribute: NumberAttributeName; operator: NumberOperator; value: number }
  | { type: "condition"; attribute: "birthday_month"; operator: "in"; value: number[] }
  | { type: "condition"; attribute: "tier"; operator: "in"; value: string[] }
  | { type: "condition"; attribute: "value_segment"; operator: "in"; value: Array<(typeof VALUE_SEGMENTS)[number]> }
  | { type: "condition"; attribute: "tags"; operator: "has_any" | "has_all" | "has_none"; value: string[] }
  | { type: "condition"; attribute: "at_risk"; operator: "is"; value: boolean };
const TypedConditionSchema = ConditionSchema as unknown as z.ZodType<Condition>;
export interface Group {
  type: "group";
  op: "all" | "any";
  conditions: Array<Condition | Group>;
}
export type Rule = Group;

export const MAX_DEPTH = 4;
export const MAX_CONDITIONS = 50;

const GroupSchema: z.ZodType<Group> = z.lazy(() =>
  z.object({
    type: z.literal("group"),
    op: z.enum(["all", "any"]),
    conditions: z.array(z.union([TypedConditionSchema, GroupSchema])).max(MAX_CONDITIONS),
  }),
);

function depthAndCount(g: Group): { depth: number; count: number } {
  let depth = 1;
  let count = 0;
  for (const c of g.conditions) {
    if (c.type === "group") {
      const d = depthAndCount(c);
      depth = Math.max(depth, d.depth + 1);
      count += d.count;
    } else count += 1;
  }
  return { depth, count };
}

/** The rule as stored and sent by the builder. An empty `all` group matches every active member. */
export const RuleSchema: z.ZodType<Rule> = GroupSchema.superRefine((g, ctx) => {
  const { depth, count } = depthAndCount(g);
  if (depth > MAX_DEPTH) ctx.addIssue({ code: "custom", message: `Groups can nest at most ${MAX_DEPTH} deep` });
  if (count > MAX_CONDITIONS) ctx.addIssue({ code: "custom", message: `A rule can have at most ${MAX_CONDITIONS} conditions` });
});

export const EMPTY_RULE: Rule = { type: "group", op: "all", conditions: [] };

/** Parses a rule from JSON text (a form field or a query parameter); null when it is not a valid rule. */
export function parseRuleJson(text: string | null | undefined): { ok: true; rule: Rule } | { ok: false; message: string } {
  if (!text) return { ok: false, message: "The rule is missing" };
  if (text.length > 20_000) return { ok: false, message: "The rule is too large" };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, message: "The rule is not valid JSON" };
  }
  const parsed = RuleSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, message: parsed.error.issues[0]?.message ?? "The rule is not valid" };
  return { ok: true, rule: parsed.data };
}

/** What the brute-force evaluator knows about one member (the same facts the SQL reads). */
export interface MemberFacts {
  status: "active" | "blocked" | "deleted";
  createdAt: Date;
  birthday: string | null; // YYYY-MM-DD
  tierId: string | null;
  pointsBalance: number;
  lifetimeSpendMinor: number;
  orderCount: number;
  lastOrderAt: Date | null;
  referralCount: number;
  tags: string[];
  cltvPercentile: number | null;
  pAlive: number | null;
  atRisk: boolean | null;
  valueSegment: "top" | "middle" | "bottom" | null;
}

const DAY_MS = 86_400_000;
const daysSince = (t: Date, at: Date) => Math.floor((at.getTime() - t.getTime()) / DAY_MS);

function numberFact(attribute: AttributeName, m: MemberFacts, at: Date): number | null {
  switch (attribute) {
    case "points_balance":
      return m.pointsBalance;
    case "lifetime_spend":
      return m.lifetimeSpendMinor;
    case "order_count":
      return m.orderCount;
    case "days_since_last_order":
      return m.lastOrderAt ? daysSince(m.lastOrderAt, at) : null;
    case "tenure_days":
      return daysSince(m.createdAt, at);
    case "referral_count":
      return m.referralCount;
    case "cltv_percentile":
      return m.cltvPercentile;
    case "p_alive":
      return m.pAlive;
    default:
      return null;
  }
}

function compare(a: number, op: NumberOperator, b: number): boolean {
  switch (op) {
    case "gte":
      return a >= b;
    case "lte":
      return a <= b;
    case "gt":
      return a > b;
    case "lt":
      return a < b;
    case "eq":
      return a === b;
    case "neq":
      return a !== b;
  }
}

function matchesCondition(c: Condition, m: MemberFacts, at: Date): boolean {
  switch (c.attribute) {
    case "birthday_month":
      return m.birthday !== null && c.value.includes(Number(m.birthday.slice(5, 7)));
    case "tier":
      return m.tierId !== null && c.value.includes(m.tierId);
    case "value_segment":
      return m.valueSegment !== null && (c.value as string[]).includes(m.valueSegment);
    case "at_risk":
      return m.atRisk !== null && m.atRisk === c.value;
    case "tags": {
      const has = (t: string) => m.tags.includes(t);
      if (c.operator === "has_any") return c.value.some(has);
      if (c.operator === "has_all") return c.value.every(has);
      return !c.value.some(has);
    }
    default: {
      const v = numberFact(c.attribute, m, at);
      return v !== null && compare(v, c.operator, c.value);
    }
  }
}

/**
 * Brute-force evaluation of a rule for one member: the specification the SQL compiler is tested against.
 * Only active members are in any segment.
 */
export function memberMatches(rule: Rule, m: MemberFacts, at: Date): boolean {
  if (m.status !== "active") return false;
  const walk = (g: Group): boolean => {
    const results = g.conditions.map((c) => (c.type === "group" ? walk(c) : matchesCondition(c, m, at)));
    return g.op === "all" ? results.every(Boolean) : results.some(Boolean);
  };
  return walk(rule);
}

/** A short human description of a rule for lists ("Orders at least 3 and Tags has any of vip"). */
export function describeRule(rule: Rule): string {
  const walk = (g: Group): string => {
    if (!g.conditions.length) return g.op === "all" ? "All members" : "Nobody";
    const parts = g.conditions.map((c) => {
      if (c.type === "group") return `(${walk(c)})`;
      const label = ATTRIBUTES[c.attribute].label;
      const value = Array.isArray(c.value)
        ? c.attribute === "birthday_month"
          ? (c.value as number[]).map((v) => MONTHS[v - 1]).join(", ")
          : c.value.join(", ")
        : String(c.value);
      return `${label} ${OPERATOR_LABELS[c.operator]} ${value}`;
    });
    return parts.join(g.op === "all" ? " and " : " or ");
  };
  return walk(rule);
}
