import type { RuleId } from "./rules";

/**
 * Statements allowed to break a Citus rule (docs/scale-out.md), each with why and how it runs on Citus — and,
 * until issue 15's fixes land, the current violations tagged `todo`: the work plan. `npm run check:citus` fails on a
 * violation that no entry matches, and lists entries that matched nothing (stale: delete them).
 *
 * An entry matches a violation of its `rule` by function name (`fn`: every statement of that function) or by the
 * statement's libpg-query fingerprint (`fingerprint`: stable across whitespace and parameter values; the check
 * prints it). `origin` and `sample` are for the reader.
 */
export interface Exemption {
  rule: RuleId;
  fn?: string;
  fingerprint?: string;
  origin?: string;
  sample?: string;
  /** exempt: stays, for `reason`; todo: a violation to fix under issue 15. */
  status: "exempt" | "todo";
  reason: string;
}

export const EXEMPTIONS: Exemption[] = [
  // ---- migrations: run once, on a single node, before \`db distribute\` (a fresh install migrates first) -----------------
  {
    rule: "tenant-filter",
    fingerprint: "3938f801ff988a68",
    origin: "db/migrations/2026-11-22T2200_experiments_stats_referrals.ts (member_stats backfill)",
    sample: "insert into member_stats (…) select merchant_id, member_id, count(*), … from orders group by merchant_id, member_id",
    status: "exempt",
    reason:
      "a migration's backfill over every merchant, applied before distribution (and already applied on a distributed cluster). Were it run" +
      " on Citus, it is a co-located INSERT … SELECT grouped by the distribution column, which Citus pushes down to each shard",
  },
  {
    rule: "tenant-filter",
    fingerprint: "do_block:72ec8a5afe5d9c69",
    origin: "db/migrations/2026-11-22T2240_referrals.ts (referral_nodes backfill, a DO block)",
    sample: "for e in select merchant_id, member_id, referrer_id from referral_edges order by depth, created_at loop … referral_node_attach(…)",
    status: "exempt",
    reason: "a migration's backfill, applied before distribution: one ordered read of every edge, then one call per edge pinned to its merchant",
  },
  {
    rule: "tenant-filter",
    fingerprint: "1f8f96a4dd723679",
    origin: "db/migrations/2026-11-23T0100_experiment_member_facts.ts (facts backfill)",
    sample: "select experiment_member_facts_rebuild(id) from merchants where exists (select 1 from experiment_assignments a where a.merchant_id = merchants.id)",
    status: "exempt",
    reason: "a migration's backfill, applied before distribution: one rebuild per merchant, each pinned to it (experiment_member_facts_rebuild(p_merchant_id))",
  },
  {
    rule: "tenant-filter",
    fingerprint: "d315b6e875b6b8a4",
    origin: "db/migrations/2026-12-07T2320_report_covariates.ts (covariates backfill)",
    sample: "select experiment_member_facts_fill_covariates(id) from merchants where exists (select 1 from experiment_member_facts f where f.merchant_id = merchants.id)",
    status: "exempt",
    reason: "a migration's backfill, applied before distribution: one fill per merchant, each pinned to it (experiment_member_facts_fill_covariates(p_merchant_id))",
  },
  {
    rule: "tenant-filter",
    fingerprint: "dce4c050bb21bef6",
    origin: "db/migrations/2026-12-07T0700_costs_at_use.ts (applied_minor backfill of codes used before it)",
    sample: "update reward_redemptions set applied_minor = case when kind in ('fixed_discount', 'store_credit', '",
    status: "exempt",
    reason: "a migration's one-off backfill of every merchant's used codes, applied before distribution (after it: a multi-shard UPDATE with no function call, which Citus runs on every shard)",
  },
  {
    rule: "tenant-filter",
    fingerprint: "75e0ed69c5e4cb4f",
    origin: "db/migrations/2026-12-07T0200_citus_lookups.ts (api_key_directory backfill)",
    sample: "insert into api_key_directory (key_id, merchant_id) select id, merchant_id from api_keys",
    status: "exempt",
    reason:
      "a migration's backfill of the key directory from every merchant's keys, applied before distribution (on a cluster distributed" +
      " before it, a multi-shard read of api_keys into a reference table, once: INSERT … SELECT that Citus plans through the coordinator)",
  },
  {
    rule: "dynamic-sql",
    fingerprint: "do_block:text:format('grant perennial_app to %I', current_user)",
    origin: "db/migrations/2026-11-22T1700_foundation.ts",
    sample: "do $$ … execute format('grant perennial_app to %I', current_user) … $$",
    status: "exempt",
    reason: "DDL (a role grant) in the first migration, no table: Citus propagates role grants to the workers itself",
  },

  // ---- cross-merchant by design: lookups that find the merchant from a secret or a public code ----------------------
  {
    rule: "tenant-filter",
    fn: "auth_invitation_lookup",
    status: "exempt",
    reason:
      "an invitation link names no merchant: one lookup by the invitation's unique id when it is opened (rare). On Citus a multi-shard" +
      " single-table read by primary key, no join; the acceptance then runs pinned to the merchant it returns",
  },
  {
    rule: "tenant-filter",
    fn: "referral_code_merchants",
    status: "exempt",
    reason:
      "the short link /r/<code> names no merchant (codes are unique per merchant only): a read of referral_codes by code in every" +
      " merchant, joined only to merchants (a reference table, which Citus joins on every shard). Multi-shard, read-only, at most 5 rows",
  },

  // ---- dynamic SQL that is pinned ------------------------------------------------------------------------------------
  {
    rule: "dynamic-sql",
    fn: "member_search_page",
    status: "exempt",
    reason:
      "every EXECUTEd statement filters members by `merchant_id = $1` (the literal text, or member_search_where's first conjunct" +
      " 'm.merchant_id = $1'), with $1 = the tenant setting, and joins orders on merchant_id: single-shard. Built only from fixed text",
  },
  {
    rule: "dynamic-sql",
    fn: "member_search_count",
    status: "exempt",
    reason: "as member_search_page: the statement is member_search_where's text, whose first conjunct is 'm.merchant_id = $1'",
  },
];
