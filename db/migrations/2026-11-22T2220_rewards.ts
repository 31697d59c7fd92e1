import { sql, type Kysely } from "kysely";

/**
 * Reward catalog and redemptions (issue 4). Frozen in time: never import app code here.
 *
 *  rewards              the catalog: what a reward gives, what it costs, who may have it, how many, how often.
 *  reward_redemptions   one row per redemption or grant: the points spent (the ledger journal), the issued code and
 *                       its life (issued → used / released, expired by date), gifts' fulfilment, Stripe objects, voids.
 *
 * Stock is a counter on the reward taken by a conditional UPDATE (stock_remaining > 0), so the last unit goes once.
 * Codes are unique per merchant and case-insensitive (citext).
 */
const TENANT_TABLES = ["rewards", "reward_redemptions"] as const;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table rewards (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      name text not null check (length(name) between 1 and 120),
      description text not null default '' check (length(description) <= 1000),
      -- fixed_discount: discount_minor off; percent_discount: percent_off with min_order_minor; free_product:
      -- product_name; store_credit: discount_minor credited; gift: fulfilled by staff; points_discount ("points as
      -- money"): every points_cost points give discount_minor off at checkout, up to max_discount_minor.
      kind text not null check (kind in ('fixed_discount','percent_discount','free_product','store_credit','gift','points_discount')),
      points_cost integer not null check (points_cost between 1 and 100000000),
      discount_minor bigint check (discount_minor between 1 and 100000000),
      percent_off integer check (percent_off between 1 and 100),
      min_order_minor bigint check (min_order_minor between 0 and 100000000),
      max_discount_minor bigint check (max_discount_minor between 1 and 100000000),
      product_name text check (length(product_name) between 1 and 200),
      -- Minimum tier (the tier's id; its rank decides), null = every member.
      min_tier_id text check (length(min_tier_id) <= 64),
      -- null = unlimited.
      stock_total integer check (stock_total >= 0),
      stock_remaining integer check (stock_remaining >= 0),
      limit_count integer check (limit_count between 1 and 10000),
      limit_period text check (limit_period in ('day','week','month','year','lifetime')),
      code_valid_days integer check (code_valid_days between 1 and 3650),
      starts_at timestamptz,
      ends_at timestamptz,
      status text not null default 'active' check (status in ('active','archived')),
      stripe_coupon_id text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (merchant_id, id),
      check ((limit_count is null) = (limit_period is null)),
      check ((stock_total is null) = (stock_remaining is null)),
      check (ends_at is null or starts_at is null or ends_at > starts_at)
    )`.execute(db);
  await sql`create index rewards_catalog_idx on rewards (merchant_id, status, points_cost)`.execute(db);

  await sql`
    create table reward_redemptions (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      reward_id text not null,
      member_id text not null,
      source text not null check (source in ('redeem','offer','gift','referral')),
      source_id text check (length(source_id) <= 100),
      idempotency_key text not null check (length(idempotency_key) between 1 and 300),
      -- pending: waiting for Stripe; issued: usable / to fulfil; fulfilled: a gift handed over; used: applied to an
      -- order; void: Stripe refused it (points returned, stock put back).
      status text not null check (status in ('pending','issued','fulfilled','used','void')),
      -- Snapshot of the reward at redemption time (editing the catalog never changes issued codes).
      kind text not null,
      reward_name text not null,
      points_spent integer not null default 0 check (points_spent >= 0),
      spend_journal_id text,
      refund_journal_id text,
      code citext check (code ~ '^[A-Za-z0-9-]{6,32}$'),
      discount_minor bigint,
      percent_off integer,
      min_order_minor bigint,
      product_name text,
      expires_at timestamptz,
      used_at timestamptz,
      used_order_id text check (length(used_order_id) <= 200),
      fulfilled_at timestamptz,
      fulfilled_by text,
      voided_at timestamptz,
      void_reason text check (length(void_reason) <= 500),
      stripe_customer_id text,
      stripe_promotion_code_id text,
      stripe_balance_transaction_id text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (merchant_id, id),
      unique (merchant_id, idempotency_key),
      unique (merchant_id, code),
      foreign key (merchant_id, reward_id) references rewards (merchant_id, id),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);
  // Per-member limits count a member's redemptions of a reward since the period start.
  await sql`create index reward_redemptions_member_idx on reward_redemptions (merchant_id, member_id, reward_id, created_at)`.execute(db);
  await sql`create index reward_redemptions_log_idx on reward_redemptions (merchant_id, created_at desc, id desc)`.execute(db);
  await sql`create index reward_redemptions_reward_idx on reward_redemptions (merchant_id, reward_id, status)`.execute(db);

  for (const t of TENANT_TABLES) {
    await sql`grant select, insert, update on ${sql.table(t)} to perennial_app`.execute(db);
    await sql`alter table ${sql.table(t)} enable row level security`.execute(db);
    await sql`
      create policy tenant_isolation on ${sql.table(t)}
        using (merchant_id = current_setting('app.merchant_id', true))
        with check (merchant_id = current_setting('app.merchant_id', true))`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [...TENANT_TABLES].reverse()) await sql`drop table if exists ${sql.table(t)} cascade`.execute(db);
}
