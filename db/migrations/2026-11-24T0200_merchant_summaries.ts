import { sql, type Kysely } from "kysely";

/**
 * Maintained summaries for the pages that aggregate a whole merchant (issue 14, target 2): the dashboard, the CLTV
 * page and the incrementality reports read one small row here instead of scanning members, orders or per-member
 * facts, so their cost does not grow with the merchant. Frozen in time: never import app code here.
 *
 *  dashboard_summaries   one row per merchant: member and order counts of the dashboard as of computed_at.
 *  cltv_summaries        one row per merchant: the CLTV page's aggregates (orders for the classic formulas, the
 *                        current model's score distribution and segments) as of computed_at, for model_id.
 *  experiment_summaries  one row per experiment × report window (window_days 0: everything since assignment):
 *                        the per-arm sufficient statistics (n, sums, sums of squares and cross products) and the
 *                        charts' per-arm × month sums, from which the report's statistics are computed on read.
 *
 * Written by the summaries job (app/jobs/tasks/summaries.ts) on a schedule, by CLTV scoring, by the pages' staff
 * "Refresh now" action and by a page that finds no summary (or one computed under other settings). `basis` holds what
 * the figures were computed under (currency, time zone, margin, point value, model, arms …): a row whose basis
 * differs from the current settings is not used. No trigger writes here: a row per merchant updated by every order
 * would serialise a merchant's orders.
 */
const TENANT_TABLES = ["dashboard_summaries", "cltv_summaries", "experiment_summaries"] as const;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table dashboard_summaries (
      merchant_id text primary key references merchants(id) on delete cascade,
      computed_at timestamptz not null,
      basis jsonb not null,
      data jsonb not null
    )`.execute(db);
  await sql`
    create table cltv_summaries (
      merchant_id text primary key references merchants(id) on delete cascade,
      computed_at timestamptz not null,
      basis jsonb not null,
      data jsonb not null
    )`.execute(db);
  await sql`
    create table experiment_summaries (
      merchant_id text not null,
      experiment_id text not null,
      -- The report's window after assignment in days; 0 = everything since assignment (the default).
      window_days integer not null check (window_days between 0 and 3650),
      computed_at timestamptz not null,
      basis jsonb not null,
      -- Per arm: n, sums, sums of squares and cross products (the report's ArmRow).
      arms jsonb not null,
      -- The charts' inputs: complete months per arm, per arm × month sums, the value distribution.
      series jsonb not null,
      -- Referral program experiments: the friend holdout's section; null otherwise.
      referral jsonb,
      primary key (merchant_id, experiment_id, window_days),
      foreign key (merchant_id, experiment_id) references experiments (merchant_id, id) on delete cascade
    )`.execute(db);

  for (const t of TENANT_TABLES) {
    await sql`grant select, insert, update, delete on ${sql.table(t)} to perennial_app`.execute(db);
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
