import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { getCltvSettings } from "~/domain/cltv/settings.server";
import { now } from "~/lib/clock.server";
import { NEVER_STARTED_STATUSES } from "./plan";
import { buildSubscriptionReport, type LifeRow, type MonthRow, type SubscriptionReport } from "./summary";

/**
 * The subscription report of a merchant (issue 16 §5): MRR, churn and retention per monthly cohort, computed set-based
 * in SQL (two statements over the merchant's subscriptions, whatever their number), then the sBG fit and the
 * subscription CLTV on those aggregates (summary.ts). Months are calendar months in UTC; only subscriptions in the
 * merchant's currency count.
 *
 * What the history can and cannot say: a subscription row holds Stripe's latest state, so a past month's MRR uses
 * each subscription's current plan (an upgrade shows from the start), and a subscription now trialing, paused or
 * unpaid is left out of MRR altogether (trials have not paid; paused and unpaid do not pay now).
 */

/** Not in MRR: never started, not paying yet, or not paying now. */
const NOT_IN_MRR = [...NEVER_STARTED_STATUSES, "trialing", "paused", "unpaid"];
/** Not in the cohorts: never started, or still in a trial (no renewal decision yet). */
const NOT_IN_COHORTS = [...NEVER_STARTED_STATUSES, "trialing"];
/** The MRR chart's span. */
const SUBSCRIPTION_REPORT_MONTHS = 24;

export async function subscriptionReport(trx: Trx, merchantId: string, opts: { at?: Date } = {}): Promise<SubscriptionReport & { currency: string }> {
  const at = opts.at ?? now();
  const merchant = await trx.selectFrom("merchants").select("currency").where("id", "=", merchantId).executeTakeFirstOrThrow();
  const lives = await lifeRows(trx, merchantId, merchant.currency, at);
  const months = lives.length ? await monthRows(trx, merchantId, merchant.currency, at) : [];
  const settings = await getCltvSettings(trx, merchantId);
  return { currency: merchant.currency, ...buildSubscriptionReport(lives, months, at, settings) };
}

/**
 * A subscription's sBG period from its start `s` to `u` (its end, or `at` while alive) and `full_months` between
 * them: churned, the period T of the churn (1 + the renewal dates strictly before the end: ending exactly on a renewal
 * date is churning at that renewal); alive, the renewals had by `at`. Shared with the per-arm comparison (arms.server.ts).
 */
export const FULL_MONTHS = sql<number>`(extract(year from age(u, s)) * 12 + extract(month from age(u, s)))::int`;
export const PERIODS = sql<number>`case when churned then 1 + full_months - (case when full_months > 0 and s + make_interval(months => full_months) = u then 1 else 0 end)
                else full_months end`;

/** Per cohort month × churned × period (PERIODS): churned subscriptions by the period of their churn, alive ones by their renewals. */
async function lifeRows(trx: Trx, merchantId: string, currency: string, at: Date): Promise<LifeRow[]> {
  const r = await sql<{ cohort: string; churned: boolean; periods: number; count: number; mrr_minor: number }>`
    with subs as (
      select s.started_at at time zone 'UTC' as s,
             (case when s.ended_at <= ${at} then s.ended_at else ${at} end) at time zone 'UTC' as u,
             s.ended_at is not null and s.ended_at <= ${at} as churned,
             s.mrr_minor
      from subscriptions s
      where s.merchant_id = ${merchantId} and s.currency = ${currency} and s.started_at <= ${at}
        and s.status <> all(${NOT_IN_COHORTS})
    ), spans as (
      select s, u, churned, mrr_minor,
             ${FULL_MONTHS} as full_months
      from subs
    )
    select to_char(date_trunc('month', s), 'YYYY-MM-DD') as cohort, churned,
           ${PERIODS} as periods,
           count(*)::int as count, sum(mrr_minor)::bigint as mrr_minor
    from spans
    group by 1, 2, 3
    order by 1, 2, 3`.execute(trx);
  return r.rows.map((x) => ({ cohort: x.cohort, churned: x.churned, periods: x.periods, count: x.count, mrrMinor: Number(x.mrr_minor) }));
}

/**
 * Per calendar month (the last SUBSCRIPTION_REPORT_MONTHS, or since the first start): MRR, actives, starts, churns.
 * Starts and ends are counted per month once, and MRR and actives are their running sums: one pass over the
 * subscriptions, not one per month.
 */
async function monthRows(trx: Trx, merchantId: string, currency: string, at: Date): Promise<MonthRow[]> {
  const r = await sql<{
    month: string;
    mrr: number;
    active: number;
    active_at_start: number;
    mrr_at_start: number;
    started: number;
    churned: number;
    churned_mrr: number;
  }>`
    with subs as (
      select s.started_at at time zone 'UTC' as started_at,
             (case when s.ended_at <= ${at} then s.ended_at end) at time zone 'UTC' as ended_at,
             s.mrr_minor
      from subscriptions s
      where s.merchant_id = ${merchantId} and s.currency = ${currency} and s.started_at <= ${at}
        and s.status <> all(${NOT_IN_MRR})
    ), starts as (
      select date_trunc('month', started_at) as m, count(*) as n, sum(mrr_minor) as mrr from subs group by 1
    ), ends as (
      select date_trunc('month', ended_at) as m, count(*) as n, sum(mrr_minor) as mrr from subs where ended_at is not null group by 1
    ), months as (
      select generate_series((select min(m) from starts), date_trunc('month', ${at}::timestamptz at time zone 'UTC'), interval '1 month') as m
    ), flows as (
      select months.m, coalesce(s.n, 0) as started, coalesce(s.mrr, 0) as started_mrr, coalesce(e.n, 0) as churned, coalesce(e.mrr, 0) as churned_mrr
      from months left join starts s on s.m = months.m left join ends e on e.m = months.m
    ), running as (
      select m, started, started_mrr, churned, churned_mrr,
             sum(started - churned) over w as active, sum(started_mrr - churned_mrr) over w as mrr
      from flows window w as (order by m)
    )
    select to_char(m, 'YYYY-MM-DD') as month, mrr::bigint as mrr, active::int as active,
           (active - started + churned)::int as active_at_start, (mrr - started_mrr + churned_mrr)::bigint as mrr_at_start,
           started::int as started, churned::int as churned, churned_mrr::bigint as churned_mrr
    from running
    where m > date_trunc('month', ${at}::timestamptz at time zone 'UTC') - make_interval(months => ${SUBSCRIPTION_REPORT_MONTHS})
    order by m`.execute(trx);
  return r.rows.map((x) => ({
    month: x.month,
    mrrMinor: Number(x.mrr),
    active: x.active,
    activeAtStart: x.active_at_start,
    mrrAtStartMinor: Number(x.mrr_at_start),
    started: x.started,
    churned: x.churned,
    churnedMrrMinor: Number(x.churned_mrr),
  }));
}
