import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { getExperiment, type Experiment } from "~/domain/experiments/assignment.server";
import { getEarningRules } from "~/domain/points/rules.server";
import { DomainError } from "~/lib/errors";
import { buildReferralSection, type ReferralSection } from "./referral.server";
import {
  complierEffect,
  cuped,
  membersNeededPerArm,
  minimumDetectableEffect,
  pooledSd,
  summarize,
  welchFromSums,
  type ArmSums,
  type Comparison,
  type CupedComparison,
  type Summary,
} from "./stats";

/**
 * The incremental CLTV report of one experiment: every arm against the control, over a window after each member's
 * assignment. Built from ONE aggregate query: over the default window (since assignment, 365-day pre-period) a single
 * pass over experiment_member_facts (per-member sums kept by triggers); over any other window orders, redeemed
 * points, rewards granted and model scores joined to the assignments, grouped per member and then per arm. Either
 * way its cost is a few scans of tables and never a loop over members. Money figures are in the merchant's minor units; per-member means are fractional.
 *
 * Per member, over the window [assigned_at, assigned_at + windowDays) ∩ [from, to):
 *  - revenue            orders net of refunds;
 *  - gross margin       revenue × the merchant's gross margin (CLTV settings; 40% when never set);
 *  - program cost       points redeemed (spend journals) × the point value of the earning rules, plus rewards granted
 *                       without points (offers, surprise gifts, catalog rewards paid out to referrers) at their
 *                       discount / credit amount. Referral payouts in points are not counted when issued: they
 *                       become cost when redeemed, which the first term counts (counting both would count twice).
 *  - predicted residual the CLTV model's 12-month CLTV (member_stats.cltv_12m_minor) when the model has scored the
 *    CLTV               merchant; members it has not scored count 0. Unavailable (null) when no member is scored.
 *  - net value          gross margin + predicted residual CLTV − program cost: the incremental CLTV's outcome.
 *  - pre-period spend   orders in the `preDays` before assignment: the CUPED covariate.
 */

export interface ReportWindow {
  /** Days after each member's assignment (null: until now). */
  windowDays?: number | null;
  /** Only orders, redemptions and grants at or after `from` and before `to` count. */
  from?: Date | null;
  to?: Date | null;
  /** Length of the pre-assignment period for the CUPED covariate (default 365 days). */
  preDays?: number;
  /** The lift (minor units of net value per member) the sample-size answer is for; default 10% of the control mean. */
  targetLift?: number | null;
}

export interface ArmReport {
  arm: string;
  control: boolean;
  n: number;
  revenue: Summary;
  grossMarginPerMember: number;
  cost: { perMember: number; total: number; pointsRedeemed: number; pointsMinor: number; rewardsMinor: number };
  predicted: { scoredMembers: number; perMember: number | null };
  value: Summary;
  preSpend: Summary;
  /** Share of the arm with a `joined` or `claimed` event (opt-in programs); null when nobody has one. */
  joinRate: number | null;
}

export interface ArmComparison {
  arm: string;
  /** Net value per member (incremental CLTV per member): Welch. */
  value: Comparison;
  valueCuped: CupedComparison;
  /** Incremental CLTV in total: per-member lift × members in the arm, with the interval scaled alike. */
  total: { lift: number; ci95: [number, number] };
  revenue: Comparison;
  revenueCuped: CupedComparison;
  cost: { perMemberDifference: number };
  /** For opt-in programs (someone joined or claimed): the complier effect on net value. */
  complier: { effect: number; ci95: [number, number]; joinRateDifference: number } | null;
  /** Minimum detectable net-value lift at the current sizes (80% power, α 0.05), and members per arm for `targetLift`. */
  mde: number;
  membersNeeded: { lift: number; perArm: number } | null;
}

export interface IncrementalityReport {
  experiment: Experiment;
  currency: string;
  grossMarginBps: number;
  pointValue: { points: number; minor: number };
  window: { windowDays: number | null; from: string | null; to: string | null; preDays: number };
  arms: ArmReport[];
  comparisons: ArmComparison[];
  hasPrediction: boolean;
  /** Referral program experiments only: the friend holdout's section (app/domain/incrementality/referral.server.ts). */
  referral?: ReferralSection;
}

export const DEFAULT_GROSS_MARGIN_BPS = 4000;
const REPORT_WORK_MEM = "256MB";

export interface ArmRow {
  arm: string;
  is_control: boolean;
  n: string;
  sum_y: number | null;
  sum_y2: number | null;
  sum_x: number | null;
  sum_x2: number | null;
  sum_xy: number | null;
  sum_v: number | null;
  sum_v2: number | null;
  sum_xv: number | null;
  sum_points: number | null;
  sum_rewards: number | null;
  scored: string;
  sum_pred: number | null;
  joined: string;
}

/** The report's inputs the caller fixes once: margin and point value (looked up when not given). */
export async function reportEconomics(trx: Trx, merchantId: string) {
  const [merchant, margin, rules] = await Promise.all([
    trx.selectFrom("merchants").select("currency").where("id", "=", merchantId).executeTakeFirstOrThrow(),
    sql<{ gross_margin_bps: number }>`select gross_margin_bps from cltv_settings where merchant_id = ${merchantId}`.execute(trx),
    getEarningRules(trx, merchantId),
  ]);
  return {
    currency: merchant.currency.trim(),
    grossMarginBps: margin.rows[0]?.gross_margin_bps ?? DEFAULT_GROSS_MARGIN_BPS,
    pointValue: { points: rules.pointValue.points, minor: rules.pointValue.minor },
  };
}

export type ReportEconomics = Awaited<ReturnType<typeof reportEconomics>>;

/**
 * The report computed from the per-member facts (default window) or the source tables (any other window): the raw
 * computation, which the maintained summaries (summaries.server.ts) are computed with and tested against.
 */
export async function buildIncrementalityReport(trx: Trx, merchantId: string, experimentId: string, w: ReportWindow = {}): Promise<IncrementalityReport> {
  const experiment = await getExperiment(trx, merchantId, experimentId);
  if (!experiment) throw new DomainError("not_found", "Experiment not found", { field: "program" });
  const econ = await reportEconomics(trx, merchantId);
  const preDays = w.preDays ?? 365;
  const rows = await aggregateArms(trx, merchantId, experimentId, { ...w, preDays }, econ);
  const referral = experiment.kind === "referral_program" ? await buildReferralSection(trx, merchantId, econ, { from: w.from, to: w.to }) : undefined;
  return assembleReport(experiment, econ, w, rows, referral);
}

/** The report from the per-arm sufficient statistics (pure: the same for the raw path and the summary). */
export function assembleReport(experiment: Experiment, econ: ReportEconomics, w: ReportWindow, rows: ArmRow[], referral: ReferralSection | undefined): IncrementalityReport {
  const preDays = w.preDays ?? 365;

  const arms: ArmReport[] = rows.map((r) => {
    const n = Number(r.n);
    const points = r.sum_points ?? 0;
    const pointsMinor = (points * econ.pointValue.minor) / econ.pointValue.points;
    const rewards = r.sum_rewards ?? 0;
    const scored = Number(r.scored);
    const joined = Number(r.joined);
    return {
      arm: r.arm,
      control: r.is_control,
      n,
      revenue: summarize(n, r.sum_y ?? 0, r.sum_y2 ?? 0),
      grossMarginPerMember: n ? ((r.sum_y ?? 0) * econ.grossMarginBps) / 10000 / n : 0,
      cost: { perMember: n ? (pointsMinor + rewards) / n : 0, total: pointsMinor + rewards, pointsRedeemed: points, pointsMinor, rewardsMinor: rewards },
      predicted: { scoredMembers: scored, perMember: scored > 0 && n ? (r.sum_pred ?? 0) / n : null },
      value: summarize(n, r.sum_v ?? 0, r.sum_v2 ?? 0),
      preSpend: summarize(n, r.sum_x ?? 0, r.sum_x2 ?? 0),
      joinRate: n ? joined / n : null,
    };
  });
  const anyJoined = rows.some((r) => Number(r.joined) > 0);
  if (!anyJoined) for (const a of arms) a.joinRate = null;

  const sumsOf = (r: ArmRow, outcome: "value" | "revenue"): ArmSums => ({
    n: Number(r.n),
    sumY: (outcome === "value" ? r.sum_v : r.sum_y) ?? 0,
    sumY2: (outcome === "value" ? r.sum_v2 : r.sum_y2) ?? 0,
    sumX: r.sum_x ?? 0,
    sumX2: r.sum_x2 ?? 0,
    sumXY: (outcome === "value" ? r.sum_xv : r.sum_xy) ?? 0,
  });
  const controlRow = rows.find((r) => r.is_control);
  const control = arms.find((a) => a.control);
  const comparisons: ArmComparison[] = [];
  if (controlRow && control) {
    for (const r of rows) {
      if (r.is_control) continue;
      const arm = arms.find((a) => a.arm === r.arm)!;
      const value = welchFromSums(sumsOf(r, "value"), sumsOf(controlRow, "value"));
      const target = w.targetLift ?? Math.abs(control.value.mean) * 0.1;
      const sd = pooledSd(arm.value, control.value);
      const perArm = membersNeededPerArm(sd, target);
      comparisons.push({
        arm: r.arm,
        value,
        valueCuped: cuped(sumsOf(r, "value"), sumsOf(controlRow, "value")),
        total: { lift: value.lift * arm.n, ci95: [value.ci95[0] * arm.n, value.ci95[1] * arm.n] },
        revenue: welchFromSums(sumsOf(r, "revenue"), sumsOf(controlRow, "revenue")),
        revenueCuped: cuped(sumsOf(r, "revenue"), sumsOf(controlRow, "revenue")),
        cost: { perMemberDifference: arm.cost.perMember - control.cost.perMember },
        complier: anyJoined ? complierEffect(value, arm.joinRate ?? 0, control.joinRate ?? 0) : null,
        mde: minimumDetectableEffect(arm.value, control.value),
        membersNeeded: Number.isFinite(perArm) ? { lift: target, perArm } : null,
      });
    }
  }
  const report: IncrementalityReport = {
    experiment,
    ...econ,
    window: { windowDays: w.windowDays ?? null, from: w.from?.toISOString() ?? null, to: w.to?.toISOString() ?? null, preDays },
    arms,
    comparisons,
    hasPrediction: arms.some((a) => a.predicted.scoredMembers > 0),
  };
  if (referral) report.referral = referral;
  return report;
}

/** Conditions shared by the report and the charts: an event at `at` counts for a member assigned at `a.assigned_at`. */
function inWindow(at: ReturnType<typeof sql.ref>, w: ReportWindow) {
  return sql`${at} >= a.assigned_at
    and (${w.windowDays ?? null}::int is null or ${at} < a.assigned_at + make_interval(days => ${w.windowDays ?? null}::int))
    and (${w.from ?? null}::timestamptz is null or ${at} >= ${w.from ?? null}::timestamptz)
    and (${w.to ?? null}::timestamptz is null or ${at} < ${w.to ?? null}::timestamptz)`;
}

/** True for the window experiment_member_facts holds: everything since assignment, 365-day pre-period. */
function isDefaultWindow(w: ReportWindow & { preDays: number }): boolean {
  return (w.windowDays ?? null) === null && (w.from ?? null) === null && (w.to ?? null) === null && w.preDays === 365;
}

/**
 * The per-arm sums. The default window reads only experiment_member_facts (one row per assignment, kept exact by
 * triggers: migration 2026-11-23T0100): one pass grouped by arm, net value computed per row from today's margin and
 * point value. Any other window is computed from the source tables (aggregateArmsFromSources, also the reference
 * the facts are tested against).
 */
export async function aggregateArms(
  trx: Trx,
  merchantId: string,
  experimentId: string,
  w: ReportWindow & { preDays: number },
  econ: { grossMarginBps: number; pointValue: { points: number; minor: number } },
): Promise<ArmRow[]> {
  if (!isDefaultWindow(w)) return aggregateArmsFromSources(trx, merchantId, experimentId, w, econ);
  const margin = econ.grossMarginBps / 10000;
  const pointMinor = econ.pointValue.minor / econ.pointValue.points;
  const res = await sql<ArmRow>`
    with m as (
      select arm,
        revenue_minor::float8 as y,
        pre_spend_minor::float8 as x,
        points_redeemed::float8 as points,
        rewards_minor::float8 as rewards,
        predicted_minor::float8 as pred,
        revenue_minor::float8 * ${margin}::float8 + coalesce(predicted_minor, 0)::float8
          - points_redeemed::float8 * ${pointMinor}::float8 - rewards_minor::float8 as v,
        joined
      from experiment_member_facts
      where merchant_id = ${merchantId} and experiment_id = ${experimentId}
    ),
    s as (
      select arm,
        count(*) as n,
        sum(y) as sum_y, sum(y * y) as sum_y2,
        sum(x) as sum_x, sum(x * x) as sum_x2, sum(x * y) as sum_xy,
        sum(v) as sum_v, sum(v * v) as sum_v2, sum(x * v) as sum_xv,
        sum(points) as sum_points, sum(rewards) as sum_rewards,
        count(pred) as scored, sum(pred) as sum_pred,
        count(*) filter (where joined) as joined
      from m group by arm
    )
    select r.arm, r.is_control, coalesce(s.n, 0) as n,
      s.sum_y, s.sum_y2, s.sum_x, s.sum_x2, s.sum_xy, s.sum_v, s.sum_v2, s.sum_xv, s.sum_points, s.sum_rewards,
      coalesce(s.scored, 0) as scored, s.sum_pred, coalesce(s.joined, 0) as joined
    from experiment_arms r
    left join s on s.arm = r.arm
    where r.merchant_id = ${merchantId} and r.experiment_id = ${experimentId}
    order by r.is_control desc, r.arm`.execute(trx);
  return res.rows;
}

/**
 * The reference computation from the source tables, for any window. One pass: per member (orders, redeemed points
 * and granted rewards pre-aggregated per member, each a single scan joined on the assignment), then per arm the sums
 * the statistics need. Float sums keep it fast; values are cents, so double precision is exact far beyond any
 * realistic total.
 */
export async function aggregateArmsFromSources(
  trx: Trx,
  merchantId: string,
  experimentId: string,
  w: ReportWindow & { preDays: number },
  econ: { grossMarginBps: number; pointValue: { points: number; minor: number } },
): Promise<ArmRow[]> {
  const margin = econ.grossMarginBps / 10000;
  const pointMinor = econ.pointValue.minor / econ.pointValue.points;
  const res = await withHashPlans(trx, () => sql<ArmRow>`
    with a as (
      select member_id, arm, assigned_at from experiment_assignments
      where merchant_id = ${merchantId} and experiment_id = ${experimentId}
    ),
    o as (
      select o.member_id,
        sum(o.amount_minor - o.refunded_minor) filter (where ${inWindow(sql.ref("o.occurred_at"), w)})::float8 as y,
        sum(o.amount_minor - o.refunded_minor) filter (
          where o.occurred_at < a.assigned_at and o.occurred_at >= a.assigned_at - make_interval(days => ${w.preDays}::int))::float8 as x
      from a join orders o on o.merchant_id = ${merchantId} and o.member_id = a.member_id
      group by o.member_id
    ),
    p as (
      select j.member_id, sum(-j.points)::float8 as points
      from a join ledger_journals j on j.merchant_id = ${merchantId} and j.member_id = a.member_id
      where j.kind = 'spend' and ${inWindow(sql.ref("j.effective_at"), w)}
      group by j.member_id
    ),
    g as (
      select r.member_id, sum(coalesce(r.discount_minor, 0))::float8 as rewards
      from a join reward_redemptions r on r.merchant_id = ${merchantId} and r.member_id = a.member_id
      where r.points_spent = 0 and r.status <> 'void' and ${inWindow(sql.ref("r.created_at"), w)}
      group by r.member_id
    ),
    j as (
      select distinct e.member_id from experiment_events e
      where e.merchant_id = ${merchantId} and e.experiment_id = ${experimentId} and e.kind in ('joined', 'claimed')
    ),
    m as (
      select a.arm,
        coalesce(o.y, 0) as y,
        coalesce(o.x, 0) as x,
        coalesce(p.points, 0) as points,
        coalesce(g.rewards, 0) as rewards,
        s.cltv_12m_minor::float8 as pred,
        coalesce(o.y, 0) * ${margin}::float8 + coalesce(s.cltv_12m_minor, 0)::float8
          - coalesce(p.points, 0) * ${pointMinor}::float8 - coalesce(g.rewards, 0) as v,
        j.member_id is not null as joined
      from a
      left join o on o.member_id = a.member_id
      left join p on p.member_id = a.member_id
      left join g on g.member_id = a.member_id
      left join j on j.member_id = a.member_id
      left join member_stats s on s.merchant_id = ${merchantId} and s.member_id = a.member_id
    )
    select r.arm, r.is_control,
      count(m.arm) as n,
      sum(m.y) as sum_y, sum(m.y * m.y) as sum_y2,
      sum(m.x) as sum_x, sum(m.x * m.x) as sum_x2, sum(m.x * m.y) as sum_xy,
      sum(m.v) as sum_v, sum(m.v * m.v) as sum_v2, sum(m.x * m.v) as sum_xv,
      sum(m.points) as sum_points, sum(m.rewards) as sum_rewards,
      count(m.pred) as scored, sum(m.pred) as sum_pred,
      count(*) filter (where m.joined) as joined
    from experiment_arms r
    left join m on m.arm = r.arm
    where r.merchant_id = ${merchantId} and r.experiment_id = ${experimentId}
    group by r.arm, r.is_control
    order by r.is_control desc, r.arm`.execute(trx));
  return res.rows;
}

/**
 * Runs report queries with nested loops switched off. Hash joins over whole tables are the right plan for a report
 * over every member of an arm; right after a bulk load (no statistics yet) the planner may pick nested loops over
 * an aggregate instead, which is quadratic. The previous setting is restored afterwards (it is transaction-local).
 */
export async function withHashPlans<T>(trx: Trx, fn: () => Promise<T>): Promise<T> {
  const was = (await sql<{ nestloop: string; work_mem: string }>`select current_setting('enable_nestloop') as nestloop, current_setting('work_mem') as work_mem`.execute(trx)).rows[0]!;
  // A million members' hash tables fit in 256 MB; with the default 4 MB they spill to disk in many batches.
  await sql`select set_config('enable_nestloop', 'off', true), set_config('work_mem', ${REPORT_WORK_MEM}, true)`.execute(trx);
  const result = await fn();
  // Not in a finally: after an error the transaction is aborted anyway, and the settings go with it.
  await sql`select set_config('enable_nestloop', ${was.nestloop}, true), set_config('work_mem', ${was.work_mem}, true)`.execute(trx);
  return result;
}
