import { sql, type Kysely } from "kysely";

/**
 * Login throttling per source (issue 12 §4). Frozen in time: never import app code here.
 *
 *  login_throttle.key       now also '<account key>|ip:<source>' (the account's backoff for one IPv4 address or
 *                           IPv6 /64) and 'ip:<source>' (that source's budget across all accounts); a bare account
 *                           key remains for attempts with no client address (scripts, tests).
 *  login_throttle.account   the account key of a row (null for a source's budget), so a password reset can clear
 *                           an account's failures from every source with one indexed delete.
 *
 * Idle rows are deleted by the login_throttle_prune job; updated_at is indexed for it. The table stays global (no
 * tenant: staff log in before a merchant is known) and perennial_app's grants from the foundation cover the new
 * column.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table login_throttle add column account text`.execute(db);
  // Every existing row is keyed by an account alone.
  await sql`update login_throttle set account = key`.execute(db);
  await sql`create index login_throttle_account_idx on login_throttle (account) where account is not null`.execute(db);
  await sql`create index login_throttle_updated_idx on login_throttle (updated_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists login_throttle_updated_idx`.execute(db);
  await sql`drop index if exists login_throttle_account_idx`.execute(db);
  await sql`alter table login_throttle drop column if exists account`.execute(db);
}
