import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { getExperiment, type Experiment } from "~/domain/experiments/assignment.server";
import { getEarningRules } from "~/domain/points/rules.server";
import { DomainError } from "~/lib/errors";
import { estimateBreakage, liabilityPerPoint, type BreakageEstimate } from "./liability.server";
import { residualPredictions, type ResidualPredictions } from "./prediction.server";
import { buildReferralSection, type ReferralSection } from "./referral.server";
import {
  complierEffectDelta,
  crossIndex,
  withPredictionVariance,
  cuped,
  membersNeededPerArm,
  minimumDetectableEffect,
  pooledSd,
  regressionAdjusted,
  sampleRatioMismatch,
  summarize,
  welchFromSums,
  type AdjustedComparison,
  type ArmMoments,
  type ArmSums,
  type Comparison,
  type CupedComparison,
  type SampleRatioCheck,
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
 *  - predicted residual the CLTV model's expected margin from the window's end to the scoring + 12 months, predicted
 *    CLTV               from the member's purchases before the window's end (one clock, prediction.server.ts): since
 *                       assignment that is the stored 12-month CLTV (member_stats.cltv_12m_minor); a window ending
 *                       earlier is re-predicted from its own end. Members without a purchase by then count 0.
 *                       Unavailable (null) when no member is scored. Its parameter uncertainty is added to the
 *                       net-value intervals (ArmRow.pred_var).
 *  - net value          gross margin + predicted residual CLTV − program cost − points liability: the incremental
 *                       CLTV's outcome.
 *  - pre-period spend   orders in the `preDays` before assignment: the CUPED covariate.
 *  - covariates         for the regression adjustment (REGRESSION_COVARIATES), all fixed before assignment.
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
  /** Net value per member (incremental CLTV per member): Welch — the headline (see README: why Welch). */
  value: Comparison;
  valueCuped: CupedComparison;
  /** Regression adjustment on several pre-assignment covariates (Lin 2013), with its HC standard error. */
  valueAdjusted: AdjustedComparison;
  /** Incremental CLTV in total: per-member lift × members in the arm, with the interval scaled alike. */
  total: { lift: number; ci95: [number, number] };
  revenue: Comparison;
  revenueCuped: CupedComparison;
  revenueAdjusted: AdjustedComparison;
  cost: { perMemberDifference: number };
  /**
   * For opt-in programs (someone joined or claimed): the complier effect on net value, its interval widened by the
   * join rates' sampling error (delta method, stats.complierEffectDelta).
   */
  complier: { effect: number; se: number; ci95: [number, number]; joinRateDifference: number } | null;
  /**
   * The predicted residual CLTV's share of the net-value intervals (value, valueCuped, valueAdjusted and total
   * include it): SE of the arm difference from the model's parameters, beside the sampling SE. Null without a model.
   */
  prediction: { se: number; samplingSe: number } | null;
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
  /**
   * Sample ratio mismatch: the arm sizes against the configured holdout share (random assignment only; null for
   * external assignment, which has no configured share).
   */
  srm: SampleRatioCheck | null;
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
  /** Σ v and Σ b over the members who joined (the complier interval's covariance term). */
  sum_vj?: number | null;
  sum_bj?: number | null;
  /**
   * Moments of w = (v, b, y, covariates…) per arm for the regression adjustment: Σw and Σw_i·w_j (i ≤ j, see
   * stats.crossIndex). Absent in summaries stored before it (those are recomputed: summaries.server.ts basis).
   */
  cov_sum?: number[] | null;
  cov_cross?: number[] | null;
  /**
   * Non-control arms: variance of the arm's mean predicted residual CLTV minus the control's over the CLTV model's
   * parameter uncertainty (prediction.server.ts), minor units²; absent without a model.
   */
  pred_var?: number | null;
}

/**
 * The regression adjustment's pre-assignment covariates (issue 16 §3), each computed per member from what was known
 * at assignment: spend and orders before assignment, whether the member had bought at all, days since the last order,
 * months since sign-up, whether a referral brought the member, and the acquisition channel (first order through
 * Stripe). Predicted CLTV and P(alive) at assignment are not among them yet (README: not done).
 */
export const REGRESSION_COVARIATES = ["pre_spend", "pre_orders", "bought_before", "days_since_last_order", "months_since_signup", "referred", "stripe_first_order"] as const;
/** w = (v, b, y, covariates): where the covariates start. */
const COV_OFFSET = 3;

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
  const joinSums = (r: ArmRow) => ({
    n: Number(r.n),
    joined: Number(r.joined),
    sumY: r.sum_v ?? 0,
    sumY2: r.sum_v2 ?? 0,
    sumYJoined: (r.sum_vj ?? 0) - perPoint * (r.sum_bj ?? 0),
  });
  const comparisons: ArmComparison[] = [];
  if (controlRow && control) {
    for (const r of rows) {
      if (r.is_control) continue;
      const arm = arms.find((a) => a.arm === r.arm)!;
      // The prediction's parameter uncertainty widens every net-value interval (not revenue's: nothing predicted there).
      const predVar = r.pred_var ?? 0;
      const plain = welchFromSums(sumsOf(r, "value"), sumsOf(controlRow, "value"));
      const value = withPredictionVariance(plain, predVar);
      const target = w.targetLift ?? Math.abs(control.value.mean) * 0.1;
      const sd = pooledSd(arm.value, control.value);
      const perArm = membersNeededPerArm(sd, target);
      comparisons.push({
        arm: r.arm,
        value,
        valueCuped: withPredictionVariance(cuped(sumsOf(r, "value"), sumsOf(controlRow, "value")), predVar),
        valueAdjusted: withPredictionVariance(regressionAdjusted(outcomeMoments(r, "value", perPoint), outcomeMoments(controlRow, "value", perPoint), REGRESSION_COVARIATES), predVar),
        total: { lift: value.lift * arm.n, ci95: [value.ci95[0] * arm.n, value.ci95[1] * arm.n] },
        revenue: welchFromSums(sumsOf(r, "revenue"), sumsOf(controlRow, "revenue")),
        revenueCuped: cuped(sumsOf(r, "revenue"), sumsOf(controlRow, "revenue")),
        revenueAdjusted: regressionAdjusted(outcomeMoments(r, "revenue", perPoint), outcomeMoments(controlRow, "revenue", perPoint), REGRESSION_COVARIATES),
        cost: { perMemberDifference: arm.cost.perMember - control.cost.perMember },
        complier: anyJoined ? complierEffectDelta(joinSums(r), joinSums(controlRow)) : null,
        prediction: r.pred_var == null ? null : { se: Math.sqrt(Math.max(0, predVar)), samplingSe: plain.se },
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
    srm: sampleRatioCheck(experiment, arms),
  };
  if (referral) report.referral = referral;
  return report;
}

/**
 * The arm sizes against the configured split. Only random assignment has one (control gets holdoutBps, the treatment
 * the rest); a holdout share changed while the experiment ran would also show here, which is the point.
 */
function sampleRatioCheck(experiment: Experiment, arms: ArmReport[]): SampleRatioCheck | null {
  if (experiment.assignment !== "random" || arms.length !== 2) return null;
  const share = experiment.holdoutBps / 10000;
  return sampleRatioMismatch(arms.map((a) => ({ arm: a.arm, expectedShare: a.control ? share : 1 - share, n: a.n })));
}

/**
 * The moments of (outcome, covariates) of one arm from the stored moments of (v, b, y, covariates): the outcome is y
 * (revenue) or v' = v − L·b (net value after the liability at L per point), a linear map of the stored vector.
 */
function outcomeMoments(r: ArmRow, outcome: "value" | "revenue", perPoint: number): ArmMoments {
  const k = REGRESSION_COVARIATES.length;
  const m0 = COV_OFFSET + k;
  const n = Number(r.n);
  const S = r.cov_sum ?? [];
  const C = r.cov_cross ?? [];
  // Without stored moments (an empty arm): nothing but the outcome, so the adjustment falls back to Welch.
  if (S.length !== m0 || C.length !== (m0 * (m0 + 1)) / 2) {
    const sumY = (outcome === "value" ? r.sum_v : r.sum_y) ?? 0;
    const sumY2 = (outcome === "value" ? r.sum_v2 : r.sum_y2) ?? 0;
    return { n, sum: [sumY, ...new Array<number>(k).fill(0)], cross: [sumY2, ...new Array<number>((k * (k + 3)) / 2).fill(0)] };
  }
  const c = (i: number, j: number) => C[crossIndex(m0, i, j)] ?? 0;
  const L = outcome === "value" ? perPoint : 0;
  const o = outcome === "value" ? 0 : 2;
  // Cross moments of the outcome with index j of w: v' = v − L·b.
  const withOutcome = (j: number) => (outcome === "value" ? c(0, j) - L * c(1, j) : c(o, j));
  const m = k + 1;
  const sum = [outcome === "value" ? (S[0] ?? 0) - L * (S[1] ?? 0) : (S[2] ?? 0), ...S.slice(COV_OFFSET)];
  const cross = new Array<number>((m * (m + 1)) / 2).fill(0);
  cross[0] = outcome === "value" ? c(0, 0) - 2 * L * c(0, 1) + L * L * c(1, 1) : c(2, 2);
  for (let j = 1; j < m; j++) cross[crossIndex(m, 0, j)] = withOutcome(COV_OFFSET + j - 1);
  for (let i = 1; i < m; i++) for (let j = i; j < m; j++) cross[crossIndex(m, i, j)] = c(COV_OFFSET + i - 1, COV_OFFSET + j - 1);
  return { n, sum, cross };
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

/** Per-member columns of w = (v, b, y, covariates) in REGRESSION_COVARIATES order, as named in the member CTE `m`. */
const COV_COLUMNS = ["v", "b", "y", "x", "z_orders", "z_bought", "z_recency", "z_tenure", "z_referred", "z_stripe"] as const;

/** Σw and Σw_i·w_j (i ≤ j) over `m` as two float8 arrays (0 for an arm without members). */
function covAggregates(): ReturnType<typeof sql.raw> {
  const col = (c: string) => `m.${c}`;
  const sums = COV_COLUMNS.map((c) => `coalesce(sum(${col(c)}), 0)`);
  const cross: string[] = [];
  for (let i = 0; i < COV_COLUMNS.length; i++) for (let j = i; j < COV_COLUMNS.length; j++) cross.push(`coalesce(sum(${col(COV_COLUMNS[i]!)} * ${col(COV_COLUMNS[j]!)}), 0)`);
  return sql.raw(`array[${sums.join(", ")}]::float8[] as cov_sum, array[${cross.join(", ")}]::float8[] as cov_cross,
      sum(m.v) filter (where m.joined) as sum_vj, sum(m.b) filter (where m.joined) as sum_bj`);
}

/**
 * The per-arm sums the report had before the regression moments (sum_y … sum_xb), read from cov_sum / cov_cross: the
 * same sums of the same products in the same pass, so computed once, not twice (about a seventh of the aggregates).
 */
const MOMENT_SUMS = (() => {
  const at = (c: (typeof COV_COLUMNS)[number]) => COV_COLUMNS.indexOf(c);
  const sum = (c: (typeof COV_COLUMNS)[number]) => `s.cov_sum[${at(c) + 1}]`;
  const cross = (a: (typeof COV_COLUMNS)[number], b: (typeof COV_COLUMNS)[number]) => `s.cov_cross[${crossIndex(COV_COLUMNS.length, at(a), at(b)) + 1}]`;
  const cols: [string, string][] = [
    ["sum_y", sum("y")], ["sum_y2", cross("y", "y")], ["sum_x", sum("x")], ["sum_x2", cross("x", "x")], ["sum_xy", cross("x", "y")],
    ["sum_v", sum("v")], ["sum_v2", cross("v", "v")], ["sum_xv", cross("x", "v")],
    ["sum_b", sum("b")], ["sum_b2", cross("b", "b")], ["sum_vb", cross("v", "b")], ["sum_xb", cross("x", "b")],
  ];
  return sql.raw(cols.map(([name, e]) => `${e} as ${name}`).join(", "));
})();

/**
 * The covariates of every assigned member, fixed at assignment (CTEs zo, zr, z; z is keyed by member_id): orders
 * before assignment (count, last, the first one's source), a referral made before assignment, the member's sign-up.
 * Whole days and whole months, so every sum is of integers and exact in any order (the facts and the sources agree
 * to the bit). The raw path's (a window other than the default); the facts keep the same columns, filled at assignment
 * by trigger (db/migrations/2026-12-07T2320_report_covariates.ts), so the default window joins no orders.
 */
function covariateCtes(merchantId: string, experimentId: string) {
  return sql`
    zo as (
      select a.member_id, count(*)::float8 as orders, max(o.occurred_at) as last_at,
        (array_agg(o.source order by o.occurred_at, o.id))[1] as first_source
      from experiment_assignments a
      join orders o on o.merchant_id = a.merchant_id and o.member_id = a.member_id and o.occurred_at < a.assigned_at
      where a.merchant_id = ${merchantId} and a.experiment_id = ${experimentId}
      group by a.member_id
    ),
    zr as (
      select distinct a.member_id
      from experiment_assignments a
      join referrals r on r.merchant_id = a.merchant_id and r.member_id = a.member_id and r.created_at <= a.assigned_at
      where a.merchant_id = ${merchantId} and a.experiment_id = ${experimentId}
    ),
    z as (
      select a.member_id,
        coalesce(zo.orders, 0) as z_orders,
        (case when zo.orders > 0 then 1 else 0 end)::float8 as z_bought,
        coalesce(floor(extract(epoch from a.assigned_at - zo.last_at) / 86400), 0)::float8 as z_recency,
        greatest(0, floor(extract(epoch from a.assigned_at - mb.created_at) / 86400 / 30.4375))::float8 as z_tenure,
        (case when zr.member_id is not null then 1 else 0 end)::float8 as z_referred,
        (case when zo.first_source = 'stripe' then 1 else 0 end)::float8 as z_stripe
      from experiment_assignments a
      join members mb on mb.merchant_id = a.merchant_id and mb.id = a.member_id
      left join zo on zo.member_id = a.member_id
      left join zr on zr.member_id = a.member_id
      where a.merchant_id = ${merchantId} and a.experiment_id = ${experimentId}
    )`;
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
  // One clock (prediction.server.ts): a window that ends before the scoring is predicted from its own end.
  const predictions = await residualPredictions(trx, merchantId, experimentId, { windowDays: w.windowDays ?? null, to: w.to ?? null });
  const ownClock = (w.windowDays ?? null) !== null || (w.to ?? null) !== null;
  const rows = isDefaultWindow(w)
    ? await aggregateArmsFromFacts(trx, merchantId, experimentId, econ)
    : await aggregateArmsFromSources(trx, merchantId, experimentId, w, econ, ownClock ? predictions : null);
  return withPredictionVarianceRows(rows, predictions);
}

function withPredictionVarianceRows(rows: ArmRow[], p: ResidualPredictions | null): ArmRow[] {
  if (!p) return rows;
  return rows.map((r) => (r.is_control || p.differenceVariance[r.arm] === undefined ? r : { ...r, pred_var: p.differenceVariance[r.arm] }));
}

async function aggregateArmsFromFacts(
  trx: Trx,
  merchantId: string,
  experimentId: string,
  econ: { grossMarginBps: number; pointValue: { points: number; minor: number }; pointsCostBasis: PointsCostBasis },
): Promise<ArmRow[]> {
  const margin = econ.grossMarginBps / 10000;
  // The covariates are kept in the facts (fixed at assignment, 2026-12-07T2320): no join to orders per view.
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
        f.joined,
        f.z_orders::float8 as z_orders, (f.z_orders > 0)::int::float8 as z_bought, f.z_recency::float8 as z_recency,
        f.z_tenure::float8 as z_tenure, f.z_referred::int::float8 as z_referred, f.z_stripe::int::float8 as z_stripe
      from experiment_member_facts f
      left join member_balances b on b.merchant_id = f.merchant_id and b.member_id = f.member_id
      where f.merchant_id = ${merchantId} and f.experiment_id = ${experimentId}
      -- offset 0: a fence, so each column is computed once per member; inlined, v's expression was evaluated again in
      -- each of the ~17 sums that name it (the regression moments multiply every column with every other).
      offset 0
    ),
    s as (
      select arm,
        count(*) as n,
        sum(points) as sum_points, sum(rewards) as sum_rewards, sum(pc) as sum_points_costed, sum(pcm) as sum_points_cost,
        count(pred) as scored, sum(pred) as sum_pred,
        count(*) filter (where joined) as joined,
        ${covAggregates()}
      from m group by arm
    )
    select r.arm, r.is_control, coalesce(s.n, 0) as n,
      ${MOMENT_SUMS}, s.sum_points, s.sum_rewards, s.sum_points_costed, s.sum_points_cost,
      coalesce(s.scored, 0) as scored, s.sum_pred, coalesce(s.joined, 0) as joined,
      s.cov_sum, s.cov_cross, s.sum_vj, s.sum_bj
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
  /** Predicted residual CLTV per member on the window's own clock; null: the stored scores (member_stats). */
  predictions: Pick<ResidualPredictions, "memberIds" | "predictedMinor"> | null = null,
): Promise<ArmRow[]> {
  const margin = econ.grossMarginBps / 10000;
  const pred = predictions
    ? sql`(select u.member_id, u.pred as cltv_12m_minor from unnest(${predictions.memberIds}::text[], ${predictions.predictedMinor}::float8[]) as u(member_id, pred))`
    : sql`(select member_id, cltv_12m_minor from member_stats where merchant_id = ${merchantId})`;
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
    ${covariateCtes(merchantId, experimentId)},
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
        j.member_id is not null as joined,
        coalesce(z.z_orders, 0) as z_orders, coalesce(z.z_bought, 0) as z_bought, coalesce(z.z_recency, 0) as z_recency,
        coalesce(z.z_tenure, 0) as z_tenure, coalesce(z.z_referred, 0) as z_referred, coalesce(z.z_stripe, 0) as z_stripe
      from a
      left join o on o.member_id = a.member_id
      left join p on p.member_id = a.member_id
      left join g on g.member_id = a.member_id
      left join j on j.member_id = a.member_id
      left join ${pred} s on s.member_id = a.member_id
      left join member_balances b on b.merchant_id = ${merchantId} and b.member_id = a.member_id
      left join z on z.member_id = a.member_id
    )
    select r.arm, r.is_control,
      count(m.arm) as n,
      sum(m.y) as sum_y, sum(m.y * m.y) as sum_y2,
      sum(m.x) as sum_x, sum(m.x * m.x) as sum_x2, sum(m.x * m.y) as sum_xy,
      sum(m.v) as sum_v, sum(m.v * m.v) as sum_v2, sum(m.x * m.v) as sum_xv,
      sum(m.points) as sum_points, sum(m.rewards) as sum_rewards, sum(m.pc) as sum_points_costed, sum(m.pcm) as sum_points_cost,
      sum(m.b) as sum_b, sum(m.b * m.b) as sum_b2, sum(m.v * m.b) as sum_vb, sum(m.x * m.b) as sum_xb,
      count(m.pred) as scored, sum(m.pred) as sum_pred,
      count(*) filter (where m.joined) as joined,
      ${covAggregates()}
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
