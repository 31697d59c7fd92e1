import { sql, type Kysely } from "kysely";

/**
 * CLTV models (issue 6). Frozen in time: never import app code here.
 *
 *  cltv_models    one row per fit of a merchant's BG/NBD + Gamma-Gamma models: parameters, log-likelihoods, customer
 *                 counts, convergence diagnostics, time unit, calibration window, duration, model version. History is
 *                 kept (append-only for the app); the newest row is the merchant's current model and member_stats
 *                 .cltv_model_id points at the row that scored each member. run_key makes the nightly run idempotent.
 *  cltv_settings  the merchant's economics for CLTV: gross margin, acquisition and retention cost, discount rate.
 */
const TENANT_TABLES = ["cltv_models", "cltv_settings"] as const;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table cltv_models (
      merchant_id text not null references merchants(id) on delete cascade,
      id text not null,
      model_version text not null check (length(model_version) between 1 and 40),
      -- 'nightly:YYYY-MM-DD' for the scheduled run, null for on-demand fits.
      run_key text check (length(run_key) <= 100),
      time_unit text not null check (time_unit in ('day','week')),
      calibration_start date,
      calibration_end date not null,
      currency text not null check (currency ~ '^[A-Z]{3}$'),
      customers integer not null check (customers >= 0),
      repeat_customers integer not null check (repeat_customers >= 0),
      unique_rows integer not null check (unique_rows >= 0),
      bgnbd_r double precision not null,
      bgnbd_alpha double precision not null,
      bgnbd_a double precision not null,
      bgnbd_b double precision not null,
      bgnbd_log_likelihood double precision not null,
      bgnbd_converged boolean not null,
      bgnbd_iterations integer not null,
      -- Null when too few repeat customers with spend; members then get the mean order value.
      gg_p double precision,
      gg_q double precision,
      gg_gamma double precision,
      gg_log_likelihood double precision,
      gg_customers integer,
      gg_converged boolean,
      -- Gradient norms, starts, holdout comparison, the settings used for scoring.
      diagnostics jsonb not null default '{}'::jsonb,
      scored_members integer not null default 0 check (scored_members >= 0),
      duration_ms integer not null check (duration_ms >= 0),
      created_at timestamptz not null default now(),
      primary key (merchant_id, id)
    )`.execute(db);
  await sql`create index cltv_models_latest_idx on cltv_models (merchant_id, created_at desc)`.execute(db);
  await sql`create unique index cltv_models_run_key on cltv_models (merchant_id, run_key) where run_key is not null`.execute(db);

  await sql`
    create table cltv_settings (
      merchant_id text primary key references merchants(id) on delete cascade,
      -- Basis points: 4000 = 40%.
      gross_margin_bps integer not null default 4000 check (gross_margin_bps between 0 and 10000),
      acquisition_cost_minor bigint not null default 0 check (acquisition_cost_minor >= 0),
      retention_cost_minor_per_year bigint not null default 0 check (retention_cost_minor_per_year >= 0),
      annual_discount_rate_bps integer not null default 1000 check (annual_discount_rate_bps between 0 and 10000),
      updated_at timestamptz not null default now(),
      updated_by text
    )`.execute(db);

  for (const t of TENANT_TABLES) {
    await sql`grant select, insert, update, delete on ${sql.table(t)} to perennial_app`.execute(db);
    await sql`alter table ${sql.table(t)} enable row level security`.execute(db);
    await sql`
      create policy tenant_isolation on ${sql.table(t)}
        using (merchant_id = current_setting('app.merchant_id', true))
        with check (merchant_id = current_setting('app.merchant_id', true))`.execute(db);
  }
  // Fit history is kept as it was: the app may add rows, never change or remove them.
  await sql`revoke update, delete on cltv_models from perennial_app`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [...TENANT_TABLES].reverse()) await sql`drop table if exists ${sql.table(t)} cascade`.execute(db);
}
