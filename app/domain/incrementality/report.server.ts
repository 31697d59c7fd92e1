import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { getExperiment, type Experiment } from "~/domain/experiments/assignment.server";
import { getEarningRules } from "~/domain/points/rules.server";
import { DomainError } from "~/lib/errors";
import { estimateBreakage, liabilityPerPoint, type BreakageEstimate } from "./liability.server";
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
 *  - program cost       what the merchant gave up, when it gave it up (issue 16):
 *                       points redeemed (spend journals, at redemption) × the point value of the earning rules — or,
 *                       under the CLTV setting "reward's cost" (points_cost_basis 'reward_cost'), a redemption's
 *                       cost to the merchant where the reward has one (the rest still at the point value);
 *                       plus rewards granted without points (offers, surprise gifts, catalog rewards paid out to
 *                       referrers) at what they took off when USED (the discount applied to that order, the
 *                       Stripe promotion code's discount, store credit drawn, a free product's or gift's cost),
 *                       counted at the time of use: a code never used costs nothing. Referral payouts in points are
 *                       not counted when issued: they become cost when redeemed.
 *  - points liability   points the member holds at report time (available + pending) × point value × (1 − expected
 *                       breakage) (liability.server.ts): the future cost the arm already holds. Always as of now,
 *                       whatever the window.
 *  - predicted residual the CLTV model's 12-month CLTV (member_stats.cltv_12m_minor) when the model has scored the
 *    CLTV               merchant; members it has not scored count 0. Unavailable (null) when no member is scored.
 *  - net value          gross margin + predicted residual CLTV − program cost − points liability: the incremental
 *                       CLTV's outcome.
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
  /**
   * Everything counted as cost: redeemed points (pointsMinor, costed per `pointsCostBasis`), rewards without points at
   * use (rewardsMinor) and the outstanding points' liability (liabilityMinor); total and perMember include all three.
   */
  cost: { perMember: number; total: number; pointsRedeemed: number; pointsMinor: number; rewardsMinor: number; liabilityMinor: number };
  /** Points held at report time (available + pending) and their expected cost (after breakage). */
  liability: { outstandingPoints: number; minor: number; perMember: number };
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
  /** How points-funded rewards are costed (CLTV setting): nominal point value, or the reward's cost where set. */
  pointsCostBasis: PointsCostBasis;
  /** The breakage the outstanding-points liability is discounted by, and where it came from. */
  breakage: BreakageEstimate;
  window: { windowDays: number | null; from: string | null; to: string | null; preDays: number };
  arms: ArmReport[];
  comparisons: ArmComparison[];
  hasPrediction: boolean;
  /** Referral program experiments only: the friend holdout's section (app/domain/incrementality/referral.server.ts). */
  referral?: ReferralSection;
}

export const DEFAULT_GROSS_MARGIN_BPS = 4000;
export type PointsCostBasis = "point_value" | "reward_cost";
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
  /** Points of redemptions with a cost to the merchant, and that cost (the 'reward_cost' basis). */
  sum_points_costed: number | null;
  sum_points_cost: number | null;
  /** Outstanding points b at report time: Σb, Σb², Σvb, Σxb (the liability is applied on assembly). */
  sum_b: number | null;
  sum_b2: number | null;
  sum_vb: number | null;
  sum_xb: number | null;
  scored: string;
  sum_pred: number | null;
  joined: string;
}

/** The report's inputs the caller fixes once: margin and point value (looked up when not given). */
export async function reportEconomics(trx: Trx, merchantId: string) {
  const [merchant, margin, rules] = await Promise.all([
    trx.selectFrom("merchants").select("currency").where("id", "=", merchantId).executeTakeFirstOrThrow(),
    sql<{ gross_margin_bps: number; points_cost_basis: PointsCostBasis }>`
      select gross_margin_bps, points_cost_basis from cltv_settings where merchant_id = ${merchantId}`.execute(trx),
    getEarningRules(trx, merchantId),
  ]);
  return {
    currency: merchant.currency.trim(),
    grossMarginBps: margin.rows[0]?.gross_margin_bps ?? DEFAULT_GROSS_MARGIN_BPS,
    pointValue: { points: rules.pointValue.points, minor: rules.pointValue.minor },
    pointsCostBasis: margin.rows[0]?.points_cost_basis ?? ("point_value" as PointsCostBasis),
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
  const breakage = await estimateBreakage(trx, merchantId, new Date());
  return assembleReport(experiment, econ, w, rows, referral, breakage);
}

/**
 * The per-arm sums with the liability applied: value v' = v − L·b for L minor units per outstanding point, so
 * Σv' = Σv − LΣb, Σv'² = Σv² − 2LΣvb + L²Σb², Σxv' = Σxv − LΣxb.
 */
function withLiability(r: ArmRow, perPoint: number): ArmRow {
  const L = perPoint;
  const sb = r.sum_b ?? 0;
  return {
    ...r,
    sum_v: (r.sum_v ?? 0) - L * sb,
    sum_v2: (r.sum_v2 ?? 0) - 2 * L * (r.sum_vb ?? 0) + L * L * (r.sum_b2 ?? 0),
    sum_xv: (r.sum_xv ?? 0) - L * (r.sum_xb ?? 0),
  };
}

/** The report from the per-arm sufficient statistics (pure: the same for the raw path and the summary). */
export function assembleReport(
  experiment: Experiment,
  econ: ReportEconomics,
  w: ReportWindow,
  rawRows: ArmRow[],
  referral: ReferralSection | undefined,
  breakage: BreakageEstimate,
): IncrementalityReport {
  const preDays = w.preDays ?? 365;
  const perPoint = liabilityPerPoint(econ.pointValue, breakage.breakageBps);
  const rows = rawRows.map((r) => withLiability(r, perPoint));
  const pointMinor = econ.pointValue.minor / econ.pointValue.points;

  const arms: ArmReport[] = rows.map((r) => {
    const n = Number(r.n);
    const points = r.sum_points ?? 0;
    const pointsMinor =
      econ.pointsCostBasis === "reward_cost" ? (points - (r.sum_points_costed ?? 0)) * pointMinor + (r.sum_points_cost ?? 0) : points * pointMinor;
    const rewards = r.sum_rewards ?? 0;
    const outstanding = r.sum_b ?? 0;
    const liabilityMinor = outstanding * perPoint;
    const costTotal = pointsMinor + rewards + liabilityMinor;
    const scored = Number(r.scored);
    const joined = Number(r.joined);
    return {
      arm: r.arm,
      control: r.is_control,
      n,
      revenue: summarize(n, r.sum_y ?? 0, r.sum_y2 ?? 0),
      grossMarginPerMember: n ? ((r.sum_y ?? 0) * econ.grossMarginBps) / 10000 / n : 0,
      cost: { perMember: n ? costTotal / n : 0, total: costTotal, pointsRedeemed: points, pointsMinor, rewardsMinor: rewards, liabilityMinor },
      liability: { outstandingPoints: outstanding, minor: liabilityMinor, perMember: n ? liabilityMinor / n : 0 },
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
    breakage,
    window: { windowDays: w.windowDays ?? null, from: w.from?.toISOString() ?? null, to: w.to?.toISOString() ?? null, preDays },
    arms,
    comparisons,
    hasPrediction: arms.some((a) => a.predicted.scoredMembers > 0),
  };
  if (referral) report.referral = referral;
  return report;
}

/** A point-free redemption whose cost happened (used, or a gift fulfilled); a points-funded one with a cost set. */
const COSTS_AT_USE = sql`r.points_spent = 0 and r.status <> 'void' and coalesce(r.used_at, r.fulfilled_at) is not null`;
const POINTS_COSTED = sql`r.points_spent > 0 and r.cost_minor is not null`;

/** The cost of redeemed points per the basis: points × point value, or costed redemptions at their cost. */
export function pointsCostSql(
  econ: { pointValue: { points: number; minor: number }; pointsCostBasis: PointsCostBasis },
  points: ReturnType<typeof sql>,
  costed: ReturnType<typeof sql>,
  cost: ReturnType<typeof sql>,
) {
  const pointMinor = econ.pointValue.minor / econ.pointValue.points;
  return econ.pointsCostBasis === "reward_cost"
    ? sql`(((${points})::float8 - (${costed})::float8) * ${pointMinor}::float8 + (${cost})::float8)`
    : sql`((${points})::float8 * ${pointMinor}::float8)`;
}

/** Conditions shared by the report and the charts: an event at `at` counts for a member assigned at `a.assigned_at`. */
function inWindow(at: ReturnType<typeof sql.ref> | ReturnType<typeof sql.raw>, w: ReportWindow) {
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
  econ: { grossMarginBps: number; pointValue: { points: number; minor: number }; pointsCostBasis: PointsCostBasis },
): Promise<ArmRow[]> {
  if (!isDefaultWindow(w)) return aggregateArmsFromSources(trx, merchantId, experimentId, w, econ);
  const margin = econ.grossMarginBps / 10000;
  const res = await sql<ArmRow>`
    with m as (
      select f.arm,
        f.revenue_minor::float8 as y,
        f.pre_spend_minor::float8 as x,
        f.points_redeemed::float8 as points,
        f.rewards_minor::float8 as rewards,
        f.points_costed::float8 as pc,
        f.points_cost_minor::float8 as pcm,
        f.predicted_minor::float8 as pred,
        f.revenue_minor::float8 * ${margin}::float8 + coalesce(f.predicted_minor, 0)::float8
          - ${pointsCostSql(econ, sql.ref("f.points_redeemed"), sql.ref("f.points_costed"), sql.ref("f.points_cost_minor"))} - f.rewards_minor::float8 as v,
        (coalesce(b.available, 0) + coalesce(b.pending, 0))::float8 as b,
        f.joined
      from experiment_member_facts f
      left join member_balances b on b.merchant_id = f.merchant_id and b.member_id = f.member_id
      where f.merchant_id = ${merchantId} and f.experiment_id = ${experimentId}
    ),
    s as (
      select arm,
        count(*) as n,
        sum(y) as sum_y, sum(y * y) as sum_y2,
        sum(x) as sum_x, sum(x * x) as sum_x2, sum(x * y) as sum_xy,
        sum(v) as sum_v, sum(v * v) as sum_v2, sum(x * v) as sum_xv,
        sum(points) as sum_points, sum(rewards) as sum_rewards, sum(pc) as sum_points_costed, sum(pcm) as sum_points_cost,
        sum(b) as sum_b, sum(b * b) as sum_b2, sum(v * b) as sum_vb, sum(x * b) as sum_xb,
        count(pred) as scored, sum(pred) as sum_pred,
        count(*) filter (where joined) as joined
      from m group by arm
    )
    select r.arm, r.is_control, coalesce(s.n, 0) as n,
      s.sum_y, s.sum_y2, s.sum_x, s.sum_x2, s.sum_xy, s.sum_v, s.sum_v2, s.sum_xv, s.sum_points, s.sum_rewards,
      s.sum_points_costed, s.sum_points_cost, s.sum_b, s.sum_b2, s.sum_vb, s.sum_xb,
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
  econ: { grossMarginBps: number; pointValue: { points: number; minor: number }; pointsCostBasis: PointsCostBasis },
): Promise<ArmRow[]> {
  const margin = econ.grossMarginBps / 10000;
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
      select r.member_id,
        sum(coalesce(r.applied_minor, 0)) filter (where ${COSTS_AT_USE} and ${inWindow(sql.raw("coalesce(r.used_at, r.fulfilled_at)"), w)})::float8 as rewards,
        sum(r.points_spent) filter (where ${POINTS_COSTED} and ${inWindow(sql.ref("r.created_at"), w)})::float8 as pc,
        sum(r.cost_minor) filter (where ${POINTS_COSTED} and ${inWindow(sql.ref("r.created_at"), w)})::float8 as pcm
      from a join reward_redemptions r on r.merchant_id = ${merchantId} and r.member_id = a.member_id
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
        coalesce(g.pc, 0) as pc,
        coalesce(g.pcm, 0) as pcm,
        s.cltv_12m_minor::float8 as pred,
        coalesce(o.y, 0) * ${margin}::float8 + coalesce(s.cltv_12m_minor, 0)::float8
          - ${pointsCostSql(econ, sql`coalesce(p.points, 0)`, sql`coalesce(g.pc, 0)`, sql`coalesce(g.pcm, 0)`)} - coalesce(g.rewards, 0) as v,
        (coalesce(b.available, 0) + coalesce(b.pending, 0))::float8 as b,
        j.member_id is not null as joined
      from a
      left join o on o.member_id = a.member_id
      left join p on p.member_id = a.member_id
      left join g on g.member_id = a.member_id
      left join j on j.member_id = a.member_id
      left join member_stats s on s.merchant_id = ${merchantId} and s.member_id = a.member_id
      left join member_balances b on b.merchant_id = ${merchantId} and b.member_id = a.member_id
    )
    select r.arm, r.is_control,
      count(m.arm) as n,
      sum(m.y) as sum_y, sum(m.y * m.y) as sum_y2,
      sum(m.x) as sum_x, sum(m.x * m.x) as sum_x2, sum(m.x * m.y) as sum_xy,
      sum(m.v) as sum_v, sum(m.v * m.v) as sum_v2, sum(m.x * m.v) as sum_xv,
      sum(m.points) as sum_points, sum(m.rewards) as sum_rewards, sum(m.pc) as sum_points_costed, sum(m.pcm) as sum_points_cost,
      sum(m.b) as sum_b, sum(m.b * m.b) as sum_b2, sum(m.v * m.b) as sum_vb, sum(m.x * m.b) as sum_xb,
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
