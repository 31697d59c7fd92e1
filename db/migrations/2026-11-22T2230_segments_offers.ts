import { sql, type Kysely } from "kysely";

/**
 * Issue 4, exclusive offers for segments. Frozen in time: never import app code here.
 *
 *  member_tags              free-form labels staff (or the API) put on members; the segment engine filters on them.
 *  marketing_optouts        members who unsubscribed from offer announcements (per merchant).
 *  segments                 a saved rule (JSON AST) over member attributes.
 *  offers                   an offer for a segment: a catalog reward or a points multiplier, window, stock, holdout.
 *  offer_claims             one claim per member per offer (the primary key); multiplier claims carry their period.
 *  surprise_gifts           a one-off grant of a reward to the treated members of a segment, run as a job.
 *  gift_grants              one row per member a gift reached (idempotency and progress).
 *  offer_announcements      an e-mail campaign announcing an offer to its treated members, run as a rate-limited job.
 *  announcement_recipients  one row per member an announcement reached, with the unsubscribe token's hash.
 *
 * Catalog rewards belong to the Rewards helper's migration: reward ids are checked by the application, not by a
 * foreign key, so this migration does not depend on that one's table shape.
 */
const TENANT_TABLES = [
  "member_tags",
  "marketing_optouts",
  "segments",
  "offers",
  "offer_claims",
  "surprise_gifts",
  "gift_grants",
  "offer_announcements",
  "announcement_recipients",
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table member_tags (
      merchant_id text not null,
      member_id text not null,
      tag text not null check (tag ~ '^[a-z0-9][a-z0-9_\-]{0,39}$'),
      created_at timestamptz not null default now(),
      primary key (merchant_id, member_id, tag),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);
  await sql`create index member_tags_tag_idx on member_tags (merchant_id, tag, member_id)`.execute(db);

  await sql`
    create table marketing_optouts (
      merchant_id text not null,
      member_id text not null,
      source text not null check (source in ('unsubscribe_link','staff','api')),
      opted_out_at timestamptz not null default now(),
      primary key (merchant_id, member_id),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);

  await sql`
    create table segments (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      name text not null check (length(name) between 1 and 120),
      description text check (length(description) <= 500),
      rule jsonb not null,
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (merchant_id, id)
    )`.execute(db);

  await sql`
    create table offers (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      title text not null check (length(title) between 1 and 120),
      description text not null default '' check (length(description) <= 2000),
      image_url text check (image_url ~ '^https?://' and length(image_url) <= 2000),
      kind text not null check (kind in ('reward','multiplier')),
      reward_id text,
      -- 200 = double points; applies from the claim for multiplier_days days.
      multiplier_percent integer check (multiplier_percent between 101 and 1000),
      multiplier_days integer check (multiplier_days between 1 and 365),
      segment_id text not null,
      starts_at timestamptz not null,
      ends_at timestamptz not null,
      -- null: unlimited.
      stock_total integer check (stock_total >= 1),
      claimed_count integer not null default 0 check (claimed_count >= 0),
      experiment_id text not null,
      status text not null default 'active' check (status in ('active','archived')),
      created_by text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (merchant_id, id),
      check (ends_at > starts_at),
      check (stock_total is null or claimed_count <= stock_total),
      check ((kind = 'reward' and reward_id is not null and multiplier_percent is null and multiplier_days is null)
          or (kind = 'multiplier' and reward_id is null and multiplier_percent is not null and multiplier_days is not null)),
      foreign key (merchant_id, segment_id) references segments (merchant_id, id),
      foreign key (merchant_id, experiment_id) references experiments (merchant_id, id)
    )`.execute(db);
  await sql`create index offers_window_idx on offers (merchant_id, status, ends_at)`.execute(db);

  await sql`
    create table offer_claims (
      merchant_id text not null,
      offer_id text not null,
      member_id text not null,
      claimed_at timestamptz not null default now(),
      redemption_id text,
      code text,
      multiplier_percent integer,
      multiplier_until timestamptz,
      primary key (merchant_id, offer_id, member_id),
      foreign key (merchant_id, offer_id) references offers (merchant_id, id) on delete cascade,
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);
  // offerEarningPercent: the member's multiplier claims still running.
  await sql`create index offer_claims_multiplier_idx on offer_claims (merchant_id, member_id, multiplier_until) where multiplier_percent is not null`.execute(db);

  await sql`
    create table surprise_gifts (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      name text not null check (length(name) between 1 and 120),
      reward_id text not null,
      segment_id text not null,
      experiment_id text not null,
      status text not null default 'queued' check (status in ('queued','running','done','failed')),
      total integer not null default 0 check (total >= 0),
      done integer not null default 0 check (done >= 0),
      failed integer not null default 0 check (failed >= 0),
      error text,
      created_by text,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz,
      primary key (merchant_id, id),
      foreign key (merchant_id, segment_id) references segments (merchant_id, id),
      foreign key (merchant_id, experiment_id) references experiments (merchant_id, id)
    )`.execute(db);

  await sql`
    create table gift_grants (
      merchant_id text not null,
      gift_id text not null,
      member_id text not null,
      status text not null check (status in ('granted','failed')),
      redemption_id text,
      error text check (length(error) <= 500),
      created_at timestamptz not null default now(),
      primary key (merchant_id, gift_id, member_id),
      foreign key (merchant_id, gift_id) references surprise_gifts (merchant_id, id) on delete cascade,
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);

  await sql`
    create table offer_announcements (
      merchant_id text not null,
      id text not null,
      offer_id text not null,
      per_minute integer not null check (per_minute between 1 and 100000),
      status text not null default 'queued' check (status in ('queued','running','done','failed')),
      total integer not null default 0 check (total >= 0),
      sent integer not null default 0 check (sent >= 0),
      skipped integer not null default 0 check (skipped >= 0),
      error text,
      created_by text,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz,
      primary key (merchant_id, id),
      foreign key (merchant_id, offer_id) references offers (merchant_id, id) on delete cascade
    )`.execute(db);

  await sql`
    create table announcement_recipients (
      merchant_id text not null,
      announcement_id text not null,
      member_id text not null,
      status text not null check (status in ('sent','skipped_optout')),
      email_id text,
      -- SHA-256 of the unsubscribe link's secret; the secret itself is only in the e-mail.
      unsubscribe_hash bytea,
      created_at timestamptz not null default now(),
      primary key (merchant_id, announcement_id, member_id),
      foreign key (merchant_id, announcement_id) references offer_announcements (merchant_id, id) on delete cascade,
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);
  await sql`create unique index announcement_recipients_unsubscribe_idx on announcement_recipients (merchant_id, unsubscribe_hash) where unsubscribe_hash is not null`.execute(db);

  for (const t of TENANT_TABLES) {
    await sql`grant select, insert, update, delete on ${sql.table(t)} to perennial_app`.execute(db);
    await sql`alter table ${sql.table(t)} enable row level security`.execute(db);
    await sql`
      create policy tenant_isolation on ${sql.table(t)}
        using (merchant_id = current_setting('app.merchant_id', true))
        with check (merchant_id = current_setting('app.merchant_id', true))`.execute(db);
  }
  // Claims and grants are history: the application never removes them (a claim row is written first, to serialize
  // a member's concurrent claims, and completed with the redemption in the same transaction).
  await sql`revoke delete on offer_claims from perennial_app`.execute(db);
  await sql`revoke update, delete on gift_grants from perennial_app`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [...TENANT_TABLES].reverse()) await sql`drop table if exists ${sql.table(t)} cascade`.execute(db);
}
