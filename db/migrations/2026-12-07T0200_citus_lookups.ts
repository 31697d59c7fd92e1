import { sql, type Kysely } from "kysely";

/**
 * Lookups before the merchant is known, made single-node on Citus (issue 15; docs/scale-out.md, "Lookups before the
 * merchant is known"). Frozen in time: never import app code here.
 *
 *  api_key_directory   key id → merchant_id, one row per API key, written by createApiKey in the key's own
 *                      transaction and never updated (revocation and last_used_at stay in api_keys). A Citus
 *                      reference table (db/distribution.ts), so finding a key's merchant is a local read on any
 *                      node; api_keys itself stays distributed, because last_used_at is written while keys are used.
 *                      No foreign key to api_keys: Citus refuses one from a reference table to a distributed table.
 *  auth_api_key_lookup now reads the directory, then api_keys pinned to that merchant: two single-shard statements
 *                      in one call (one round trip, as before). Same signature, so callers do not change.
 *
 * merchant_staff needs no DDL: it becomes a reference table as it is (auth_staff_memberships reads it locally).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table api_key_directory (
      key_id text primary key,
      merchant_id text not null references merchants(id) on delete cascade
    )`.execute(db);
  // Tenant-scoped like every table with a merchant_id: the app inserts its own merchant's rows only; the lookup reads
  // through the SECURITY DEFINER door below.
  await sql`grant select, insert on api_key_directory to perennial_app`.execute(db);
  await sql`alter table api_key_directory enable row level security`.execute(db);
  await sql`
    create policy tenant_isolation on api_key_directory
      using (merchant_id = current_setting('app.merchant_id', true))
      with check (merchant_id = current_setting('app.merchant_id', true))`.execute(db);

  await sql`insert into api_key_directory (key_id, merchant_id) select id, merchant_id from api_keys`.execute(db);

  // PL/pgSQL so the second read is pinned to a variable (a parameter to Citus's router planner), not a subquery.
  // The OUT columns share the tables' column names: every reference is qualified.
  await sql`
    create or replace function auth_api_key_lookup(p_key_id text)
    returns table (merchant_id text, secret_hash bytea, scopes text[], revoked_at timestamptz)
    language plpgsql stable security definer set search_path = public, pg_temp as $$
    declare
      v_merchant_id text;
    begin
      select d.merchant_id into v_merchant_id from api_key_directory d where d.key_id = p_key_id;
      if v_merchant_id is null then
        return;
      end if;
      return query
        select k.merchant_id, k.secret_hash, k.scopes, k.revoked_at from api_keys k
        where k.merchant_id = v_merchant_id and k.id = p_key_id;
    end
    $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    create or replace function auth_api_key_lookup(p_key_id text)
    returns table (merchant_id text, secret_hash bytea, scopes text[], revoked_at timestamptz)
    language sql stable security definer set search_path = public, pg_temp as $$
      select merchant_id, secret_hash, scopes, revoked_at from api_keys where id = p_key_id
    $$`.execute(db);
  await sql`drop table if exists api_key_directory`.execute(db);
}
