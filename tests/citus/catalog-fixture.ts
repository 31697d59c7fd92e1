import { tenantRelations, type Catalog, type TriggerInfo, type Volatility } from "./catalog";

/**
 * A hand-made slice of the migrated schema for the unit tests (no database): the tables the test snippets touch,
 * with the column types the volatility rules look at, and the built-in volatilities those snippets use (as
 * pg_proc / pg_operator say on PostgreSQL 18). check.ts reads the real catalog instead.
 */
const ts = "timestamp with time zone";
const t = (cols: Record<string, string>) => new Map(Object.entries(cols));

const relations = new Map<string, Map<string, string>>([
  ["merchants", t({ id: "text", slug: "text", name: "text", created_at: ts })],
  ["members", t({ merchant_id: "text", id: "text", email: "citext", created_at: ts })],
  ["api_keys", t({ merchant_id: "text", id: "text", secret_hash: "bytea", scopes: "text[]", last_used_at: ts, revoked_at: ts })],
  // Reference tables that carry merchant_id (db/distribution.ts).
  ["api_key_directory", t({ key_id: "text", merchant_id: "text" })],
  ["merchant_staff", t({ merchant_id: "text", staff_user_id: "text", role: "text" })],
  ["orders", t({ merchant_id: "text", id: "text", member_id: "text", amount_minor: "bigint", refunded_minor: "bigint", occurred_at: ts, card_fingerprint: "text" })],
  ["ledger_journals", t({ merchant_id: "text", id: "text", member_id: "text", kind: "text", points: "bigint", effective_at: ts })],
  ["reward_redemptions", t({ merchant_id: "text", id: "text", member_id: "text", points_spent: "bigint", discount_minor: "bigint", status: "text", created_at: ts })],
  ["member_balances", t({ merchant_id: "text", member_id: "text", available: "bigint", pending: "bigint", updated_at: ts })],
  [
    "member_stats",
    t({
      merchant_id: "text",
      member_id: "text",
      order_count: "integer",
      lifetime_spend_minor: "bigint",
      first_order_at: ts,
      last_order_at: ts,
      referral_count: "integer",
      cltv_12m_minor: "bigint",
      cltv_36m_minor: "bigint",
      updated_at: ts,
    }),
  ],
  ["experiment_assignments", t({ merchant_id: "text", experiment_id: "text", member_id: "text", arm: "text", assigned_at: ts })],
  ["experiment_events", t({ merchant_id: "text", experiment_id: "text", member_id: "text", kind: "text", at: ts })],
  [
    "experiment_member_facts",
    t({
      merchant_id: "text",
      experiment_id: "text",
      member_id: "text",
      arm: "text",
      assigned_at: ts,
      revenue_minor: "bigint",
      pre_spend_minor: "bigint",
      points_redeemed: "bigint",
      rewards_minor: "bigint",
      predicted_minor: "bigint",
      joined: "boolean",
    }),
  ],
  [
    "experiment_member_months",
    t({ merchant_id: "text", experiment_id: "text", member_id: "text", k: "integer", arm: "text", revenue_minor: "bigint", points_redeemed: "bigint", rewards_minor: "bigint", events: "integer" }),
  ],
  ["referral_edges", t({ merchant_id: "text", member_id: "text", referrer_id: "text", depth: "integer" })],
  [
    "referral_nodes",
    t({
      merchant_id: "text",
      member_id: "text",
      node_no: "bigint",
      depth: "integer",
      anchor_no: "bigint",
      seg_path: "text",
      parent_seg_path: "text",
      parent_anchor_no: "bigint",
      spend_minor: "bigint",
      cltv_minor: "bigint",
    }),
  ],
  ["referral_reviews", t({ merchant_id: "text", id: "text", referral_id: "text", reasons: "text[]", status: "text", created_at: ts })],
  ["referrals", t({ merchant_id: "text", id: "text", status: "text", hold_until: ts })],
]);

const functionVolatility = new Map<string, Set<Volatility>>(
  Object.entries({
    now: ["s"],
    clock_timestamp: ["v"],
    statement_timestamp: ["s"],
    random: ["v"],
    gen_random_uuid: ["v"],
    current_setting: ["s"],
    set_config: ["v"],
    nextval: ["v"],
    array_agg: ["i"],
    unnest: ["i"],
    sum: ["i"],
    count: ["i"],
    floor: ["i"],
    extract: ["i", "s"],
    date_trunc: ["i", "s"],
    to_char: ["i", "s"],
  }).map(([k, v]) => [k, new Set(v as Volatility[])]),
);

const operatorVolatility = new Map<string, Volatility>([
  [`+ ${ts} interval`, "s"],
  [`- ${ts} interval`, "s"],
  [`+ interval ${ts}`, "s"],
  [`< date ${ts}`, "s"],
  [`= ${ts} date`, "s"],
]);

const castVolatility = new Map<string, Volatility>([
  [`${ts} date`, "s"],
  [`${ts} text`, "s"],
  [`text ${ts}`, "s"],
]);

export function fixtureCatalog(triggers: TriggerInfo[] = []): Catalog {
  return {
    relations,
    tenant: tenantRelations(relations),
    functionVolatility,
    operatorVolatility,
    castVolatility,
    functions: [],
    triggers,
  };
}
