import { sql, type Kysely } from "kysely";

/**
 * What the points e-mails already told each member, so the scheduled jobs that send them are safe to run twice,
 * concurrently, or after a crash between sending and recording. Frozen in time: never import app code here.
 *
 * One row per e-mail, written in the same transaction as the outbox row (app/domain/email/outbox.server.ts), so a
 * row exists exactly when the e-mail was queued. The primary key is the dedupe: a second run inserts nothing.
 *   expiring_soon  dedupe_key = what the e-mail announced (the last expiry instant covered, or the inactivity
 *                  deadline); through_at = the latest expiry instant the e-mail mentioned.
 *   earned_digest  dedupe_key = the last journal included; through_at / through_journal_id = that journal's
 *                  (created_at, id), the cursor the next digest starts after.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table points_notifications (
      merchant_id text not null references merchants(id) on delete cascade,
      member_id text not null,
      kind text not null check (kind in ('expiring_soon', 'earned_digest')),
      dedupe_key text not null check (length(dedupe_key) between 1 and 200),
      points bigint not null check (points >= 0),
      through_at timestamptz not null,
      through_journal_id text,
      email_id text not null,
      created_at timestamptz not null default now(),
      primary key (merchant_id, member_id, kind, dedupe_key),
      foreign key (merchant_id, member_id) references members (merchant_id, id) on delete cascade,
      foreign key (merchant_id, through_journal_id) references ledger_journals (merchant_id, id)
    )`.execute(db);
  // The latest notice of a kind per member (the digest's cursor, the expiry notices already sent).
  await sql`create index points_notifications_latest_idx on points_notifications (merchant_id, member_id, kind, through_at desc)`.execute(db);

  // Append-only for the application: a notice, once recorded, is history.
  await sql`grant select, insert on points_notifications to perennial_app`.execute(db);
  await sql`alter table points_notifications enable row level security`.execute(db);
  await sql`
    create policy tenant_isolation on points_notifications
      using (merchant_id = current_setting('app.merchant_id', true))
      with check (merchant_id = current_setting('app.merchant_id', true))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists points_notifications`.execute(db);
}
