import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { pointsCostSql, type PointsCostBasis } from "./report.server";
import { summarize, welch } from "./stats";

/**
 * The report's charts: value per member by month since assignment, per arm, and the distribution of value per
 * member. Value events are orders (× gross margin), redeemed points (× point value, negative; under the 'reward_cost'
 * basis a costed redemption's cost replaces its points' value) and rewards without points at use (negative), as in the
 * report. The outstanding points' liability is a figure as of now, not an event: the charts leave it out. A month is 30.4375 days; month k of a member counts only once it is
 * complete (assigned at least k + 1 months ago), so late joiners do not drag the curves down.
 */

export const MONTH_DAYS = 30.4375;
export const MAX_MONTHS = 24;
const BUCKETS = 20;

export interface MonthPoint {
  month: number;
  arms: { arm: string; n: number; cumulative: { mean: number; lo: number; hi: number }; monthly: number }[];
  /** Each non-control arm's incremental value in that month (vs control), with its 95% interval. */
  incremental: { arm: string; lift: number; lo: number; hi: number }[];
}

export interface Distribution {
  edges: number[];
  arms: { arm: string; counts: number[]; n: number }[];
  /** "predicted" when the CLTV model has scored members (12-month CLTV), else "realized" value since assignment. */
  basis: "predicted" | "realized";
}

export interface ReportSeries {
  months: MonthPoint[];
  distribution: Distribution;
}

type Econ = { grossMarginBps: number; pointValue: { points: number; minor: number }; pointsCostBasis: PointsCostBasis };

/**
 * The charts from experiment_member_months (value components per member and month since assignment) and
 * experiment_member_facts (arms, assignment times, per-member totals and scores), kept exact by triggers.
 */
export async function buildReportSeries(
  trx: Trx,
  merchantId: string,
  experimentId: string,
  econ: Econ,
  arms: { arm: string; control: boolean }[],
  hasPrediction: boolean,
  now: Date = new Date(),
): Promise<ReportSeries> {
  return seriesFromInputs(await seriesInputs(trx, merchantId, experimentId, econ, hasPrediction, now, "facts"), arms);
}

/**
 * The charts' sufficient statistics (what the summary stores): members per arm by complete months, per arm × month
 * sums of value and cumulative value and their squares, and the distribution's counts.
 */
export interface SeriesInputs {
  ages: { arm: string; age: number; n: string }[];
  months: number;
  cells: { arm: string; k: number; sum_v: number; sum_v2: number; sum_c: number; sum_c2: number }[];
  distribution: Distribution;
}

/** The charts' inputs from experiment_member_facts / _months at `now` (the summary's refresh). */
export async function reportSeriesInputs(
  trx: Trx,
  merchantId: string,
  experimentId: string,
  econ: Econ,
  hasPrediction: boolean,
  now: Date,
): Promise<SeriesInputs> {
  return seriesInputs(trx, merchantId, experimentId, econ, hasPrediction, now, "facts");
}

/** The same charts computed from the source tables (orders, spend journals, rewards): the reference for the facts. */
export async function buildReportSeriesFromSources(
  trx: Trx,
  merchantId: string,
  experimentId: string,
  econ: Econ,
  arms: { arm: string; control: boolean }[],
  hasPrediction: boolean,
  now: Date = new Date(),
): Promise<ReportSeries> {
  return seriesFromInputs(await seriesInputs(trx, merchantId, experimentId, econ, hasPrediction, now, "sources"), arms);
}

type Basis = "facts" | "sources";

async function seriesInputs(
  trx: Trx,
  merchantId: string,
  experimentId: string,
  econ: Econ,
  hasPrediction: boolean,
  now: Date,
  basis: Basis,
): Promise<SeriesInputs> {
  const margin = econ.grossMarginBps / 10000;
  const pointMinor = econ.pointValue.minor / econ.pointValue.points;
  const interval = sql`make_interval(secs => ${MONTH_DAYS * 86400}::float8)`;
  const assignments = basis === "facts" ? sql`experiment_member_facts` : sql`experiment_assignments`;

  // Complete months per arm: how many members have been assigned at least k + 1 months.
  const ages = await sql<{ arm: string; age: number; n: string }>`
    select arm, floor(extract(epoch from (${now}::timestamptz - assigned_at)) / ${MONTH_DAYS * 86400})::int as age, count(*) as n
    from ${assignments} where merchant_id = ${merchantId} and experiment_id = ${experimentId}
    group by 1, 2`.execute(trx);
  const maxAge = Math.max(0, ...ages.rows.map((r) => r.age));

  const events = sql`
    a as (select member_id, arm, assigned_at from experiment_assignments where merchant_id = ${merchantId} and experiment_id = ${experimentId}),
    ev as (
      select a.member_id, a.arm, a.assigned_at, o.occurred_at as at, (o.amount_minor - o.refunded_minor)::float8 * ${margin}::float8 as v
      from a join orders o on o.merchant_id = ${merchantId} and o.member_id = a.member_id where o.occurred_at >= a.assigned_at
      union all
      select a.member_id, a.arm, a.assigned_at, j.effective_at, j.points::float8 * ${pointMinor}::float8
      from a join ledger_journals j on j.merchant_id = ${merchantId} and j.member_id = a.member_id where j.kind = 'spend' and j.effective_at >= a.assigned_at
      union all
      select a.member_id, a.arm, a.assigned_at, coalesce(r.used_at, r.fulfilled_at), -coalesce(r.applied_minor, 0)::float8
      from a join reward_redemptions r on r.merchant_id = ${merchantId} and r.member_id = a.member_id
      where r.points_spent = 0 and r.status <> 'void' and coalesce(r.used_at, r.fulfilled_at) >= a.assigned_at
      union all
      select a.member_id, a.arm, a.assigned_at, r.created_at,
        ${pointsCostSql(econ, sql`r.points_spent`, sql`0`, sql`0`)} - ${pointsCostSql(econ, sql`r.points_spent`, sql`r.points_spent`, sql`r.cost_minor`)}
      from a join reward_redemptions r on r.merchant_id = ${merchantId} and r.member_id = a.member_id
      where r.points_spent > 0 and r.cost_minor is not null and r.created_at >= a.assigned_at
    )`;
  // Per member and month: value and the month's number (k) — from the months table, or from the events.
  const monthValue = sql`(revenue_minor::float8 * ${margin}::float8 - ${pointsCostSql(econ, sql`points_redeemed`, sql`points_costed`, sql`points_cost_minor`)} - rewards_minor::float8)`;
  const memberMonths =
    basis === "facts"
      ? sql`
    mm as (
      select member_id, arm, k, ${monthValue} as v from experiment_member_months
      where merchant_id = ${merchantId} and experiment_id = ${experimentId} and events > 0
    ),
    buyers as (
      select f.member_id, f.arm, f.assigned_at from experiment_member_facts f
      where f.merchant_id = ${merchantId} and f.experiment_id = ${experimentId}
        and exists (select 1 from mm where mm.member_id = f.member_id)
    )`
      : sql`
    ${events},
    mm as (
      select member_id, arm, assigned_at, floor(extract(epoch from (at - assigned_at)) / ${MONTH_DAYS * 86400})::int as k, sum(v) as v
      from ev group by 1, 2, 3, 4
    ),
    buyers as (select distinct member_id, arm, assigned_at from mm)`;

  // The last month with any value event bounds the curves (a two-week test needs no two-year chart).
  const last =
    basis === "facts"
      ? await sql<{ k: number | null }>`
    select max(k) as k from experiment_member_months
    where merchant_id = ${merchantId} and experiment_id = ${experimentId} and events > 0`.execute(trx)
      : await sql<{ k: number | null }>`
    with ${events}
    select max(floor(extract(epoch from (at - assigned_at)) / ${MONTH_DAYS * 86400}))::int as k from ev`.execute(trx);
  const months = Math.min(MAX_MONTHS, maxAge, (last.rows[0]?.k ?? -1) + 1);

  const cells =
    months > 0
      ? (
          await sql<{ arm: string; k: number; sum_v: number; sum_v2: number; sum_c: number; sum_c2: number }>`
    with ${memberMonths},
    grid as (
      select b.member_id, b.arm, g.k from buyers b cross join generate_series(0, ${months - 1}::int) g(k)
      where b.assigned_at + ${interval} * (g.k + 1) <= ${now}::timestamptz
    ),
    cum as (
      select grid.arm, grid.k, coalesce(mm.v, 0) as v,
        sum(coalesce(mm.v, 0)) over (partition by grid.member_id order by grid.k) as c
      from grid left join mm on mm.member_id = grid.member_id and mm.k = grid.k
    )
    select arm, k, sum(v) as sum_v, sum(v * v) as sum_v2, sum(c) as sum_c, sum(c * c) as sum_c2 from cum group by arm, k`.execute(trx)
        ).rows
      : [];

  const perMember =
    basis === "facts"
      ? sql`with pm as (
          select arm, ${hasPrediction ? sql`coalesce(predicted_minor, 0)::float8` : monthValue} as v
          from experiment_member_facts where merchant_id = ${merchantId} and experiment_id = ${experimentId})`
      : sourcesPerMember(merchantId, experimentId, events, hasPrediction);
  return { ages: ages.rows, months, cells, distribution: await distribution(trx, perMember, hasPrediction) };
}

/** The charts from their sufficient statistics (pure: the same for the raw path and the summary). */
export function seriesFromInputs(inputs: SeriesInputs, arms: { arm: string; control: boolean }[]): ReportSeries {
  const { ages, months, cells } = inputs;
  const observed = (arm: string, k: number) => ages.filter((r) => r.arm === arm && r.age >= k + 1).reduce((n, r) => n + Number(r.n), 0);
  const cell = (arm: string, k: number) => cells.find((c) => c.arm === arm && c.k === k);
  const control = arms.find((a) => a.control);
  const points: MonthPoint[] = [];
  for (let k = 0; k < months; k++) {
    const stats = arms.map((a) => {
      const n = observed(a.arm, k);
      const c = cell(a.arm, k);
      return { arm: a.arm, cumulative: summarize(n, c?.sum_c ?? 0, c?.sum_c2 ?? 0), monthly: summarize(n, c?.sum_v ?? 0, c?.sum_v2 ?? 0) };
    });
    const band = (s: { n: number; mean: number; sd: number }) => {
      const half = s.n > 1 ? (1.96 * s.sd) / Math.sqrt(s.n) : 0;
      return { mean: s.mean, lo: s.mean - half, hi: s.mean + half };
    };
    const c = stats.find((s) => s.arm === control?.arm);
    points.push({
      month: k,
      arms: stats.map((s) => ({ arm: s.arm, n: s.cumulative.n, cumulative: band(s.cumulative), monthly: s.monthly.mean })),
      incremental: c
        ? stats
            .filter((s) => s.arm !== c.arm)
            .map((s) => {
              const w = welch(s.monthly, c.monthly);
              return { arm: s.arm, lift: w.lift, lo: w.ci95[0], hi: w.ci95[1] };
            })
        : [],
    });
  }
  return { months: points, distribution: inputs.distribution };
}

/** Per member, from the source tables: the model's 12-month CLTV when scored, else the realized value since assignment. */
function sourcesPerMember(merchantId: string, experimentId: string, events: ReturnType<typeof sql>, hasPrediction: boolean) {
  const perMember = hasPrediction
    ? sql`select a.arm, coalesce(s.cltv_12m_minor, 0)::float8 as v
          from experiment_assignments a left join member_stats s on s.merchant_id = a.merchant_id and s.member_id = a.member_id
          where a.merchant_id = ${merchantId} and a.experiment_id = ${experimentId}`
    : sql`select a.arm, coalesce(t.v, 0) as v
          from experiment_assignments a left join (select member_id, sum(v) as v from ev group by member_id) t on t.member_id = a.member_id
          where a.merchant_id = ${merchantId} and a.experiment_id = ${experimentId}`;
  return sql`with ${events}, pm as (${perMember})`;
}

/** The histogram of value per member; `pm` is a `with … pm as (…)` prefix defining pm(arm, v). */
async function distribution(trx: Trx, pm: ReturnType<typeof sql>, hasPrediction: boolean): Promise<Distribution> {
  const range = await sql<{ lo: number | null; hi: number | null }>`
    ${pm}
    select percentile_cont(0.01) within group (order by v) as lo, percentile_cont(0.99) within group (order by v) as hi from pm`.execute(trx);
  const lo = Math.min(0, range.rows[0]?.lo ?? 0);
  let hi = Math.max(range.rows[0]?.hi ?? 0, lo + 1);
  if (hi - lo < 1) hi = lo + 1;
  const width = (hi - lo) / BUCKETS;
  // Values beyond the 1st–99th percentiles fall into the first / last bucket.
  const rows = await sql<{ arm: string; b: number; n: string }>`
    ${pm}
    select arm, least(${BUCKETS - 1}::int, greatest(0, floor((v - ${lo}::float8) / ${width}::float8)::int)) as b, count(*) as n
    from pm group by 1, 2`.execute(trx);
  const armsSeen = [...new Set(rows.rows.map((r) => r.arm))].sort();
  return {
    basis: hasPrediction ? "predicted" : "realized",
    edges: Array.from({ length: BUCKETS + 1 }, (_, i) => lo + i * width),
    arms: armsSeen.map((arm) => {
      const counts = Array<number>(BUCKETS).fill(0);
      for (const r of rows.rows) if (r.arm === arm) counts[r.b] = Number(r.n);
      return { arm, counts, n: counts.reduce((a, b) => a + b, 0) };
    }),
  };
}
