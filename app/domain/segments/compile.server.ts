import { sql, type RawBuilder } from "kysely";
import type { AttributeName, Condition, Group, NumberOperator, Rule } from "./rule";

/**
 * Compiles a segment rule (already validated by RuleSchema) to ONE parameterized SQL query over
 *   members m
 *   left join member_stats s     (orders, spend, referrals, CLTV scores)
 *   left join member_balances b  (points)
 *   left join member_tiers mt    (current tier)
 * Every value is a bind parameter; the only raw SQL comes from the fixed tables below, keyed by names that the
 * schema has already restricted to known attributes and operators.
 */

type Expr = (at: Date) => RawBuilder<unknown>;

const DAY_SECONDS = 86_400;
const daysSince = (column: RawBuilder<unknown>, at: Date) =>
  sql`floor(extract(epoch from (${at}::timestamptz - ${column})) / ${DAY_SECONDS})`;

/**
 * Numeric attributes: their SQL expression. A new per-member statistic (say a model score in member_stats) is one
 * line here, plus its entry in rule.ts ATTRIBUTES. Null means "unknown": the condition is false.
 */
const NUMBER_SQL: Partial<Record<AttributeName, Expr>> = {
  points_balance: () => sql`coalesce(b.available, 0)`,
  lifetime_spend: () => sql`coalesce(s.lifetime_spend_minor, 0)`,
  order_count: () => sql`coalesce(s.order_count, 0)`,
  days_since_last_order: (at) => daysSince(sql`s.last_order_at`, at),
  tenure_days: (at) => daysSince(sql`m.created_at`, at),
  referral_count: () => sql`coalesce(s.referral_count, 0)`,
  cltv_percentile: () => sql`s.cltv_percentile`,
  p_alive: () => sql`s.p_alive`,
};

const OPS: Record<NumberOperator, string> = { gte: ">=", lte: "<=", gt: ">", lt: "<", eq: "=", neq: "<>" };

function conditionSql(c: Condition, at: Date): RawBuilder<unknown> {
  switch (c.attribute) {
    case "birthday_month":
      return sql`extract(month from m.birthday)::int = any(${c.value}::int[])`;
    case "tier":
      return sql`mt.tier_id = any(${c.value}::text[])`;
    case "value_segment":
      return sql`s.value_segment = any(${c.value}::text[])`;
    case "at_risk":
      return sql`s.at_risk = ${c.value}::boolean`;
    case "tags": {
      // tg.tags: the member's tags as one array (null without tags), joined only when the rule uses tags.
      const tags = [...new Set(c.value)];
      if (c.operator === "has_any") return sql`tg.tags && ${tags}::text[]`;
      if (c.operator === "has_all") return sql`tg.tags @> ${tags}::text[]`;
      return sql`not coalesce(tg.tags && ${tags}::text[], false)`;
    }
    default: {
      const expr = NUMBER_SQL[c.attribute];
      if (!expr) throw new Error(`no SQL mapping for attribute ${c.attribute}`);
      const op = OPS[c.operator as NumberOperator];
      if (!op) throw new Error(`unknown operator ${String(c.operator)}`);
      // ::numeric: the parameter is compared as an exact number whatever the column's type.
      return sql`${expr(at)} ${sql.raw(op)} ${c.value}::numeric`;
    }
  }
}

/** The WHERE clause of a rule. Unknown values (nulls) make a condition false, never "unknown". */
export function ruleSql(rule: Rule, at: Date): RawBuilder<unknown> {
  const walk = (g: Group): RawBuilder<unknown> => {
    if (!g.conditions.length) return g.op === "all" ? sql`true` : sql`false`;
    const parts = g.conditions.map((c) => (c.type === "group" ? walk(c) : sql`coalesce(${conditionSql(c, at)}, false)`));
    return sql`(${sql.join(parts, sql.raw(g.op === "all" ? " and " : " or "))})`;
  };
  return walk(rule);
}

function usesTags(g: Group): boolean {
  return g.conditions.some((c) => (c.type === "group" ? usesTags(c) : c.attribute === "tags"));
}

/**
 * The joined member row `rule` is evaluated over, for merchant `merchantId` (active members only). Tags are
 * aggregated once per member in a hash join rather than probed per member (a correlated subquery under an `any`
 * group cannot become a join). With `memberId`, just that member (the portal's eligibility check).
 */
export function segmentFrom(merchantId: string, rule: Rule, memberId?: string): RawBuilder<unknown> {
  const one = memberId === undefined ? sql`` : sql`and member_id = ${memberId}`;
  const tags = usesTags(rule)
    ? sql`left join (select member_id, array_agg(tag) as tags from member_tags where merchant_id = ${merchantId} ${one} group by member_id) tg on tg.member_id = m.id`
    : sql``;
  return sql`members m
    left join member_stats s on s.merchant_id = m.merchant_id and s.member_id = m.id
    left join member_balances b on b.merchant_id = m.merchant_id and b.member_id = m.id
    left join member_tiers mt on mt.merchant_id = m.merchant_id and mt.member_id = m.id
    ${tags}
    where m.merchant_id = ${merchantId} and m.status = 'active' ${memberId === undefined ? sql`` : sql`and m.id = ${memberId}`}`;
}

/** A subquery selecting the ids of the members matching `rule` (one column), e.g. for assignMany. */
export function segmentMemberIds(merchantId: string, rule: Rule, at: Date): RawBuilder<unknown> {
  return sql`select m.id from ${segmentFrom(merchantId, rule)} and ${ruleSql(rule, at)}`;
}
