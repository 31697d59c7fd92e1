/**
 * Kysely table types, written by hand to match db/migrations; tests/integration/system/db-schema.test.ts compares them
 * with the migrated database (tables, columns, types, nullability, defaults), so a migration without its types
 * here fails CI. The pool's type parsers (app/db.server.ts) decide the TypeScript types: `bigint` → number (with a
 * safe-integer range check), so money and points are plain integers in code; `date` and `numeric` → string.
 */
import type { ColumnType, Insertable, Selectable, Updateable } from "kysely";

type Generated<T> = ColumnType<T, T | undefined, T>;
/** A timestamptz with a default in the database: optional on insert. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A timestamptz without a default: every insert must give it. */
type RequiredTimestamp = ColumnType<Date, Date | string, Date | string>;
type TimestampNullable = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json = ColumnType<unknown, string, string>;

export type StaffRole = "owner" | "admin" | "analyst";
export type MemberStatus = "active" | "blocked" | "deleted";
export type EmailStatus = "pending" | "sent" | "failed" | "kept";
export type ActorType = "staff" | "member" | "api_key" | "system";
export type OrderSource = "api" | "stripe" | "import" | "seed";

export interface MerchantSettings {
  brandColor?: string;
  portalTagline?: string;
  membersOnlyPortal?: boolean;
  [key: string]: unknown;
}

export interface MerchantsTable {
  id: string;
  slug: string;
  name: string;
  currency: string;
  timezone: string;
  settings: ColumnType<MerchantSettings, string | undefined, string>;
  created_at: Timestamp;
}

export interface StaffUsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: Timestamp;
  password_changed_at: Timestamp;
}

export interface StaffSessionsTable {
  id: string;
  staff_user_id: string;
  secret_hash: Buffer;
  created_at: Timestamp;
  last_verified_at: Timestamp;
  expires_at: RequiredTimestamp;
  ip: string | null;
  user_agent: string | null;
}

export interface StaffPasswordResetsTable {
  id: string;
  staff_user_id: string;
  token_hash: Buffer;
  created_at: Timestamp;
  expires_at: RequiredTimestamp;
  used_at: TimestampNullable;
}

export interface LoginThrottleTable {
  /** '<account key>', '<account key>|ip:<source>' or 'ip:<source>' (app/auth/throttle.ts). */
  key: string;
  /** The account key of the row; null for a source's budget across accounts. */
  account: string | null;
  failures: Generated<number>;
  next_allowed_at: Timestamp;
  updated_at: Timestamp;
}

interface OutboxColumns {
  id: string;
  template: string;
  to_address: string;
  subject: string;
  html: string;
  text_body: string;
  status: Generated<EmailStatus>;
  attempts: Generated<number>;
  last_error: string | null;
  created_at: Timestamp;
  sent_at: TimestampNullable;
}
export type PlatformEmailOutboxTable = OutboxColumns;
export interface EmailOutboxTable extends OutboxColumns {
  merchant_id: string;
}

export interface MerchantStaffTable {
  merchant_id: string;
  staff_user_id: string;
  role: StaffRole;
  created_at: Timestamp;
}

export interface StaffInvitationsTable {
  merchant_id: string;
  id: string;
  email: string;
  role: StaffRole;
  token_hash: Buffer;
  invited_by: string | null;
  created_at: Timestamp;
  expires_at: RequiredTimestamp;
  accepted_at: TimestampNullable;
  revoked_at: TimestampNullable;
}

export interface MembersTable {
  merchant_id: string;
  id: string;
  email: string;
  external_id: string | null;
  name: string | null;
  /** ISO date 'YYYY-MM-DD' (the pool returns `date` columns as strings, never shifted by time zones). */
  birthday: string | null;
  status: Generated<MemberStatus>;
  password_hash: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  password_changed_at: TimestampNullable;
}

export interface MemberSessionsTable {
  merchant_id: string;
  id: string;
  member_id: string;
  secret_hash: Buffer;
  created_at: Timestamp;
  last_verified_at: Timestamp;
  expires_at: RequiredTimestamp;
  ip: string | null;
  user_agent: string | null;
}

export interface MemberPasswordResetsTable {
  merchant_id: string;
  id: string;
  member_id: string;
  token_hash: Buffer;
  created_at: Timestamp;
  expires_at: RequiredTimestamp;
  used_at: TimestampNullable;
}

export interface ApiKeysTable {
  merchant_id: string;
  id: string;
  name: string;
  token_prefix: string;
  secret_hash: Buffer;
  scopes: ColumnType<string[], string[] | undefined, string[]>;
  created_by: string | null;
  created_at: Timestamp;
  last_used_at: TimestampNullable;
  revoked_at: TimestampNullable;
}

/** Key id → merchant, for the lookup before the merchant is known; a Citus reference table (db/migrations/2026-12-07T0200_citus_lookups.ts). */
export interface ApiKeyDirectoryTable {
  key_id: string;
  merchant_id: string;
}

export interface AuditLogTable {
  merchant_id: string;
  id: string;
  actor_type: ActorType;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  before: Json | null;
  after: Json | null;
  ip: string | null;
  created_at: Timestamp;
}

export interface IdempotencyKeysTable {
  merchant_id: string;
  key: string;
  method: string;
  path: string;
  request_hash: string;
  response_status: number | null;
  response_body: Json | null;
  created_at: Timestamp;
}

export interface OrdersTable {
  merchant_id: string;
  id: string;
  member_id: string;
  source: OrderSource;
  external_order_id: string;
  amount_minor: number;
  currency: string;
  occurred_at: RequiredTimestamp;
  created_at: Timestamp;
  refunded_minor: Generated<number>;
  dispute_status: Generated<DisputeStatus>;
  stripe_payment_key: string | null;
  card_fingerprint: string | null;
}

export type DisputeStatus = "none" | "withdrawn" | "reinstated";
export type JournalKind = "earn" | "release" | "spend" | "expire" | "reverse" | "restore" | "adjust" | "forgive";
export type LedgerAccount =
  | "member_available"
  | "member_pending"
  | "member_clawback"
  | "merchant_issued"
  | "merchant_redeemed"
  | "merchant_expired"
  | "merchant_adjusted"
  | "merchant_forgiven";
export type AllocationKind =
  | "consume"
  | "expire"
  | "reverse_remaining"
  | "reverse_expired"
  | "reverse_consumed"
  | "restore_remaining"
  | "restore_consumed";

export interface EarningRulesTable {
  merchant_id: string;
  rules: ColumnType<unknown, string, string>;
  updated_at: Timestamp;
  updated_by: string | null;
}

export interface LedgerJournalsTable {
  merchant_id: string;
  id: string;
  seq: ColumnType<number, never, never>;
  kind: JournalKind;
  source: string;
  member_id: string;
  idempotency_key: string;
  order_id: string | null;
  reverses_journal_id: string | null;
  description: string;
  points: number;
  reason: string | null;
  note: string | null;
  metadata: ColumnType<Record<string, unknown>, string | undefined, string>;
  actor_type: ActorType;
  actor_id: string | null;
  effective_at: RequiredTimestamp;
  created_at: Timestamp;
}

export interface LedgerEntriesTable {
  merchant_id: string;
  journal_id: string;
  seq: number;
  account: LedgerAccount;
  member_id: string | null;
  lot_id: string | null;
  amount: number;
  created_at: Timestamp;
}

export interface PointLotsTable {
  merchant_id: string;
  id: string;
  member_id: string;
  journal_id: string;
  source: string;
  order_id: string | null;
  points: number;
  remaining: number;
  consumed: Generated<number>;
  expired: Generated<number>;
  reversed: Generated<number>;
  earned_at: RequiredTimestamp;
  pending_until: TimestampNullable;
  released_at: TimestampNullable;
  expires_at: TimestampNullable;
  expired_at: TimestampNullable;
  created_at: Timestamp;
}

export interface LotAllocationsTable {
  merchant_id: string;
  journal_id: string;
  lot_id: string;
  kind: AllocationKind;
  points: number;
  created_at: Timestamp;
}

export interface MemberBalancesTable {
  merchant_id: string;
  member_id: string;
  available: Generated<number>;
  pending: Generated<number>;
  clawback_debt: Generated<number>;
  lifetime_earned: Generated<number>;
  lifetime_redeemed: Generated<number>;
  last_activity_at: TimestampNullable;
  updated_at: Timestamp;
}

export interface OrderRefundsTable {
  merchant_id: string;
  id: string;
  order_id: string;
  external_refund_id: string;
  amount_minor: number;
  created_at: Timestamp;
}

export interface StripeConnectionsTable {
  merchant_id: string;
  api_key_enc: string | null;
  api_key_hint: string | null;
  webhook_secret_enc: string | null;
  webhook_secret_hint: string | null;
  updated_at: Timestamp;
  updated_by: string | null;
}

export interface StripeEventsTable {
  merchant_id: string;
  event_id: string;
  type: string;
  stripe_created_at: RequiredTimestamp;
  livemode: Generated<boolean>;
  payload: Json;
  outcome: string;
  received_via: "webhook" | "reconcile";
  received_at: Timestamp;
}

export interface StripePaymentsTable {
  merchant_id: string;
  payment_key: string;
  charge_id: string | null;
  order_id: string | null;
  amount_minor: number | null;
  amount_refunded_minor: Generated<number>;
  dispute_status: Generated<DisputeStatus>;
  card_fingerprint: string | null;
  customer_email: string | null;
  updated_at: Timestamp;
}

export type ImportStatus = "queued" | "running" | "done" | "failed";
export interface ImportError {
  line: number;
  column: string | null;
  reason: string;
}

export interface ImportsTable {
  merchant_id: string;
  id: string;
  kind: "orders";
  filename: string;
  status: Generated<ImportStatus>;
  award_points: Generated<boolean>;
  total_bytes: Generated<number>;
  processed_bytes: Generated<number>;
  rows_ok: Generated<number>;
  rows_duplicate: Generated<number>;
  rows_failed: Generated<number>;
  members_created: Generated<number>;
  errors: ColumnType<ImportError[], string | undefined, string>;
  failure: string | null;
  created_by: string | null;
  created_at: Timestamp;
  started_at: TimestampNullable;
  finished_at: TimestampNullable;
}

/** Stripe subscriptions (issue 16 §5): the latest state Stripe sent; see db/migrations/2026-12-07T2250_subscriptions.ts. */
export interface SubscriptionsTable {
  merchant_id: string;
  stripe_subscription_id: string;
  stripe_customer_id: string;
  member_id: string | null;
  status: string;
  currency: string;
  plan_amount_minor: number;
  plan_interval: "day" | "week" | "month" | "year";
  plan_interval_count: number;
  mrr_minor: number;
  started_at: RequiredTimestamp;
  canceled_at: TimestampNullable;
  ended_at: TimestampNullable;
  stripe_event_at: RequiredTimestamp;
  updated_at: RequiredTimestamp;
}

export interface SubscriptionInvoicesTable {
  merchant_id: string;
  invoice_id: string;
  stripe_subscription_id: string;
  stripe_customer_id: string | null;
  customer_email: string | null;
  status: "paid" | "failed";
  amount_minor: number;
  currency: string;
  occurred_at: RequiredTimestamp;
  failed_attempts: Generated<number>;
}

export interface Database {
  merchants: MerchantsTable;
  staff_users: StaffUsersTable;
  staff_sessions: StaffSessionsTable;
  staff_password_resets: StaffPasswordResetsTable;
  login_throttle: LoginThrottleTable;
  platform_email_outbox: PlatformEmailOutboxTable;
  merchant_staff: MerchantStaffTable;
  staff_invitations: StaffInvitationsTable;
  members: MembersTable;
  member_sessions: MemberSessionsTable;
  member_password_resets: MemberPasswordResetsTable;
  api_keys: ApiKeysTable;
  api_key_directory: ApiKeyDirectoryTable;
  audit_log: AuditLogTable;
  email_outbox: EmailOutboxTable;
  idempotency_keys: IdempotencyKeysTable;
  orders: OrdersTable;
  earning_rules: EarningRulesTable;
  ledger_journals: LedgerJournalsTable;
  ledger_entries: LedgerEntriesTable;
  point_lots: PointLotsTable;
  lot_allocations: LotAllocationsTable;
  member_balances: MemberBalancesTable;
  order_refunds: OrderRefundsTable;
  stripe_connections: StripeConnectionsTable;
  stripe_events: StripeEventsTable;
  stripe_payments: StripePaymentsTable;
  imports: ImportsTable;
  points_notifications: PointsNotificationsTable;
  member_stats: MemberStatsTable;
  experiments: ExperimentsTable;
  experiment_arms: ExperimentArmsTable;
  experiment_assignments: ExperimentAssignmentsTable;
  experiment_events: ExperimentEventsTable;
  experiment_member_facts: ExperimentMemberFactsTable;
  experiment_member_months: ExperimentMemberMonthsTable;
  referral_codes: ReferralCodesTable;
  referral_edges: ReferralEdgesTable;
  referral_programs: ReferralProgramsTable;
  referral_nodes: ReferralNodesTable;
  referral_node_counters: ReferralNodeCountersTable;
  referral_clicks: ReferralClicksTable;
  referrals: ReferralsTable;
  referral_payouts: ReferralPayoutsTable;
  referral_reviews: ReferralReviewsTable;
  referral_blocks: ReferralBlocksTable;
  referral_invites: ReferralInvitesTable;
  cltv_models: CltvModelsTable;
  cltv_settings: CltvSettingsTable;
  dashboard_summaries: DashboardSummariesTable;
  cltv_summaries: CltvSummariesTable;
  experiment_summaries: ExperimentSummariesTable;
  program_summaries: ProgramSummariesTable;
  subscriptions: SubscriptionsTable;
  subscription_invoices: SubscriptionInvoicesTable;
  rewards: RewardsTable;
  reward_redemptions: RewardRedemptionsTable;
  member_tags: MemberTagsTable;
  marketing_optouts: MarketingOptoutsTable;
  segments: SegmentsTable;
  offers: OffersTable;
  offer_claims: OfferClaimsTable;
  surprise_gifts: SurpriseGiftsTable;
  gift_grants: GiftGrantsTable;
  offer_announcements: OfferAnnouncementsTable;
  announcement_recipients: AnnouncementRecipientsTable;
  tier_settings: TierSettingsTable;
  tiers: TiersTable;
  member_tiers: MemberTiersTable;
  tier_history: TierHistoryTable;
  tier_notifications: TierNotificationsTable;
  tier_jobs: TierJobsTable;
  referral_friend_arms: ReferralFriendArmsTable;
  referral_holdout_signups: ReferralHoldoutSignupsTable;
}

/** What the points e-mails told each member (db/migrations/2026-11-22T2100_points_notifications.ts). */
export interface PointsNotificationsTable {
  merchant_id: string;
  member_id: string;
  kind: "expiring_soon" | "earned_digest";
  dedupe_key: string;
  points: number;
  through_at: RequiredTimestamp;
  through_journal_id: string | null;
  email_id: string;
  created_at: Timestamp;
}

/** Per-member statistics (db/migrations/2026-11-22T2200_experiments_stats_referrals.ts). */
export interface MemberStatsTable {
  merchant_id: string;
  member_id: string;
  order_count: Generated<number>;
  lifetime_spend_minor: Generated<number>;
  first_order_at: TimestampNullable;
  last_order_at: TimestampNullable;
  referral_count: Generated<number>;
  predicted_purchases_12m: number | null;
  p_alive: number | null;
  expected_order_minor: number | null;
  cltv_12m_minor: number | null;
  cltv_24m_minor: number | null;
  cltv_36m_minor: number | null;
  cltv_percentile: number | null;
  value_segment: "top" | "middle" | "bottom" | null;
  at_risk: boolean | null;
  cltv_model_id: string | null;
  scored_at: TimestampNullable;
  updated_at: Generated<Date>;
  /** 90% bootstrap intervals on the scores (2026-12-07T2240); null without a usable parameter covariance. */
  predicted_purchases_12m_low: number | null;
  predicted_purchases_12m_high: number | null;
  p_alive_low: number | null;
  p_alive_high: number | null;
  cltv_12m_low_minor: number | null;
  cltv_12m_high_minor: number | null;
}

export type ExperimentKind = "loyalty_program" | "referral_program" | "offer" | "surprise_gift" | "custom";
export type ExperimentEventKind = "eligible" | "seen" | "emailed" | "claimed" | "joined";
export interface ExperimentsTable {
  merchant_id: string;
  id: string;
  kind: ExperimentKind;
  subject_id: string | null;
  name: string;
  assignment: Generated<"random" | "external">;
  holdout_bps: Generated<number>;
  status: Generated<"active" | "stopped">;
  created_by: string | null;
  created_at: Generated<Date>;
  stopped_at: TimestampNullable;
}
export interface ExperimentArmsTable {
  merchant_id: string;
  experiment_id: string;
  arm: string;
  is_control: Generated<boolean>;
}
export interface ExperimentAssignmentsTable {
  merchant_id: string;
  experiment_id: string;
  member_id: string;
  arm: string;
  source: "random" | "external";
  assigned_at: Timestamp;
}
export interface ExperimentEventsTable {
  merchant_id: string;
  experiment_id: string;
  member_id: string;
  kind: ExperimentEventKind;
  first_at: Generated<Date>;
  last_at: Generated<Date>;
  count: Generated<number>;
}
/**
 * Per-member facts of each experiment assignment, kept exact by triggers (written only by them; read with raw SQL
 * in app/domain/incrementality): db/migrations/2026-11-23T0100_experiment_member_facts.ts.
 */
export interface ExperimentMemberFactsTable {
  merchant_id: string;
  experiment_id: string;
  member_id: string;
  arm: string;
  assigned_at: RequiredTimestamp;
  revenue_minor: Generated<number>;
  pre_spend_minor: Generated<number>;
  points_redeemed: Generated<number>;
  rewards_minor: Generated<number>;
  points_costed: Generated<number>;
  points_cost_minor: Generated<number>;
  predicted_minor: number | null;
  joined: Generated<boolean>;
  /** Pre-assignment covariates of the regression adjustment (db/migrations/2026-12-07T2320_report_covariates.ts). */
  z_orders: Generated<number>;
  z_recency: Generated<number>;
  z_tenure: Generated<number>;
  z_referred: Generated<boolean>;
  z_stripe: Generated<boolean>;
}
/** The same value components per whole month (k) since assignment. */
export interface ExperimentMemberMonthsTable {
  merchant_id: string;
  experiment_id: string;
  member_id: string;
  k: number;
  arm: string;
  revenue_minor: Generated<number>;
  points_redeemed: Generated<number>;
  rewards_minor: Generated<number>;
  points_costed: Generated<number>;
  points_cost_minor: Generated<number>;
  events: Generated<number>;
}
export interface ReferralCodesTable {
  merchant_id: string;
  member_id: string;
  code: string;
  created_at: Generated<Date>;
}
export type ReferralVia = "cookie" | "code" | "api" | "stripe" | "staff";
export interface ReferralEdgesTable {
  merchant_id: string;
  member_id: string;
  referrer_id: string;
  depth: number;
  via: ReferralVia;
  created_at: Generated<Date>;
}

export type Merchant = Selectable<MerchantsTable>;
export type StaffUser = Selectable<StaffUsersTable>;
export type Member = Selectable<MembersTable>;
export type NewMember = Insertable<MembersTable>;
export type MemberUpdate = Updateable<MembersTable>;
export type ApiKey = Selectable<ApiKeysTable>;
export type Order = Selectable<OrdersTable>;
export type AuditEntry = Selectable<AuditLogTable>;
export type LedgerJournal = Selectable<LedgerJournalsTable>;
export type PointLot = Selectable<PointLotsTable>;
export type MemberBalance = Selectable<MemberBalancesTable>;
export type ImportRow = Selectable<ImportsTable>;

/** CLTV model fits and the merchant's CLTV economics (db/migrations/2026-11-22T2250_cltv_models.ts). */
export interface CltvModelsTable {
  merchant_id: string;
  id: string;
  model_version: string;
  run_key: string | null;
  time_unit: "day" | "week";
  calibration_start: string | null;
  calibration_end: string;
  currency: string;
  customers: number;
  repeat_customers: number;
  unique_rows: number;
  bgnbd_r: number;
  bgnbd_alpha: number;
  bgnbd_a: number;
  bgnbd_b: number;
  bgnbd_log_likelihood: number;
  bgnbd_converged: boolean;
  bgnbd_iterations: number;
  gg_p: number | null;
  gg_q: number | null;
  gg_gamma: number | null;
  gg_log_likelihood: number | null;
  gg_customers: number | null;
  gg_converged: boolean | null;
  diagnostics: ColumnType<Record<string, unknown>, string | undefined, never>;
  scored_members: Generated<number>;
  duration_ms: number;
  created_at: Generated<Date>;
}
export interface CltvSettingsTable {
  merchant_id: string;
  gross_margin_bps: Generated<number>;
  acquisition_cost_minor: Generated<number>;
  retention_cost_minor_per_year: Generated<number>;
  annual_discount_rate_bps: Generated<number>;
  /** How points-funded rewards are costed in the incrementality report (2026-12-07T0700). */
  points_cost_basis: Generated<"point_value" | "reward_cost">;
  /** lifetimes' L2 penalizer on log-parameters; discrete purchase opportunities' period (null: continuous) (2026-12-07T2240). */
  penalizer_coef: Generated<number>;
  discrete_period_days: number | null;
  updated_at: Generated<Date>;
  updated_by: string | null;
}

/** Maintained summaries of the merchant-wide pages (db/migrations/2026-11-24T0200_merchant_summaries.ts). */
export interface DashboardSummariesTable {
  merchant_id: string;
  computed_at: RequiredTimestamp;
  basis: Json;
  data: Json;
}
export interface CltvSummariesTable {
  merchant_id: string;
  computed_at: RequiredTimestamp;
  basis: Json;
  data: Json;
}
export interface ExperimentSummariesTable {
  merchant_id: string;
  experiment_id: string;
  window_days: number;
  computed_at: RequiredTimestamp;
  basis: Json;
  arms: Json;
  series: Json;
  referral: ColumnType<unknown, string | null, string | null>;
  /** The outstanding-points liability's breakage estimate at refresh (2026-12-07T0700). */
  liability: ColumnType<unknown, string | null | undefined, string | null>;
}
/** The program stats pages' summaries (db/migrations/2026-12-07T0400_program_summaries.ts). */
export type ProgramSummaryPage = "tiers" | "points" | "offer" | "referrals";
export interface ProgramSummariesTable {
  merchant_id: string;
  page: ProgramSummaryPage;
  /** The offer's or gift's experiment for page 'offer'; '' otherwise. */
  subject_id: Generated<string>;
  computed_at: RequiredTimestamp;
  basis: Json;
  data: Json;
}

/** Reward catalog and redemptions (db/migrations/2026-11-22T2220_rewards.ts). */
export type RewardKind = "fixed_discount" | "percent_discount" | "free_product" | "store_credit" | "gift" | "points_discount";
export type RewardLimitPeriod = "day" | "week" | "month" | "year" | "lifetime";
export type RedemptionStatus = "pending" | "issued" | "fulfilled" | "used" | "void";
export interface RewardsTable {
  merchant_id: string;
  id: string;
  name: string;
  description: Generated<string>;
  kind: RewardKind;
  points_cost: number;
  discount_minor: number | null;
  percent_off: number | null;
  min_order_minor: number | null;
  max_discount_minor: number | null;
  product_name: string | null;
  min_tier_id: string | null;
  stock_total: number | null;
  stock_remaining: number | null;
  limit_count: number | null;
  limit_period: RewardLimitPeriod | null;
  code_valid_days: number | null;
  starts_at: TimestampNullable;
  ends_at: TimestampNullable;
  status: Generated<"active" | "archived">;
  stripe_coupon_id: string | null;
  /** What one unit costs the merchant (2026-12-07T0700); null = not set. */
  cost_minor: Generated<number | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface RewardRedemptionsTable {
  merchant_id: string;
  id: string;
  reward_id: string;
  member_id: string;
  source: "redeem" | "offer" | "gift" | "referral";
  source_id: string | null;
  idempotency_key: string;
  status: RedemptionStatus;
  kind: RewardKind;
  reward_name: string;
  points_spent: Generated<number>;
  spend_journal_id: string | null;
  refund_journal_id: string | null;
  code: string | null;
  discount_minor: number | null;
  percent_off: number | null;
  min_order_minor: number | null;
  product_name: string | null;
  expires_at: TimestampNullable;
  used_at: TimestampNullable;
  used_order_id: string | null;
  fulfilled_at: TimestampNullable;
  fulfilled_by: string | null;
  voided_at: TimestampNullable;
  void_reason: string | null;
  stripe_customer_id: string | null;
  stripe_promotion_code_id: string | null;
  stripe_balance_transaction_id: string | null;
  /** The reward's cost_minor at grant; applied_minor: what the merchant gave up when it was used (2026-12-07T0700). */
  cost_minor: Generated<number | null>;
  applied_minor: Generated<number | null>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export type Reward = Selectable<RewardsTable>;
export type RewardRedemption = Selectable<RewardRedemptionsTable>;

/** Segments, offers, surprise gifts and announcements (db/migrations/2026-11-22T2230_segments_offers.ts). */
export type JobStatus = "queued" | "running" | "done" | "failed";
export interface MemberTagsTable {
  merchant_id: string;
  member_id: string;
  tag: string;
  created_at: Generated<Date>;
}
export interface MarketingOptoutsTable {
  merchant_id: string;
  member_id: string;
  source: "unsubscribe_link" | "staff" | "api";
  opted_out_at: Generated<Date>;
}
export interface SegmentsTable {
  merchant_id: string;
  id: string;
  name: string;
  description: string | null;
  rule: Json;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface OffersTable {
  merchant_id: string;
  id: string;
  title: string;
  description: Generated<string>;
  image_url: string | null;
  kind: "reward" | "multiplier";
  reward_id: string | null;
  multiplier_percent: number | null;
  multiplier_days: number | null;
  segment_id: string;
  starts_at: RequiredTimestamp;
  ends_at: RequiredTimestamp;
  stock_total: number | null;
  claimed_count: Generated<number>;
  experiment_id: string;
  status: Generated<"active" | "archived">;
  created_by: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}
export interface OfferClaimsTable {
  merchant_id: string;
  offer_id: string;
  member_id: string;
  claimed_at: Generated<Date>;
  redemption_id: string | null;
  code: string | null;
  multiplier_percent: number | null;
  multiplier_until: TimestampNullable;
}
export interface SurpriseGiftsTable {
  merchant_id: string;
  id: string;
  name: string;
  reward_id: string;
  segment_id: string;
  experiment_id: string;
  status: Generated<JobStatus>;
  total: Generated<number>;
  done: Generated<number>;
  failed: Generated<number>;
  error: string | null;
  created_by: string | null;
  created_at: Generated<Date>;
  started_at: TimestampNullable;
  finished_at: TimestampNullable;
}
export interface GiftGrantsTable {
  merchant_id: string;
  gift_id: string;
  member_id: string;
  status: "granted" | "failed";
  redemption_id: string | null;
  error: string | null;
  created_at: Generated<Date>;
}
export interface OfferAnnouncementsTable {
  merchant_id: string;
  id: string;
  offer_id: string;
  per_minute: number;
  status: Generated<JobStatus>;
  total: Generated<number>;
  sent: Generated<number>;
  skipped: Generated<number>;
  error: string | null;
  created_by: string | null;
  created_at: Generated<Date>;
  started_at: TimestampNullable;
  finished_at: TimestampNullable;
}
export interface AnnouncementRecipientsTable {
  merchant_id: string;
  announcement_id: string;
  member_id: string;
  status: "sent" | "skipped_optout";
  email_id: string | null;
  unsubscribe_hash: Buffer | null;
  created_at: Generated<Date>;
}

/** Membership tiers (db/migrations/2026-11-22T2210_tiers.ts). */
export type TierBasis = "points" | "spend";
export type TierWindow = "rolling_12m" | "calendar_year" | "lifetime";
export type TierDowngrade = "one_step" | "to_qualified";
export type TierChangeReason = "upgrade" | "downgrade" | "pin" | "unpin" | "definition_change";

export interface TierSettingsTable {
  merchant_id: string;
  basis: Generated<TierBasis>;
  window: Generated<TierWindow>;
  grace_days: Generated<number>;
  downgrade: Generated<TierDowngrade>;
  updated_at: Timestamp;
  updated_by: string | null;
}

export interface TiersTable {
  merchant_id: string;
  id: string;
  name: string;
  rank: number;
  threshold: number;
  earning_percent: Generated<number>;
  exclusive_access: Generated<boolean>;
  birthday_bonus: Generated<number>;
  perks: Generated<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MemberTiersTable {
  merchant_id: string;
  member_id: string;
  tier_id: string | null;
  earned_tier_id: string | null;
  valid_until: TimestampNullable;
  pin_tier_id: string | null;
  pin_until: TimestampNullable;
  pin_reason: string | null;
  pinned_by: string | null;
  since: TimestampNullable;
  evaluated_at: TimestampNullable;
  updated_at: Timestamp;
}

export interface TierHistoryTable {
  merchant_id: string;
  id: string;
  member_id: string;
  from_tier_id: string | null;
  from_name: string | null;
  to_tier_id: string | null;
  to_name: string | null;
  reason: TierChangeReason;
  note: string | null;
  actor_type: "staff" | "member" | "api_key" | "system";
  actor_id: string | null;
  at: RequiredTimestamp;
  created_at: Timestamp;
}

export interface TierNotificationsTable {
  merchant_id: string;
  member_id: string;
  kind: "reached" | "at_risk";
  dedupe_key: string;
  email_id: string;
  created_at: Timestamp;
}

export interface TierJobsTable {
  merchant_id: string;
  id: string;
  status: Generated<"queued" | "running" | "done" | "failed">;
  total: Generated<number>;
  done: Generated<number>;
  changed: Generated<number>;
  failed: Generated<number>;
  created_by: string | null;
  created_at: Timestamp;
  started_at: TimestampNullable;
  finished_at: TimestampNullable;
}

// ---- referrals (issue 5) ----------------------------------------------------------------------------------
export type ReferralStatus = "pending" | "flagged" | "qualified" | "rewarded" | "rejected" | "void";
export type ReferralPayoutRole = "friend" | "referrer" | "ancestor";
export type ReferralReviewDecision = "approve" | "reject" | "block_referrer";

export interface ReferralProgramsTable {
  merchant_id: string;
  settings: ColumnType<unknown, string, string>;
  updated_at: Timestamp;
  updated_by: string | null;
}

export interface ReferralNodesTable {
  merchant_id: string;
  member_id: string;
  node_no: number;
  depth: number;
  anchor_no: number;
  seg_path: string;
  parent_seg_path: string | null;
  parent_anchor_no: number | null;
  spend_minor: Generated<number>;
  cltv_minor: number | null;
}

/** The last referral node number given out per merchant (db/migrations/2026-12-07T0100_citus_functions.ts). */
export interface ReferralNodeCountersTable {
  merchant_id: string;
  last_no: number;
}

export interface ReferralClicksTable {
  merchant_id: string;
  id: string;
  code: string;
  referrer_id: string;
  device_id: string | null;
  ip: string | null;
  user_agent: string | null;
  landed_at: Timestamp;
  /** db/migrations/2026-11-23T0110_referral_friend_holdout.ts: the friend arm shown (null while the holdout is off). */
  friend_arm: ReferralFriendArm | null;
}

export interface ReferralsTable {
  merchant_id: string;
  id: string;
  member_id: string;
  referrer_id: string;
  code: string | null;
  via: ReferralVia;
  status: Generated<ReferralStatus>;
  reasons: Generated<string[]>;
  click_id: string | null;
  device_id: string | null;
  ip: string | null;
  user_agent: string | null;
  qualifying_order_id: string | null;
  qualified_at: TimestampNullable;
  hold_until: TimestampNullable;
  rewarded_at: TimestampNullable;
  voided_at: TimestampNullable;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** 'offer' when the matched click was in the friend holdout's offer arm (2026-11-23T0110). */
  friend_arm: ReferralFriendArm | null;
}

export interface ReferralPayoutsTable {
  merchant_id: string;
  id: string;
  referral_id: string;
  beneficiary_id: string;
  role: ReferralPayoutRole;
  level: number;
  kind: "points" | "reward";
  points: number | null;
  reward_id: string | null;
  journal_id: string | null;
  redemption_id: string | null;
  status: "pending" | "paid" | "reversed";
  reversal_journal_id: string | null;
  digested_at: TimestampNullable;
  created_at: Timestamp;
  reversed_at: TimestampNullable;
}

export interface ReferralReviewsTable {
  merchant_id: string;
  id: string;
  referral_id: string;
  reasons: string[];
  status: Generated<"open" | "decided">;
  decision: ReferralReviewDecision | null;
  note: string | null;
  decided_by: string | null;
  decided_at: TimestampNullable;
  created_at: Timestamp;
}

export interface ReferralBlocksTable {
  merchant_id: string;
  member_id: string;
  reason: string;
  blocked_by: string | null;
  created_at: Timestamp;
}

export interface ReferralInvitesTable {
  merchant_id: string;
  id: string;
  member_id: string;
  to_email: string;
  note: string | null;
  sent_at: Timestamp;
}

/** Friend-level holdout of the referral incentive (db/migrations/2026-11-23T0110_referral_friend_holdout.ts). */
export type ReferralFriendArm = "offer" | "holdout";

export interface ReferralFriendArmsTable {
  merchant_id: string;
  device_id: string;
  arm: ReferralFriendArm;
  assigned_at: Timestamp;
}

export interface ReferralHoldoutSignupsTable {
  merchant_id: string;
  id: string;
  member_id: string;
  referrer_id: string;
  click_id: string;
  device_id: string;
  created_at: Timestamp;
}
