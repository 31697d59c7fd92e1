import { sql, type Kysely } from "kysely";

/**
 * Issue 16 §4: per-member intervals stored with the scores, and two CLTV settings. Frozen in time: never import app code.
 *
 *  member_stats.*_low / *_high           90% intervals (parametric bootstrap over the fit's parameter covariance) on
 *                                        12-month expected purchases, P(alive) and 12-month CLTV; null when the fit
 *                                        has no usable covariance (a ridge) or before the first run that stores them.
 *  cltv_settings.penalizer_coef          lifetimes' L2 penalizer on the log-parameters (0 = plain maximum likelihood).
 *  cltv_settings.discrete_period_days    null: purchases can happen at any time (BG/NBD, MBG/NBD, Pareto/NBD, chosen by
 *                                        holdout error). A number of days: purchase opportunities are discrete, one per
 *                                        period (a yearly appeal, a weekly event), and BG/BB scores the members.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table member_stats
    add column predicted_purchases_12m_low double precision, add column predicted_purchases_12m_high double precision,
    add column p_alive_low double precision, add column p_alive_high double precision,
    add column cltv_12m_low_minor bigint, add column cltv_12m_high_minor bigint`.execute(db);
  await sql`alter table cltv_settings
    add column penalizer_coef double precision not null default 0 check (penalizer_coef >= 0 and penalizer_coef <= 10),
    add column discrete_period_days integer check (discrete_period_days between 1 and 3660)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table cltv_settings drop column discrete_period_days, drop column penalizer_coef`.execute(db);
  await sql`alter table member_stats
    drop column cltv_12m_high_minor, drop column cltv_12m_low_minor, drop column p_alive_high, drop column p_alive_low,
    drop column predicted_purchases_12m_high, drop column predicted_purchases_12m_low`.execute(db);
}
