import { sql } from "kysely";
import type { Trx } from "~/db.server";

export interface FunnelWeek {
  /** Monday of the week in the merchant's time zone, 'YYYY-MM-DD'. */
  week: string;
  clicks: number;
  signups: number;
  qualified: number;
  rewarded: number;
}

/**
 * The referral funnel per week (weeks start on Monday in the merchant's time zone), oldest first, the current week
 * last: landing-page clicks, referred sign-ups, referrals that qualified, and referrals rewarded, each counted in
 * the week it happened. Every step is one range scan on an indexed timestamp.
 */
export async function weeklyFunnel(trx: Trx, merchantId: string, opts: { weeks: number; timezone: string; at: Date }): Promise<FunnelWeek[]> {
  const n = Math.max(1, Math.min(104, Math.trunc(opts.weeks)));
  const tz = opts.timezone;
  const r = await sql<FunnelWeek>`
    with bounds as (
      select w as week, (w at time zone ${tz}) as starts, ((w + interval '1 week') at time zone ${tz}) as ends
      from generate_series(
        date_trunc('week', ${opts.at}::timestamptz at time zone ${tz}) - make_interval(weeks => ${n - 1}),
        date_trunc('week', ${opts.at}::timestamptz at time zone ${tz}),
        interval '1 week') as w
    ),
    span as (select min(starts) as lo, max(ends) as hi from bounds),
    events as (
      select 'click' as step, landed_at as at from referral_clicks, span
        where merchant_id = ${merchantId} and landed_at >= span.lo and landed_at < span.hi
      union all
      select 'signup', created_at from referrals, span
        where merchant_id = ${merchantId} and created_at >= span.lo and created_at < span.hi
      union all
      select 'qualified', qualified_at from referrals, span
        where merchant_id = ${merchantId} and qualified_at >= span.lo and qualified_at < span.hi
      union all
      select 'rewarded', rewarded_at from referrals, span
        where merchant_id = ${merchantId} and rewarded_at >= span.lo and rewarded_at < span.hi
    )
    select to_char(b.week, 'YYYY-MM-DD') as week,
      count(*) filter (where e.step = 'click')::int as clicks,
      count(*) filter (where e.step = 'signup')::int as signups,
      count(*) filter (where e.step = 'qualified')::int as qualified,
      count(*) filter (where e.step = 'rewarded')::int as rewarded
    from bounds b
    left join events e on e.at >= b.starts and e.at < b.ends
    group by b.week
    order by b.week`.execute(trx);
  return r.rows;
}
