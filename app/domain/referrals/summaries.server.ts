/**
 * The referrals overview's figures (issue 14): the weekly funnel and the top referrers by network value — counts
 * over every click and referral of the merchant and a subtree aggregate per candidate — kept in program_summaries
 * (page 'referrals') as of `computedAt`, so the page reads one row whatever the program's size. Computed by the raw
 * functions below; member names are read on view (by id), so an erased member's name is never served from a summary.
 */
import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { now } from "~/lib/clock.server";
import { readProgramSummary, storeProgramSummaries } from "~db/program-summaries";
import { networkValue } from "./tree.server";

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

/**
 * Candidates for "top referrers": the members with the most direct referrals. Network value is then computed for
 * each (one subtree aggregate apiece), so the page costs a bounded number of indexed queries however large the
 * program is.
 */
export async function topReferrerCandidates(trx: Trx, merchantId: string, limit: number): Promise<Array<{ id: string; direct: number }>> {
  return trx
    .selectFrom("member_stats")
    .select(["member_id as id", "referral_count as direct"])
    .where("merchant_id", "=", merchantId)
    .where("referral_count", ">", 0)
    .orderBy("referral_count", "desc")
    .orderBy("member_id")
    .limit(limit)
    .execute();
}

/** The overview's window and list sizes. */
export const FUNNEL_WEEKS = 12;
const CANDIDATES = 25;
const TOP = 10;

export interface TopReferrer {
  id: string;
  direct: number;
  /** Members below them, at every level. */
  size: number;
  ownValueMinor: number;
  totalMinor: number;
}

export interface ReferralOverview {
  weeks: FunnelWeek[];
  top: TopReferrer[];
}

/** The raw computation: the funnel's weeks ending at `at` and the top referrers by network value. */
export async function referralOverview(trx: Trx, merchant: { id: string; timezone: string }, at: Date): Promise<ReferralOverview> {
  const weeks = await weeklyFunnel(trx, merchant.id, { weeks: FUNNEL_WEEKS, timezone: merchant.timezone, at });
  const valued: TopReferrer[] = [];
  for (const c of await topReferrerCandidates(trx, merchant.id, CANDIDATES)) {
    const n = await networkValue(trx, merchant.id, c.id);
    valued.push({ id: c.id, direct: c.direct, size: n.size, ownValueMinor: n.own.valueMinor, totalMinor: n.totalMinor });
  }
  valued.sort((a, b) => b.totalMinor - a.totalMinor || b.direct - a.direct);
  return { weeks, top: valued.slice(0, TOP) };
}

/** Weeks start on Monday in the merchant's time zone: a row of another zone is not used. */
const basisOf = (timezone: string) => ({ timezone, weeks: FUNNEL_WEEKS });

/** Recomputes the overview at `at` and stores it. */
export async function refreshReferralSummary(trx: Trx, merchant: { id: string; timezone: string }, at: Date = now()): Promise<{ overview: ReferralOverview; asOf: Date }> {
  const overview = await referralOverview(trx, merchant, at);
  await storeProgramSummaries(trx, merchant.id, "referrals", at, [{ basis: basisOf(merchant.timezone), data: overview }]);
  return { overview, asOf: at };
}

/** The overview from the summary (computed and stored now when there is none for this time zone), with the top referrers' names. */
export async function referralOverviewPage(
  trx: Trx,
  merchant: { id: string; timezone: string },
): Promise<{ overview: ReferralOverview; asOf: Date; names: Map<string, { name: string | null; email: string }> }> {
  const row = await readProgramSummary<ReferralOverview>(trx, merchant.id, "referrals", basisOf(merchant.timezone));
  const { overview, asOf } = row ? { overview: row.data, asOf: row.computedAt } : await refreshReferralSummary(trx, merchant);
  const ids = overview.top.map((t) => t.id);
  const members = ids.length ? await trx.selectFrom("members").select(["id", "name", "email"]).where("merchant_id", "=", merchant.id).where("id", "in", ids).execute() : [];
  return { overview, asOf, names: new Map(members.map((m) => [m.id, { name: m.name, email: m.email }])) };
}
