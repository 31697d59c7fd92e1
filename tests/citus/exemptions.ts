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

const TODO = "todo: fix (issue 15)";

export const EXEMPTIONS: Exemption[] = [
  // ---- the five patterns of issue 15 ---------------------------------------------------------------------------------
  {
    rule: "mutable-in-update",
    fn: "experiment_facts_add_event",
    status: "todo",
    reason: `${TODO}: \`p_at >= a.assigned_at - interval …\` (timestamptz - interval is STABLE, over a column) in the UPDATE's WHERE; write \`a.assigned_at <= p_at + interval …\``,
  },
  {
    rule: "mutable-in-on-conflict",
    fn: "member_stats_on_order",
    status: "todo",
    reason: `${TODO}: \`updated_at = now()\` in ON CONFLICT DO UPDATE SET; take excluded.updated_at (the column default) instead`,
  },
  {
    rule: "mutable-in-on-conflict",
    fn: "member_stats_on_referral",
    status: "todo",
    reason: `${TODO}: \`updated_at = now()\` in ON CONFLICT DO UPDATE SET; take excluded.updated_at instead`,
  },
  {
    rule: "transition-table-trigger",
    fn: "experiment_facts_on_assign",
    status: "todo",
    reason: `${TODO}: the statement-level trigger experiment_assignments_facts joins new_assignments to orders, ledger_journals, reward_redemptions, member_stats, experiment_events`,
  },
  {
    rule: "tenant-filter",
    fn: "experiment_facts_on_assign",
    status: "todo",
    reason: `${TODO}: the same fill: every source table is joined to the transition table's merchant_id, which is no single merchant`,
  },
  {
    rule: "sequence-in-function",
    fn: "referral_node_attach",
    status: "todo",
    reason: `${TODO}: nextval('referral_node_seq') (called from the referral_edges trigger); node numbers from a per-merchant counter or the app`,
  },
  {
    rule: "subquery-in-on-conflict",
    fingerprint: "fbc82ef75b763c83",
    origin: "app/domain/referrals/fraud.server.ts (openReview)",
    sample: "insert into referral_reviews … on conflict (merchant_id, referral_id) where status = 'open' do update set reasons = (select array_agg(distinct x) …)",
    status: "todo",
    reason: `${TODO}: the reasons are merged by a subquery in DO UPDATE SET; merge them in the app (read under the row lock) or with an IMMUTABLE function`,
  },

  // ---- found by the check beyond the list ----------------------------------------------------------------------
  {
    rule: "mutable-in-on-conflict",
    fingerprint: "e6d2f3a800ffe996",
    origin: "app/domain/cltv/score.server.ts (scoring's member_stats upsert)",
    sample: "insert into member_stats as s (…) select … from unnest(…) on conflict (merchant_id, member_id) do update set … updated_at = now()",
    status: "todo",
    reason: `${TODO}: \`updated_at = now()\` in ON CONFLICT DO UPDATE SET; select the app's clock (the \`at\` already passed) and take excluded.updated_at`,
  },
  ...[
    ["15b5fab94823198b", "select … from email_outbox where id = $1 for update"],
    ["73402d4f17052b1e", "update email_outbox set status = $1 where id = $2"],
    ["3f62f561473a4762", "update email_outbox set attempts = attempts + $1, last_error = $2, status = $3 where id = $4"],
    ["5f658046ca8bc129", "update email_outbox set status = $1, sent_at = $2, attempts = attempts + $3, last_error = $4 where id = $5"],
  ].map(
    ([fingerprint, sample]): Exemption => ({
      rule: "tenant-filter",
      fingerprint,
      origin: "app/domain/email/delivery.server.ts (deliverEmail, the e-mail job)",
      sample,
      status: "todo",
      reason: `${TODO}: the job's payload carries merchantId and RLS scopes it, but the text does not: add merchant_id = payload.merchantId (the table is email_outbox only when merchantId is set)`,
    }),
  ),

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
    rule: "dynamic-sql",
    fingerprint: "do_block:text:format('grant perennial_app to %I', current_user)",
    origin: "db/migrations/2026-11-22T1700_foundation.ts",
    sample: "do $$ … execute format('grant perennial_app to %I', current_user) … $$",
    status: "exempt",
    reason: "DDL (a role grant) in the first migration, no table: Citus propagates role grants to the workers itself",
  },

  // ---- cross-merchant by design: jobs' work finders ------------------------------------------------------------------
  {
    rule: "tenant-filter",
    fn: "ledger_due_lots",
    status: "todo",
    reason:
      `${TODO}: the points release/expiry job's finder (dueAnywhere) scans point_lots of every merchant. On Citus a UNION of two multi-shard` +
      " single-table reads (no join, planned recursively); the issue wants it per merchant: loop over merchants (a reference table) as dueIn does",
  },
  {
    rule: "tenant-filter",
    fn: "referral_due_work",
    status: "todo",
    reason:
      `${TODO}: the referral hold-period release job's finder scans referrals of every merchant (ORDER BY hold_until LIMIT: a multi-shard` +
      " read merged on the coordinator). Per merchant, or a small work-queue table, as for ledger_due_lots",
  },
  {
    rule: "tenant-filter",
    fn: "referral_digest_work",
    status: "todo",
    reason: `${TODO}: the referral digest job's finder scans referral_payouts of every merchant (multi-shard DISTINCT). Per merchant, or a work queue`,
  },

  // ---- cross-merchant by design: lookups that find the merchant from a secret or a public code ----------------------
  {
    rule: "tenant-filter",
    fn: "auth_api_key_lookup",
    status: "todo",
    reason:
      `${TODO}: every API request looks its key up by id before the merchant is known: a multi-shard read of api_keys on the hot path (one` +
      " task per shard). Carry the merchant in the token, or keep a reference table key id → merchant_id",
  },
  {
    rule: "tenant-filter",
    fn: "auth_staff_memberships",
    status: "todo",
    reason:
      `${TODO}: a staff user's merchants (merchant_staff by staff_user_id), read on sign-in and merchant switching: a multi-shard read.` +
      " A reference table of memberships, or keep it exempt (small, rare) and say so",
  },
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
