import { sql, type Kysely } from "kysely";

/**
 * Maintained summaries of the program stats pages (issue 14, target 2): the tiers page's members per tier, the
 * program page's ledger sums and monthly flow, an offer's (or gift's) arm and event counts, the referrals page's
 * weekly funnel and top referrers. Like the merchant summaries (2026-11-24T0200_merchant_summaries), a page reads
 * one small row instead of aggregating members, ledger entries or assignments, so its cost does not grow with the
 * merchant. Frozen in time: never import app code here.
 *
 *  program_summaries  one row per merchant × page (`page`), and per subject where a page has several (`subject_id`:
 *                     the experiment of an offer or gift; '' otherwise). `basis` holds what the figures were computed
 *                     under (time zone, tier ids, …): a row whose basis differs from the current settings is not used.
 *
 * Written by the summaries job (app/jobs/tasks/summaries.ts), the pages' staff "Refresh now" and a page that finds no
 * usable row. No trigger writes here: a row per merchant updated by every order would serialise a merchant's orders.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table program_summaries (
      merchant_id text not null references merchants(id) on delete cascade,
      page text not null check (page in ('tiers', 'points', 'offer', 'referrals')),
      subject_id text not null default '',
      computed_at timestamptz not null,
      basis jsonb not null,
      data jsonb not null,
      primary key (merchant_id, page, subject_id)
    )`.execute(db);
  await sql`grant select, insert, update, delete on program_summaries to perennial_app`.execute(db);
  await sql`alter table program_summaries enable row level security`.execute(db);
  await sql`
    create policy tenant_isolation on program_summaries
      using (merchant_id = current_setting('app.merchant_id', true))
      with check (merchant_id = current_setting('app.merchant_id', true))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists program_summaries cascade`.execute(db);
}
