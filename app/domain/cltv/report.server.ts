/**
 * What the admin CLTV page shows (and its CSV export): the current model and its fit, the distribution of predicted
 * CLTV, value segments and at-risk members, and the classic formulas beside the model. Aggregates run in PostgreSQL
 * over member_stats and orders; nothing per member comes back to the app.
 */
import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import { classicFigures, type ClassicInputs } from "./classic";
import type { CltvModelView, CltvReport, FitDiagnostics, MemberCltv, SegmentRow } from "./report-types";
import { getCltvSettings, type CltvSettings } from "./settings.server";
import { INTERVAL_COLUMNS, storedIntervals, type StoredIntervals } from "./score-intervals";

export const HISTOGRAM_BINS = 20;
export type { CltvReport, MemberCltv } from "./report-types";

export async function latestModel(trx: Trx, merchantId: string): Promise<CltvModelView | null> {
  const m = await trx.selectFrom("cltv_models").selectAll().where("merchant_id", "=", merchantId).orderBy("created_at", "desc").orderBy("id", "desc").limit(1).executeTakeFirst();
  if (!m) return null;
  return {
    id: m.id,
    modelVersion: m.model_version,
    createdAt: m.created_at.toISOString(),
    timeUnit: m.time_unit,
    calibrationStart: m.calibration_start,
    calibrationEnd: m.calibration_end,
    customers: m.customers,
    repeatCustomers: m.repeat_customers,
    uniqueRows: m.unique_rows,
    bgnbd: { r: m.bgnbd_r, alpha: m.bgnbd_alpha, a: m.bgnbd_a, b: m.bgnbd_b, logLikelihood: m.bgnbd_log_likelihood, converged: m.bgnbd_converged },
    gammaGamma:
      m.gg_p !== null && m.gg_q !== null && m.gg_gamma !== null && m.gg_log_likelihood !== null
        ? { p: m.gg_p, q: m.gg_q, gamma: m.gg_gamma, logLikelihood: m.gg_log_likelihood, customers: m.gg_customers ?? 0 }
        : null,
    durationMs: m.duration_ms,
    diagnostics: m.diagnostics as unknown as FitDiagnostics,
  };
}

/** The orders part of the classic formulas' inputs: the 12 months ending `end`. */
export type ClassicOrderFigures = Omit<ClassicInputs, "grossMargin" | "acquisitionCostMinor" | "retentionCostMinorPerYear">;

export function withSettings(orders: ClassicOrderFigures, settings: CltvSettings): ClassicInputs {
  return {
    ...orders,
    grossMargin: settings.grossMarginBps / 10_000,
    acquisitionCostMinor: settings.acquisitionCostMinor,
    retentionCostMinorPerYear: settings.retentionCostMinorPerYear,
  };
}

export async function classicInputs(trx: Trx, merchantId: string, currency: string, settings: CltvSettings, end: Date = now()): Promise<ClassicInputs> {
  return withSettings(await classicOrderFigures(trx, merchantId, currency, end), settings);
}

/** One scan of the merchant's orders (the expensive part of the CLTV page: the summary keeps its result). */
export async function classicOrderFigures(trx: Trx, merchantId: string, currency: string, end: Date): Promise<ClassicOrderFigures> {
  const start = new Date(end.getTime() - 365 * 86_400_000);
  const r = await sql<{ revenue: number | null; orders: number; active: number; prior: number; retained: number }>`
    -- Purchases as the model counts them: fully refunded orders are not, zero-amount ones that stand are.
    with o as (
      select member_id, occurred_at, amount_minor - refunded_minor as net
      from orders
      where merchant_id = ${merchantId} and currency = ${currency} and (refunded_minor = 0 or refunded_minor < amount_minor) and occurred_at <= ${end}
    ),
    per_member as (
      select member_id, bool_or(occurred_at < ${start}) as before, bool_or(occurred_at >= ${start}) as within
      from o group by member_id
    )
    select
      (select sum(net) from o where occurred_at >= ${start})::bigint as revenue,
      (select count(*) from o where occurred_at >= ${start})::int as orders,
      (select count(*) from per_member where within)::int as active,
      (select count(*) from per_member where before)::int as prior,
      (select count(*) from per_member where before and within)::int as retained`.execute(trx);
  const row = r.rows[0]!;
  return {
    revenueMinor: Number(row.revenue ?? 0),
    orders: row.orders,
    activeCustomers: row.active,
    priorCustomers: row.prior,
    retainedCustomers: row.retained,
  };
}

/** What the page shows of the scores of one model: the parts of the report that scan member_stats. */
export type ScoreFigures = Pick<CltvReport, "scoredMembers" | "distribution" | "segments" | "model12mMeanMinor" | "model36mMeanMinor">;

const NO_SCORES: ScoreFigures = { scoredMembers: 0, distribution: null, segments: [], model12mMeanMinor: null, model36mMeanMinor: null };

/**
 * The CLTV page computed from the raw tables at `at` (default now): the reference the maintained summary
 * (summaries.server.ts) is computed with and tested against.
 */
export async function loadCltvReport(trx: Trx, merchantId: string, currency: string, at: Date = now()): Promise<CltvReport> {
  const settings = await getCltvSettings(trx, merchantId);
  const model = await latestModel(trx, merchantId);
  const orders = await classicOrderFigures(trx, merchantId, currency, at);
  const scores = model ? await scoreFigures(trx, merchantId, model.id) : NO_SCORES;
  return assembleCltvReport(currency, settings, model, orders, scores);
}

export function assembleCltvReport(currency: string, settings: CltvSettings, model: CltvModelView | null, orders: ClassicOrderFigures, scores: ScoreFigures): CltvReport {
  const inputs = withSettings(orders, settings);
  return { currency, settings, model, ...(model ? scores : NO_SCORES), classicInputs: inputs, classic: classicFigures(inputs) };
}

export async function scoreFigures(trx: Trx, merchantId: string, modelId: string): Promise<ScoreFigures> {
  const report: ScoreFigures = { ...NO_SCORES };
  const scored = trx.selectFrom("member_stats").where("merchant_id", "=", merchantId).where("cltv_model_id", "=", modelId);
  const totals = await scored
    .select([
      sql<number>`count(*)::int`.as("n"),
      sql<number | null>`avg(cltv_12m_minor)::float8`.as("mean12"),
      sql<number | null>`avg(cltv_36m_minor)::float8`.as("mean36"),
      sql<number | null>`percentile_disc(0.99) within group (order by cltv_12m_minor)`.as("cap"),
    ])
    .executeTakeFirstOrThrow();
  report.scoredMembers = totals.n;
  report.model12mMeanMinor = totals.mean12 === null ? null : Math.round(totals.mean12);
  report.model36mMeanMinor = totals.mean36 === null ? null : Math.round(totals.mean36);
  if (totals.n === 0) return report;

  // Bins of a whole number of minor units, so the axis labels are exact amounts.
  const width = Math.max(1, Math.ceil(Number(totals.cap ?? 0) / HISTOGRAM_BINS));
  const bins = await scored
    .select([sql<number>`least(greatest(cltv_12m_minor, 0) / ${width}, ${HISTOGRAM_BINS - 1})::int`.as("bin"), sql<number>`count(*)::int`.as("n")])
    .groupBy(sql`1`)
    .execute();
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const b of bins) counts[b.bin] = b.n;
  report.distribution = { binWidthMinor: width, counts };

  const aggregate = (q: typeof scored) =>
    q.select([
      sql<number>`count(*)::int`.as("members"),
      sql<number>`coalesce(sum(cltv_12m_minor), 0)::bigint`.as("c12"),
      sql<number>`coalesce(sum(cltv_36m_minor), 0)::bigint`.as("c36"),
      sql<number>`coalesce(sum(lifetime_spend_minor), 0)::bigint`.as("past"),
      sql<number>`coalesce(avg(p_alive), 0)::float8`.as("alive"),
    ]);
  const bySegment = await aggregate(scored).select("value_segment").groupBy("value_segment").execute();
  const atRisk = await aggregate(scored.where("at_risk", "=", true)).executeTakeFirstOrThrow();
  const row = (segment: SegmentRow["segment"], r: { members: number; c12: number; c36: number; past: number; alive: number } | undefined): SegmentRow => ({
    segment,
    members: r?.members ?? 0,
    cltv12mMinor: Number(r?.c12 ?? 0),
    cltv36mMinor: Number(r?.c36 ?? 0),
    pastValueMinor: Number(r?.past ?? 0),
    meanPAlive: r?.alive ?? 0,
  });
  report.segments = [
    row("top", bySegment.find((s) => s.value_segment === "top")),
    row("middle", bySegment.find((s) => s.value_segment === "middle")),
    row("bottom", bySegment.find((s) => s.value_segment === "bottom")),
    row("at_risk", atRisk),
  ];
  return report;
}

/** Member-level CLTV for the admin member page; null until a model has scored the member. */
export async function memberCltv(trx: Trx, merchantId: string, memberId: string): Promise<(MemberCltv & { intervals: StoredIntervals | null }) | null> {
  const r = await trx
    .selectFrom("member_stats")
    .select(["predicted_purchases_12m", "p_alive", "expected_order_minor", "cltv_12m_minor", "cltv_24m_minor", "cltv_36m_minor", "cltv_percentile", "value_segment", "at_risk", "scored_at", ...INTERVAL_COLUMNS])
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .where("cltv_model_id", "is not", null)
    .executeTakeFirst();
  if (!r || r.cltv_12m_minor === null) return null;
  return {
    predictedPurchases12m: r.predicted_purchases_12m ?? 0,
    pAlive: r.p_alive ?? 0,
    expectedOrderMinor: r.expected_order_minor ?? 0,
    cltv12mMinor: r.cltv_12m_minor,
    cltv24mMinor: r.cltv_24m_minor ?? 0,
    cltv36mMinor: r.cltv_36m_minor ?? 0,
    percentile: r.cltv_percentile ?? 0,
    segment: r.value_segment,
    atRisk: r.at_risk ?? false,
    scoredAt: r.scored_at ? new Date(r.scored_at).toISOString() : null,
    intervals: storedIntervals(r),
  };
}
