/**
 * The CLTV page's maintained summary (cltv_summaries, issue 14): the aggregates that scan the merchant's orders and
 * member_stats — the classic formulas' order figures and the current model's score distribution and segments — kept
 * as of `computed_at`, so the page and GET /api/v1/cltv read one row whatever the merchant's size. Written by CLTV
 * scoring (fitAndScoreMerchant, same transaction), the summaries job (app/jobs/tasks/summaries.ts) and the page's
 * "Refresh now"; computed by the very functions the raw page used (report.server.ts), so the figures are exactly
 * those of the raw computation at `computed_at`. Settings (margin, costs) are applied on read.
 */
import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { now } from "~/lib/clock.server";
import { classicFigures } from "./classic";
import { latestStoredModel, segmentFigures, type ClassicCltv, type CurrentCltvModel } from "./current-model.server";
import { assembleCltvReport, classicOrderFigures, latestModel, scoreFigures, withSettings, type ClassicOrderFigures, type ScoreFigures } from "./report.server";
import type { CltvReport } from "./report-types";
import { getCltvSettings } from "./settings.server";

export interface CltvSummaryData {
  /** The classic formulas' order figures over the 12 months ending at computed_at. */
  orders: ClassicOrderFigures;
  /** The page's figures of the model in the basis (empty without a model). */
  scores: ScoreFigures;
  /** GET /api/v1/cltv's segment figures of the same model (null without a model). */
  overview: { scored: number; segments: CurrentCltvModel["segments"] } | null;
}

/** What the figures were computed under: a row with another currency or model is not used. */
interface CltvBasis {
  currency: string;
  modelId: string | null;
}

export interface CltvSummary {
  computedAt: Date;
  data: CltvSummaryData;
}

const EMPTY_SCORES: ScoreFigures = { scoredMembers: 0, distribution: null, segments: [], model12mMeanMinor: null, model36mMeanMinor: null };

/** Recomputes the merchant's summary from the raw tables at `at` and stores it. */
export async function refreshCltvSummary(trx: Trx, merchantId: string, currency: string, at: Date = now()): Promise<CltvSummary> {
  const model = await latestStoredModel(trx, merchantId);
  const data: CltvSummaryData = {
    orders: await classicOrderFigures(trx, merchantId, currency, at),
    scores: model ? await scoreFigures(trx, merchantId, model.id) : EMPTY_SCORES,
    overview: model ? await segmentFigures(trx, merchantId, model.id) : null,
  };
  const basis: CltvBasis = { currency, modelId: model?.id ?? null };
  await sql`
    insert into cltv_summaries as s (merchant_id, computed_at, basis, data)
    values (${merchantId}, ${at}, ${JSON.stringify(basis)}::jsonb, ${JSON.stringify(data)}::jsonb)
    on conflict (merchant_id) do update set computed_at = excluded.computed_at, basis = excluded.basis, data = excluded.data
    where s.computed_at <= excluded.computed_at`.execute(trx);
  return { computedAt: at, data };
}

/**
 * The stored summary when it was computed for this currency and model; otherwise (first view, a new model or
 * currency) it is computed now and stored, so only that one view pays for the scan.
 */
export async function cltvSummary(trx: Trx, merchantId: string, currency: string, modelId: string | null): Promise<CltvSummary> {
  const row = await trx.selectFrom("cltv_summaries").select(["computed_at", "basis", "data"]).where("merchant_id", "=", merchantId).executeTakeFirst();
  const basis = row?.basis as CltvBasis | undefined;
  if (row && basis?.currency === currency && basis.modelId === modelId) return { computedAt: row.computed_at, data: row.data as CltvSummaryData };
  return refreshCltvSummary(trx, merchantId, currency);
}

/** The CLTV page (and its CSV) from the summary: the same report the raw loadCltvReport gives at `asOf`. */
export async function cltvReportPage(trx: Trx, merchantId: string, currency: string): Promise<{ report: CltvReport; asOf: Date }> {
  const settings = await getCltvSettings(trx, merchantId);
  const model = await latestModel(trx, merchantId);
  const summary = await cltvSummary(trx, merchantId, currency, model?.id ?? null);
  return { report: assembleCltvReport(currency, settings, model, summary.data.orders, summary.data.scores), asOf: summary.computedAt };
}

/** GET /api/v1/cltv from the summary: the same figures cltvModelOverview computes from the raw tables at `asOf`. */
export async function cltvOverviewPage(
  trx: Trx,
  merchantId: string,
  currency: string,
  opts: { classic?: boolean } = {},
): Promise<{ current: CurrentCltvModel | null; classic: ClassicCltv | null; asOf: Date }> {
  const model = await latestStoredModel(trx, merchantId);
  const summary = await cltvSummary(trx, merchantId, currency, model?.id ?? null);
  const overview = summary.data.overview;
  const current = model && overview ? { model, scoredMembers: overview.scored, segments: overview.segments } : null;
  let classic: ClassicCltv | null = null;
  if (opts.classic) {
    const inputs = withSettings(summary.data.orders, await getCltvSettings(trx, merchantId));
    classic = { inputs, figures: classicFigures(inputs) };
  }
  return { current, classic, asOf: summary.computedAt };
}
