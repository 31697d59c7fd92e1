import { sql, type Kysely } from "kysely";

/**
 * The points ledger (issue 3): double-entry journals and entries (append-only), earn lots with their allocations,
 * cached member balances, earning rules, order refunds and dispute state, Stripe connection/events/payments and
 * CSV imports.
 *
 * Accounts (ledger_entries.account), signed amounts, every journal sums to zero:
 *   member_available  points the member can spend            (≥ 0)
 *   member_pending    earned, waiting out the return window  (≥ 0)
 *   member_clawback   points owed after a refund of spent points (≤ 0: a debt)
 *   merchant_issued   the source of every point issued; −balance = points issued net of reversals
 *   merchant_redeemed points spent (rewards, checkout discounts, API spends)
 *   merchant_expired  points that expired
 *   merchant_adjusted points removed by a manual negative adjustment
 *   merchant_forgiven clawback debt the merchant wrote off
 */
const NEW_TENANT_TABLES = [
  "earning_rules",
  "ledger_journals",
  "ledger_entries",
  "point_lots",
  "lot_allocations",
  "member_balances",
  "order_refunds",
  "stripe_connections",
  "stripe_events",
  "stripe_payments",
  "imports",
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table earning_rules (
      merchant_id text primary key references merchants(id) on delete cascade,
      rules jsonb not null,
      updated_at timestamptz not null default now(),
      updated_by text
    )`.execute(db);

  await sql`
    create table ledger_journals (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      -- Total order of a merchant's journals (timestamps tie within a millisecond); history and running balances use it.
      seq bigint generated always as identity,
      -- What happened, for people: earn | release | spend | expire | reverse | restore | adjust | forgive
      kind text not null check (kind in ('earn','release','spend','expire','reverse','restore','adjust','forgive')),
      -- Why, for machines: order | refund | dispute | event | signup | first_order | birthday | profile | adjustment | spend | expiry | release | forgive | import
      source text not null check (length(source) between 1 and 40),
      member_id text not null,
      idempotency_key text not null check (length(idempotency_key) between 1 and 300),
      order_id text,
      reverses_journal_id text,
      description text not null check (length(description) <= 500),
      points bigint not null,
      reason text check (length(reason) <= 200),
      note text check (length(note) <= 2000),
      metadata jsonb not null default '{}'::jsonb,
      actor_type text not null check (actor_type in ('staff','member','api_key','system')),
      actor_id text,
      effective_at timestamptz not null,
      created_at timestamptz not null default now(),
      primary key (merchant_id, id),
      unique (merchant_id, idempotency_key),
      foreign key (merchant_id, member_id) references members (merchant_id, id),
      foreign key (merchant_id, order_id) references orders (merchant_id, id),
      foreign key (merchant_id, reverses_journal_id) references ledger_journals (merchant_id, id)
    )`.execute(db);
  await sql`create index ledger_journals_member_idx on ledger_journals (merchant_id, member_id, seq)`.execute(db);
  await sql`create index ledger_journals_order_idx on ledger_journals (merchant_id, order_id) where order_id is not null`.execute(db);

  await sql`
    create table ledger_entries (
      merchant_id text not null,
      journal_id text not null,
      seq smallint not null,
      account text not null check (account in (
        'member_available','member_pending','member_clawback',
        'merchant_issued','merchant_redeemed','merchant_expired','merchant_adjusted','merchant_forgiven')),
      member_id text,
      lot_id text,
      amount bigint not null check (amount <> 0),
      created_at timestamptz not null default now(),
      primary key (merchant_id, journal_id, seq),
      foreign key (merchant_id, journal_id) references ledger_journals (merchant_id, id),
      check ((account like 'member_%') = (member_id is not null))
    )`.execute(db);
  await sql`create index ledger_entries_member_idx on ledger_entries (merchant_id, member_id, account) where member_id is not null`.execute(db);
  await sql`create index ledger_entries_account_idx on ledger_entries (merchant_id, account)`.execute(db);

  await sql`
    create table point_lots (
      merchant_id text not null,
      id text not null,
      member_id text not null,
      journal_id text not null,
      source text not null check (length(source) between 1 and 40),
      order_id text,
      points bigint not null check (points > 0),
      -- Cached breakdown of the lot, kept by the ledger module under the member's balance row lock and checked by
      -- reconciliation against lot_allocations: points = remaining + consumed + expired + reversed.
      remaining bigint not null check (remaining >= 0),
      consumed bigint not null default 0 check (consumed >= 0),
      expired bigint not null default 0 check (expired >= 0),
      reversed bigint not null default 0 check (reversed >= 0),
      earned_at timestamptz not null,
      pending_until timestamptz,
      released_at timestamptz,
      expires_at timestamptz,
      expired_at timestamptz,
      created_at timestamptz not null default now(),
      primary key (merchant_id, id),
      check (points = remaining + consumed + expired + reversed),
      foreign key (merchant_id, member_id) references members (merchant_id, id),
      foreign key (merchant_id, journal_id) references ledger_journals (merchant_id, id),
      foreign key (merchant_id, order_id) references orders (merchant_id, id)
    )`.execute(db);
  // Spending walks a member's open lots oldest first; the jobs look for due releases and expiries.
  await sql`create index point_lots_open_idx on point_lots (merchant_id, member_id, earned_at, id) where remaining > 0`.execute(db);
  await sql`create index point_lots_release_idx on point_lots (pending_until) where released_at is null`.execute(db);
  await sql`create index point_lots_expiry_idx on point_lots (expires_at) where remaining > 0 and expires_at is not null`.execute(db);
  await sql`create index point_lots_order_idx on point_lots (merchant_id, order_id) where order_id is not null`.execute(db);
  await sql`create index point_lots_journal_idx on point_lots (merchant_id, journal_id)`.execute(db);
  await sql`create index point_lots_cap_idx on point_lots (merchant_id, member_id, source, earned_at)`.execute(db);

  await sql`
    create table lot_allocations (
      merchant_id text not null,
      journal_id text not null,
      lot_id text not null,
      -- consume: spent, settled a debt or removed by adjustment; expire; reverse: taken back by a refund/dispute
      -- (split into its remaining/expired/consumed parts); restore: a reinstated dispute gives points back.
      kind text not null check (kind in ('consume','expire','reverse_remaining','reverse_expired','reverse_consumed','restore_remaining','restore_consumed')),
      points bigint not null check (points > 0),
      created_at timestamptz not null default now(),
      primary key (merchant_id, journal_id, lot_id, kind),
      foreign key (merchant_id, journal_id) references ledger_journals (merchant_id, id),
      foreign key (merchant_id, lot_id) references point_lots (merchant_id, id)
    )`.execute(db);
  await sql`create index lot_allocations_lot_idx on lot_allocations (merchant_id, lot_id)`.execute(db);

  await sql`
    create table member_balances (
      merchant_id text not null,
      member_id text not null,
      available bigint not null default 0 check (available >= 0),
      pending bigint not null default 0 check (pending >= 0),
      clawback_debt bigint not null default 0 check (clawback_debt >= 0),
      lifetime_earned bigint not null default 0,
      lifetime_redeemed bigint not null default 0,
      last_activity_at timestamptz,
      updated_at timestamptz not null default now(),
      primary key (merchant_id, member_id),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);

  // ---- orders: refunds and dispute state --------------------------------------------------------------
  await sql`alter table orders add column refunded_minor bigint not null default 0`.execute(db);
  await sql`alter table orders add constraint orders_refunded_range check (refunded_minor >= 0 and refunded_minor <= amount_minor)`.execute(db);
  await sql`alter table orders add column dispute_status text not null default 'none' check (dispute_status in ('none','withdrawn','reinstated'))`.execute(db);
  await sql`alter table orders add column stripe_payment_key text`.execute(db);
  await sql`alter table orders add column card_fingerprint text`.execute(db);
  await sql`create unique index orders_stripe_payment_idx on orders (merchant_id, stripe_payment_key) where stripe_payment_key is not null`.execute(db);

  await sql`
    create table order_refunds (
      merchant_id text not null,
      id text not null,
      order_id text not null,
      external_refund_id text not null check (length(external_refund_id) between 1 and 200),
      amount_minor bigint not null check (amount_minor > 0),
      created_at timestamptz not null default now(),
      primary key (merchant_id, id),
      unique (merchant_id, order_id, external_refund_id),
      foreign key (merchant_id, order_id) references orders (merchant_id, id)
    )`.execute(db);

  // ---- Stripe ----------------------------------------------------------------------------------------
  await sql`
    create table stripe_connections (
      merchant_id text primary key references merchants(id) on delete cascade,
      -- AES-256-GCM ciphertexts (app/lib/crypto.server.ts), never the plain secrets.
      api_key_enc text,
      api_key_hint text,
      webhook_secret_enc text,
      webhook_secret_hint text,
      updated_at timestamptz not null default now(),
      updated_by text
    )`.execute(db);

  await sql`
    create table stripe_events (
      merchant_id text not null references merchants(id) on delete cascade,
      event_id text not null check (length(event_id) between 1 and 255),
      type text not null,
      stripe_created_at timestamptz not null,
      livemode boolean not null default false,
      payload jsonb not null,
      outcome text not null,
      received_via text not null check (received_via in ('webhook','reconcile')),
      received_at timestamptz not null default now(),
      primary key (merchant_id, event_id)
    )`.execute(db);
  await sql`create index stripe_events_received_idx on stripe_events (merchant_id, received_at desc)`.execute(db);

  // One row per Stripe payment (keyed by PaymentIntent, else Charge): refund and dispute facts may arrive before
  // the order itself, so they are kept here and applied when the order exists.
  await sql`
    create table stripe_payments (
      merchant_id text not null references merchants(id) on delete cascade,
      payment_key text not null,
      charge_id text,
      order_id text,
      amount_minor bigint,
      amount_refunded_minor bigint not null default 0 check (amount_refunded_minor >= 0),
      dispute_status text not null default 'none' check (dispute_status in ('none','withdrawn','reinstated')),
      card_fingerprint text,
      customer_email text,
      updated_at timestamptz not null default now(),
      primary key (merchant_id, payment_key)
    )`.execute(db);
  await sql`create index stripe_payments_charge_idx on stripe_payments (merchant_id, charge_id) where charge_id is not null`.execute(db);
  await sql`create index stripe_payments_fingerprint_idx on stripe_payments (merchant_id, card_fingerprint) where card_fingerprint is not null`.execute(db);

  // ---- CSV imports -----------------------------------------------------------------------------------
  await sql`
    create table imports (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      kind text not null check (kind in ('orders')),
      filename text not null check (length(filename) <= 255),
      status text not null default 'queued' check (status in ('queued','running','done','failed')),
      award_points boolean not null default false,
      total_bytes bigint not null default 0,
      processed_bytes bigint not null default 0,
      rows_ok bigint not null default 0,
      rows_duplicate bigint not null default 0,
      rows_failed bigint not null default 0,
      members_created bigint not null default 0,
      errors jsonb not null default '[]'::jsonb,
      failure text,
      created_by text,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz,
      primary key (merchant_id, id)
    )`.execute(db);

  // ---- append-only and balanced -------------------------------------------------------------------------
  await sql`
    create function ledger_forbid_mutation() returns trigger language plpgsql as $$
    begin
      raise exception 'the points ledger is append-only: % on % is not allowed (post a reversing journal instead)', tg_op, tg_table_name
        using errcode = 'insufficient_privilege';
    end $$`.execute(db);
  for (const t of ["ledger_journals", "ledger_entries", "lot_allocations"]) {
    await sql`create trigger ${sql.raw(`${t}_append_only`)} before update or delete on ${sql.table(t)}
      for each row execute function ledger_forbid_mutation()`.execute(db);
    await sql`create trigger ${sql.raw(`${t}_no_truncate`)} before truncate on ${sql.table(t)}
      for each statement execute function ledger_forbid_mutation()`.execute(db);
  }

  // Checked at commit, once per journal touched: a journal whose entries do not sum to zero cannot commit.
  await sql`
    create function ledger_check_balanced() returns trigger language plpgsql as $$
    declare total numeric;
    begin
      select coalesce(sum(amount), 0) into total from ledger_entries
        where merchant_id = new.merchant_id and journal_id = new.journal_id;
      if total <> 0 then
        raise exception 'ledger journal % does not balance (sum %)', new.journal_id, total using errcode = 'check_violation';
      end if;
      return null;
    end $$`.execute(db);
  await sql`
    create constraint trigger ledger_entries_balanced after insert on ledger_entries
      deferrable initially deferred for each row execute function ledger_check_balanced()`.execute(db);

  // ---- privileges and row level security ------------------------------------------------------------
  for (const t of NEW_TENANT_TABLES) {
    await sql`grant select, insert, update, delete on ${sql.table(t)} to perennial_app`.execute(db);
    await sql`alter table ${sql.table(t)} enable row level security`.execute(db);
    await sql`
      create policy tenant_isolation on ${sql.table(t)}
        using (merchant_id = current_setting('app.merchant_id', true))
        with check (merchant_id = current_setting('app.merchant_id', true))`.execute(db);
  }
  // L5: the application may only append to the ledger.
  await sql`revoke update, delete, truncate on ledger_journals, ledger_entries, lot_allocations, stripe_events from perennial_app`.execute(db);

  // Background jobs and the webhook endpoint need to find work before they know the tenant; these doors return
  // only ids, never ledger contents.
  await sql`
    create function ledger_due_lots(p_now timestamptz, p_limit integer)
      returns table (merchant_id text, member_id text, why text)
      language sql stable security definer set search_path = public, pg_temp as $$
        (select distinct l.merchant_id, l.member_id, 'release' from point_lots l
          where l.released_at is null and l.pending_until <= p_now limit p_limit)
        union
        (select distinct l.merchant_id, l.member_id, 'expire' from point_lots l
          where l.remaining > 0 and l.expires_at <= p_now limit p_limit)
    $$`.execute(db);
  await sql`revoke all on function ledger_due_lots(timestamptz, integer) from public`.execute(db);
  await sql`grant execute on function ledger_due_lots(timestamptz, integer) to perennial_app`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("The points ledger migration is not reversible: ledger data is append-only by design.");
}
