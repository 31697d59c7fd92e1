import { sql, type Kysely } from "kysely";

/**
 * Foundation schema. Frozen in time: never import app code here, never edit after it has shipped.
 *
 * Layout rules (Citus-ready, distribution column merchant_id):
 *  - every tenant table has merchant_id first in its primary key, unique constraints and foreign keys;
 *  - Row Level Security on every tenant table, keyed by the transaction-local setting app.merchant_id;
 *  - the application runs as role perennial_app, which owns nothing and cannot bypass RLS.
 */

const TENANT_TABLES = [
  "merchant_staff",
  "staff_invitations",
  "members",
  "member_sessions",
  "member_password_resets",
  "api_keys",
  "audit_log",
  "email_outbox",
  "idempotency_keys",
  "orders",
] as const;

const GLOBAL_TABLES = [
  "merchants",
  "staff_users",
  "staff_sessions",
  "staff_password_resets",
  "login_throttle",
  "platform_email_outbox",
] as const;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create extension if not exists citext`.execute(db);
  await sql`create extension if not exists pg_trgm`.execute(db);

  // The application role. Created once per cluster; the migrating user must be a member so the app can switch to it.
  // A non-superuser owner without CREATEROLE needs a DBA to run these two statements first (README: production).
  await sql`
    do $$ begin
      if not exists (select 1 from pg_roles where rolname = 'perennial_app') then
        create role perennial_app nologin nosuperuser nocreatedb nocreaterole nobypassrls;
      end if;
      if not pg_has_role(current_user, 'perennial_app', 'member') then
        execute format('grant perennial_app to %I', current_user);
      end if;
    end $$`.execute(db);
  await sql`grant usage on schema public to perennial_app`.execute(db);

  // ---- global tables -------------------------------------------------------------------------
  await sql`
    create table merchants (
      id text primary key,
      slug text not null unique check (slug ~ '^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$'),
      name text not null check (length(name) between 1 and 120),
      currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
      timezone text not null,
      settings jsonb not null default '{}'::jsonb,
      created_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table staff_users (
      id text primary key,
      email citext not null unique check (length(email) <= 254),
      name text not null check (length(name) between 1 and 120),
      password_hash text not null,
      created_at timestamptz not null default now(),
      password_changed_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table staff_sessions (
      id text primary key,
      staff_user_id text not null references staff_users(id) on delete cascade,
      secret_hash bytea not null,
      created_at timestamptz not null default now(),
      last_verified_at timestamptz not null default now(),
      expires_at timestamptz not null,
      ip text,
      user_agent text
    )`.execute(db);
  await sql`create index staff_sessions_user_idx on staff_sessions (staff_user_id)`.execute(db);

  await sql`
    create table staff_password_resets (
      id text primary key,
      staff_user_id text not null references staff_users(id) on delete cascade,
      token_hash bytea not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      used_at timestamptz
    )`.execute(db);

  // Keyed by a scope string (e.g. 'staff:<email>' or 'member:<merchant>:<email>') so unknown accounts are
  // throttled exactly like known ones and the response cannot reveal which e-mails exist.
  await sql`
    create table login_throttle (
      key text primary key,
      failures integer not null default 0,
      next_allowed_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);

  // E-mails that belong to no merchant (staff password resets).
  await sql`
    create table platform_email_outbox (
      id text primary key,
      template text not null,
      to_address text not null,
      subject text not null,
      html text not null,
      text_body text not null,
      status text not null default 'pending' check (status in ('pending','sent','failed','kept')),
      attempts integer not null default 0,
      last_error text,
      created_at timestamptz not null default now(),
      sent_at timestamptz
    )`.execute(db);

  // ---- tenant tables -------------------------------------------------------------------------
  await sql`
    create table merchant_staff (
      merchant_id text not null references merchants(id) on delete cascade,
      staff_user_id text not null references staff_users(id) on delete cascade,
      role text not null check (role in ('owner','admin','analyst')),
      created_at timestamptz not null default now(),
      primary key (merchant_id, staff_user_id)
    )`.execute(db);
  await sql`create index merchant_staff_user_idx on merchant_staff (staff_user_id)`.execute(db);

  await sql`
    create table staff_invitations (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      email citext not null check (length(email) <= 254),
      role text not null check (role in ('owner','admin','analyst')),
      token_hash bytea not null,
      invited_by text references staff_users(id) on delete set null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      accepted_at timestamptz,
      revoked_at timestamptz,
      primary key (merchant_id, id)
    )`.execute(db);

  await sql`
    create table members (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      email citext not null check (length(email) <= 254),
      external_id text check (length(external_id) <= 200),
      name text check (length(name) <= 120),
      birthday date,
      status text not null default 'active' check (status in ('active','blocked','deleted')),
      password_hash text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      password_changed_at timestamptz,
      primary key (merchant_id, id),
      unique (merchant_id, email)
    )`.execute(db);
  await sql`create unique index members_external_id_key on members (merchant_id, external_id) where external_id is not null`.execute(db);
  // Keyset pagination (newest first) and trigram search stay fast at 100k+ members per merchant.
  await sql`create index members_created_idx on members (merchant_id, created_at desc, id desc)`.execute(db);
  await sql`create index members_search_trgm on members using gin ((email::text || ' ' || coalesce(name, '') || ' ' || coalesce(external_id, '')) gin_trgm_ops)`.execute(db);

  await sql`
    create table member_sessions (
      merchant_id text not null,
      id text not null,
      member_id text not null,
      secret_hash bytea not null,
      created_at timestamptz not null default now(),
      last_verified_at timestamptz not null default now(),
      expires_at timestamptz not null,
      ip text,
      user_agent text,
      primary key (merchant_id, id),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);
  await sql`create index member_sessions_member_idx on member_sessions (merchant_id, member_id)`.execute(db);

  await sql`
    create table member_password_resets (
      merchant_id text not null,
      id text not null,
      member_id text not null,
      token_hash bytea not null,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      used_at timestamptz,
      primary key (merchant_id, id),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);

  await sql`
    create table api_keys (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      name text not null check (length(name) between 1 and 80),
      token_prefix text not null,
      secret_hash bytea not null,
      scopes text[] not null default '{}',
      created_by text references staff_users(id) on delete set null,
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      revoked_at timestamptz,
      primary key (merchant_id, id)
    )`.execute(db);

  await sql`
    create table audit_log (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      actor_type text not null check (actor_type in ('staff','member','api_key','system')),
      actor_id text,
      action text not null,
      target_type text,
      target_id text,
      before jsonb,
      after jsonb,
      ip text,
      created_at timestamptz not null default now(),
      primary key (merchant_id, id)
    )`.execute(db);
  await sql`create index audit_log_created_idx on audit_log (merchant_id, created_at desc)`.execute(db);

  await sql`
    create table email_outbox (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      template text not null,
      to_address text not null,
      subject text not null,
      html text not null,
      text_body text not null,
      status text not null default 'pending' check (status in ('pending','sent','failed','kept')),
      attempts integer not null default 0,
      last_error text,
      created_at timestamptz not null default now(),
      sent_at timestamptz,
      primary key (merchant_id, id)
    )`.execute(db);
  await sql`create index email_outbox_created_idx on email_outbox (merchant_id, created_at desc)`.execute(db);

  // Same key + same request → first response; same key + different request → 409.
  await sql`
    create table idempotency_keys (
      merchant_id text not null references merchants(id) on delete cascade,
      key text not null check (length(key) between 1 and 255),
      method text not null,
      path text not null,
      request_hash text not null,
      response_status integer,
      response_body jsonb,
      created_at timestamptz not null default now(),
      primary key (merchant_id, key)
    )`.execute(db);

  // Orders: the purchase stream every later capability reads (points, tiers, CLTV). Amounts in minor units.
  await sql`
    create table orders (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      member_id text not null,
      source text not null check (source in ('api','stripe','import','seed')),
      external_order_id text not null check (length(external_order_id) <= 200),
      amount_minor bigint not null check (amount_minor >= 0),
      currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
      occurred_at timestamptz not null,
      created_at timestamptz not null default now(),
      primary key (merchant_id, id),
      unique (merchant_id, source, external_order_id),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade
    )`.execute(db);
  await sql`create index orders_member_idx on orders (merchant_id, member_id, occurred_at)`.execute(db);

  // ---- privileges and row level security ---------------------------------------------------------
  for (const t of [...GLOBAL_TABLES, ...TENANT_TABLES]) {
    await sql`grant select, insert, update, delete on ${sql.table(t)} to perennial_app`.execute(db);
  }
  // The audit log is append-only for the application.
  await sql`revoke update, delete on audit_log from perennial_app`.execute(db);

  for (const t of TENANT_TABLES) {
    // Not FORCEd: the owner (the migrating user) is exempt, which the SECURITY DEFINER doors below rely on when the
    // owner is not a superuser. The app never runs as the owner, so RLS always applies to it.
    await sql`alter table ${sql.table(t)} enable row level security`.execute(db);
    await sql`
      create policy tenant_isolation on ${sql.table(t)}
        using (merchant_id = current_setting('app.merchant_id', true))
        with check (merchant_id = current_setting('app.merchant_id', true))`.execute(db);
  }

  // Narrow, audited doors through RLS for the few lookups that must happen before a tenant is known.
  // SECURITY DEFINER runs as the owner; each returns only what authentication needs. pg_temp goes last so a
  // temporary table cannot shadow a real one inside the function.
  await sql`
    create function auth_api_key_lookup(p_key_id text)
    returns table (merchant_id text, secret_hash bytea, scopes text[], revoked_at timestamptz)
    language sql stable security definer set search_path = public, pg_temp as $$
      select merchant_id, secret_hash, scopes, revoked_at from api_keys where id = p_key_id
    $$`.execute(db);
  await sql`
    create function auth_staff_memberships(p_staff_user_id text)
    returns table (merchant_id text, role text)
    language sql stable security definer set search_path = public, pg_temp as $$
      select merchant_id, role from merchant_staff where staff_user_id = p_staff_user_id
    $$`.execute(db);
  await sql`
    create function auth_invitation_lookup(p_invitation_id text)
    returns table (merchant_id text)
    language sql stable security definer set search_path = public, pg_temp as $$
      select merchant_id from staff_invitations where id = p_invitation_id
    $$`.execute(db);
  for (const f of ["auth_api_key_lookup(text)", "auth_staff_memberships(text)", "auth_invitation_lookup(text)"]) {
    await sql.raw(`revoke all on function ${f} from public`).execute(db);
    await sql.raw(`grant execute on function ${f} to perennial_app`).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const f of ["auth_api_key_lookup(text)", "auth_staff_memberships(text)", "auth_invitation_lookup(text)"]) {
    await sql.raw(`drop function if exists ${f}`).execute(db);
  }
  for (const t of [...TENANT_TABLES].reverse()) await sql`drop table if exists ${sql.table(t)} cascade`.execute(db);
  for (const t of [...GLOBAL_TABLES].reverse()) await sql`drop table if exists ${sql.table(t)} cascade`.execute(db);
}
