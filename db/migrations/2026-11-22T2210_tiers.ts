import { sql, type Kysely } from "kysely";

/**
 * Membership tiers (issue 4). Frozen in time: never import app code here.
 *
 *  tier_settings       per merchant: what qualifies (points earned or qualifying spend), the window (rolling 12 months,
 *                      calendar year in the merchant's zone, lifetime), the grace period and how far a downgrade may go.
 *  tiers               the ladder: rank 1 is the lowest; thresholds strictly increase with rank (checked by the app,
 *                      ranks unique here).
 *  member_tiers        each evaluated member's state: the tier they earned and until when it is kept (valid_until),
 *                      an optional staff pin (a floor until a date), and the effective tier (the higher of the two).
 *  tier_history        append-only: every change of a member's effective tier, and every pin / unpin.
 *  tier_notifications  what the tier e-mails told each member (dedupe: one "at risk" per member per period).
 *  tier_jobs           background re-evaluations after a definition change, with progress for the admin page.
 */
const TENANT_TABLES = ["tier_settings", "tiers", "member_tiers", "tier_history", "tier_notifications", "tier_jobs"] as const;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table tier_settings (
      merchant_id text primary key references merchants(id) on delete cascade,
      basis text not null default 'spend' check (basis in ('points','spend')),
      "window" text not null default 'calendar_year' check ("window" in ('rolling_12m','calendar_year','lifetime')),
      grace_days integer not null default 0 check (grace_days between 0 and 90),
      downgrade text not null default 'one_step' check (downgrade in ('one_step','to_qualified')),
      updated_at timestamptz not null default now(),
      updated_by text
    )`.execute(db);

  await sql`
    create table tiers (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      name text not null check (length(name) between 1 and 60),
      rank integer not null check (rank between 1 and 20),
      -- Points, or minor units of the merchant's currency, per tier_settings.basis.
      threshold bigint not null check (threshold >= 0),
      earning_percent integer not null default 100 check (earning_percent between 100 and 1000),
      exclusive_access boolean not null default false,
      birthday_bonus integer not null default 0 check (birthday_bonus between 0 and 1000000),
      perks text not null default '' check (length(perks) <= 2000),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (merchant_id, id),
      unique (merchant_id, rank) deferrable initially deferred
    )`.execute(db);
  await sql`create unique index tiers_name_key on tiers (merchant_id, lower(name))`.execute(db);

  await sql`
    create table member_tiers (
      merchant_id text not null,
      member_id text not null,
      -- The tier the member holds now (what the portal, API, multiplier and exclusive rewards use).
      tier_id text,
      -- The tier earned by qualifying, and until when it is kept without qualifying again (null: no end).
      earned_tier_id text,
      valid_until timestamptz,
      pin_tier_id text,
      pin_until timestamptz,
      pin_reason text check (length(pin_reason) <= 500),
      pinned_by text,
      since timestamptz,
      evaluated_at timestamptz,
      updated_at timestamptz not null default now(),
      primary key (merchant_id, member_id),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade,
      check ((pin_tier_id is null) = (pin_until is null))
    )`.execute(db);
  await sql`create index member_tiers_tier_idx on member_tiers (merchant_id, tier_id)`.execute(db);

  await sql`
    create table tier_history (
      merchant_id text not null,
      id text not null,
      member_id text not null,
      -- Names are copied so the history reads right after a tier is renamed or removed.
      from_tier_id text,
      from_name text,
      to_tier_id text,
      to_name text,
      reason text not null check (reason in ('upgrade','downgrade','pin','unpin','definition_change')),
      note text check (length(note) <= 500),
      actor_type text not null check (actor_type in ('staff','member','api_key','system')),
      actor_id text,
      at timestamptz not null,
      created_at timestamptz not null default now(),
      primary key (merchant_id, id),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);
  await sql`create index tier_history_member_idx on tier_history (merchant_id, member_id, at desc)`.execute(db);

  await sql`
    create table tier_notifications (
      merchant_id text not null,
      member_id text not null,
      kind text not null check (kind in ('reached','at_risk')),
      dedupe_key text not null check (length(dedupe_key) between 1 and 200),
      email_id text not null,
      created_at timestamptz not null default now(),
      primary key (merchant_id, member_id, kind, dedupe_key),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);

  await sql`
    create table tier_jobs (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      status text not null default 'queued' check (status in ('queued','running','done','failed')),
      total integer not null default 0 check (total >= 0),
      done integer not null default 0 check (done >= 0),
      changed integer not null default 0 check (changed >= 0),
      failed integer not null default 0 check (failed >= 0),
      created_by text,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz,
      primary key (merchant_id, id)
    )`.execute(db);
  await sql`create index tier_jobs_recent_idx on tier_jobs (merchant_id, created_at desc)`.execute(db);

  // History is evidence (staff pins are audited through it too): the application may only append.
  await sql`
    create function tier_history_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'tier history is append-only: % is not allowed', tg_op using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  await sql`create trigger tier_history_append_only before update on tier_history
    for each row execute function tier_history_append_only()`.execute(db);

  for (const t of TENANT_TABLES) {
    await sql`grant select, insert, update, delete on ${sql.table(t)} to perennial_app`.execute(db);
    await sql`alter table ${sql.table(t)} enable row level security`.execute(db);
    await sql`
      create policy tenant_isolation on ${sql.table(t)}
        using (merchant_id = current_setting('app.merchant_id', true))
        with check (merchant_id = current_setting('app.merchant_id', true))`.execute(db);
  }
  // Deleting a member cascades (GDPR erasure); the application itself never rewrites history.
  await sql`revoke update, delete on tier_history from perennial_app`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [...TENANT_TABLES].reverse()) await sql`drop table if exists ${sql.table(t)} cascade`.execute(db);
  await sql`drop function if exists tier_history_append_only()`.execute(db);
}
