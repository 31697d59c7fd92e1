import { sql, type Kysely } from "kysely";

/**
 * Shared ground for issues 4 (tiers, rewards, offers), 5 (referrals) and 6 (CLTV, incrementality).
 * Frozen in time: never import app code here.
 *
 *  member_stats            one row per member with orders or model scores: what the segment engine filters on and
 *                          the CLTV model writes to. The order columns are kept by triggers on `orders`, so every
 *                          order path (API, Stripe, import, seed) keeps them right in the same transaction.
 *  experiments             a randomized (or externally assigned) comparison: the loyalty program as a whole, the
 *                          referral program, an offer campaign, a surprise gift, or a custom experiment.
 *  experiment_arms         its arms; exactly one is the control.
 *  experiment_assignments  who is in which arm. Sticky: written once, never updated (append-only for the app).
 *  experiment_events       eligibility, exposure (seen / e-mailed), claims and joins per member, first and last time.
 *  referral_codes          each member's share code (unique per merchant, random, readable).
 *  referral_edges          the attribution forest as an adjacency list: one referrer per member (the primary key)
 *                          and the member's depth. How ancestors and subtrees are queried fast (a materialized path
 *                          is quadratic on a 10,000-deep chain: an ltree path there needs 1.7 GB and overflows the
 *                          stack) is the Referrals issue's to add, in its own migration.
 */
const TENANT_TABLES = [
  "member_stats",
  "experiments",
  "experiment_arms",
  "experiment_assignments",
  "experiment_events",
  "referral_codes",
  "referral_edges",
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  // ---- member statistics ------------------------------------------------------------------------
  await sql`
    create table member_stats (
      merchant_id text not null references merchants(id) on delete cascade,
      member_id text not null,
      order_count integer not null default 0 check (order_count >= 0),
      -- Net of refunds, in the merchant's currency minor units.
      lifetime_spend_minor bigint not null default 0,
      first_order_at timestamptz,
      last_order_at timestamptz,
      referral_count integer not null default 0 check (referral_count >= 0),
      -- Written by the CLTV scoring job (issue 6); null until a model has scored the member.
      predicted_purchases_12m double precision,
      p_alive double precision check (p_alive between 0 and 1),
      expected_order_minor bigint,
      cltv_12m_minor bigint,
      cltv_24m_minor bigint,
      cltv_36m_minor bigint,
      -- 0..100: the share of scored members with a lower 12-month CLTV.
      cltv_percentile real check (cltv_percentile between 0 and 100),
      value_segment text check (value_segment in ('top','middle','bottom')),
      at_risk boolean,
      cltv_model_id text,
      scored_at timestamptz,
      updated_at timestamptz not null default now(),
      primary key (merchant_id, member_id),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);
  await sql`create index member_stats_spend_idx on member_stats (merchant_id, lifetime_spend_minor)`.execute(db);
  await sql`create index member_stats_last_order_idx on member_stats (merchant_id, last_order_at)`.execute(db);
  await sql`create index member_stats_percentile_idx on member_stats (merchant_id, cltv_percentile)`.execute(db);

  // Order columns follow the orders table. SECURITY INVOKER: runs under the caller's RLS, which already scopes the
  // order's merchant. One upsert per order row locks just that member's stats row.
  await sql`
    create function member_stats_on_order() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into member_stats as s (merchant_id, member_id, order_count, lifetime_spend_minor, first_order_at, last_order_at)
        values (new.merchant_id, new.member_id, 1, new.amount_minor - new.refunded_minor, new.occurred_at, new.occurred_at)
        on conflict (merchant_id, member_id) do update set
          order_count = s.order_count + 1,
          lifetime_spend_minor = s.lifetime_spend_minor + excluded.lifetime_spend_minor,
          first_order_at = least(s.first_order_at, excluded.first_order_at),
          last_order_at = greatest(s.last_order_at, excluded.last_order_at),
          updated_at = now();
      elsif tg_op = 'UPDATE' then
        if (new.amount_minor - new.refunded_minor) <> (old.amount_minor - old.refunded_minor) then
          update member_stats set
            lifetime_spend_minor = lifetime_spend_minor + (new.amount_minor - new.refunded_minor) - (old.amount_minor - old.refunded_minor),
            updated_at = now()
          where merchant_id = new.merchant_id and member_id = new.member_id;
        end if;
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger orders_member_stats after insert or update of amount_minor, refunded_minor on orders
    for each row execute function member_stats_on_order()`.execute(db);
  // Existing orders (databases migrated after the Points issue landed).
  await sql`
    insert into member_stats (merchant_id, member_id, order_count, lifetime_spend_minor, first_order_at, last_order_at)
    select merchant_id, member_id, count(*), sum(amount_minor - refunded_minor), min(occurred_at), max(occurred_at)
    from orders group by merchant_id, member_id`.execute(db);

  // ---- experiments --------------------------------------------------------------------------------
  await sql`
    create table experiments (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      kind text not null check (kind in ('loyalty_program','referral_program','offer','surprise_gift','custom')),
      -- The offer / gift this experiment belongs to (null for the programs and custom experiments).
      subject_id text check (length(subject_id) <= 100),
      name text not null check (length(name) between 1 and 200),
      -- random: Perennial draws each member's arm; external: arms come from a CSV (npm run cli -- import assignments).
      assignment text not null default 'random' check (assignment in ('random','external')),
      -- Share of members held out (control) for random assignment, in basis points (1000 = 10%).
      holdout_bps integer not null default 1000 check (holdout_bps between 0 and 5000),
      status text not null default 'active' check (status in ('active','stopped')),
      created_by text,
      created_at timestamptz not null default now(),
      stopped_at timestamptz,
      primary key (merchant_id, id)
    )`.execute(db);
  // One experiment per program per merchant; one per offer or gift.
  await sql`create unique index experiments_program_key on experiments (merchant_id, kind) where kind in ('loyalty_program','referral_program')`.execute(db);
  await sql`create unique index experiments_subject_key on experiments (merchant_id, kind, subject_id) where subject_id is not null`.execute(db);

  await sql`
    create table experiment_arms (
      merchant_id text not null,
      experiment_id text not null,
      arm text not null check (arm ~ '^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,59}$'),
      is_control boolean not null default false,
      primary key (merchant_id, experiment_id, arm),
      foreign key (merchant_id, experiment_id) references experiments (merchant_id, id) on delete cascade
    )`.execute(db);
  await sql`create unique index experiment_arms_one_control on experiment_arms (merchant_id, experiment_id) where is_control`.execute(db);

  await sql`
    create table experiment_assignments (
      merchant_id text not null,
      experiment_id text not null,
      member_id text not null,
      arm text not null,
      source text not null check (source in ('random','external')),
      assigned_at timestamptz not null default now(),
      primary key (merchant_id, experiment_id, member_id),
      foreign key (merchant_id, experiment_id, arm) references experiment_arms (merchant_id, experiment_id, arm) on delete cascade,
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);
  await sql`create index experiment_assignments_arm_idx on experiment_assignments (merchant_id, experiment_id, arm)`.execute(db);
  await sql`create index experiment_assignments_member_idx on experiment_assignments (merchant_id, member_id)`.execute(db);

  await sql`
    create table experiment_events (
      merchant_id text not null,
      experiment_id text not null,
      member_id text not null,
      kind text not null check (kind in ('eligible','seen','emailed','claimed','joined')),
      first_at timestamptz not null default now(),
      last_at timestamptz not null default now(),
      count integer not null default 1 check (count >= 1),
      primary key (merchant_id, experiment_id, member_id, kind),
      foreign key (merchant_id, experiment_id) references experiments (merchant_id, id) on delete cascade,
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);

  // Sticky assignment: even the owner cannot rewrite who was in which arm (deleting a whole experiment cascades).
  await sql`
    create function experiment_assignment_immutable() returns trigger language plpgsql as $$
    begin
      raise exception 'experiment assignments are sticky: % is not allowed', tg_op using errcode = 'restrict_violation';
    end $$`.execute(db);
  await sql`create trigger experiment_assignments_sticky before update on experiment_assignments
    for each row execute function experiment_assignment_immutable()`.execute(db);

  // ---- referral graph -----------------------------------------------------------------------------
  await sql`
    create table referral_codes (
      merchant_id text not null,
      member_id text not null,
      -- Short and readable (no 0/O/1/I/L), random, case-insensitive.
      code citext not null check (code ~ '^[A-Za-z0-9]{4,16}$'),
      created_at timestamptz not null default now(),
      primary key (merchant_id, member_id),
      unique (merchant_id, code),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);

  await sql`
    create table referral_edges (
      merchant_id text not null,
      -- The referred member (each member has at most one referrer: the primary key).
      member_id text not null,
      referrer_id text not null check (referrer_id <> member_id),
      -- 1 for a member referred by a root, the referrer's depth + 1 below that.
      depth integer not null check (depth >= 1),
      via text not null check (via in ('cookie','code','api','stripe','staff')),
      created_at timestamptz not null default now(),
      primary key (merchant_id, member_id),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade,
      foreign key (merchant_id, referrer_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);
  await sql`create index referral_edges_referrer_idx on referral_edges (merchant_id, referrer_id)`.execute(db);
  // Keeps member_stats.referral_count (direct referrals) for the segment engine.
  await sql`
    create function member_stats_on_referral() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into member_stats as s (merchant_id, member_id, referral_count) values (new.merchant_id, new.referrer_id, 1)
        on conflict (merchant_id, member_id) do update set referral_count = s.referral_count + 1, updated_at = now();
      elsif tg_op = 'DELETE' or new.referrer_id <> old.referrer_id then
        update member_stats set referral_count = referral_count - 1, updated_at = now()
          where merchant_id = old.merchant_id and member_id = old.referrer_id;
        if tg_op = 'UPDATE' then
          insert into member_stats as s (merchant_id, member_id, referral_count) values (new.merchant_id, new.referrer_id, 1)
          on conflict (merchant_id, member_id) do update set referral_count = s.referral_count + 1, updated_at = now();
        end if;
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger referral_edges_member_stats after insert or update of referrer_id or delete on referral_edges
    for each row execute function member_stats_on_referral()`.execute(db);

  // ---- privileges and row level security -----------------------------------------------------------
  for (const t of TENANT_TABLES) {
    await sql`grant select, insert, update, delete on ${sql.table(t)} to perennial_app`.execute(db);
    await sql`alter table ${sql.table(t)} enable row level security`.execute(db);
    await sql`
      create policy tenant_isolation on ${sql.table(t)}
        using (merchant_id = current_setting('app.merchant_id', true))
        with check (merchant_id = current_setting('app.merchant_id', true))`.execute(db);
  }
  await sql`revoke update, delete on experiment_assignments from perennial_app`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger if exists orders_member_stats on orders`.execute(db);
  for (const t of [...TENANT_TABLES].reverse()) await sql`drop table if exists ${sql.table(t)} cascade`.execute(db);
  await sql`drop function if exists member_stats_on_order()`.execute(db);
  await sql`drop function if exists member_stats_on_referral()`.execute(db);
  await sql`drop function if exists experiment_assignment_immutable()`.execute(db);
}
