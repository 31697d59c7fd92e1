/**
 * The merchant's current CLTV model as stored (the newest cltv_models row), the segment counts of the members it
 * scored, and one member's scores — what the REST API serves (GET /api/v1/cltv, GET /api/v1/members/{id}/cltv).
 * The segment figures come from one aggregate scan of member_stats; the classic formulas, which scan every order of
 * the merchant, only when asked for. This is the raw computation; the API reads the same figures from the maintained
 * summary (summaries.server.ts cltvOverviewPage).
 */
import { sql, type Selectable } from "kysely";
import type { Trx } from "~/db.server";
import type { CltvModelsTable } from "~db/schema";
import { classicFigures, type ClassicFigures, type ClassicInputs } from "./classic";
import { classicInputs } from "./report.server";
import type { FitDiagnostics } from "./report-types";
import { storedIntervals, type StoredIntervals } from "./score-intervals";
import { getCltvSettings } from "./settings.server";

export type StoredCltvModel = Omit<Selectable<CltvModelsTable>, "diagnostics"> & { diagnostics: FitDiagnostics };

export interface SegmentFigures {
  members: number;
  cltv12mMinor: number;
  cltv36mMinor: number;
  pastValueMinor: number;
  /** Mean probability alive; null when the segment is empty. */
  meanPAlive: number | null;
}

export interface CurrentCltvModel {
  model: StoredCltvModel;
  /** Members whose scores in member_stats come from this model (the stored `scored_members` is the count at fit time). */
  scoredMembers: number;
  segments: { top: SegmentFigures; middle: SegmentFigures; bottom: SegmentFigures; atRisk: SegmentFigures };
}

export interface ClassicCltv {
  inputs: ClassicInputs;
  figures: ClassicFigures;
}

/** The newest fit of the merchant, or null before the first one. */
export async function latestStoredModel(trx: Trx, merchantId: string): Promise<StoredCltvModel | null> {
  const m = await trx
    .selectFrom("cltv_models")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  return m ? { ...m, diagnostics: m.diagnostics as unknown as FitDiagnostics } : null;
}

type SegmentKey = keyof CurrentCltvModel["segments"];
const SEGMENT_FILTERS: Record<SegmentKey, ReturnType<typeof sql>> = {
  top: sql`value_segment = 'top'`,
  middle: sql`value_segment = 'middle'`,
  bottom: sql`value_segment = 'bottom'`,
  atRisk: sql`at_risk`,
};

export async function segmentFigures(trx: Trx, merchantId: string, modelId: string): Promise<{ scored: number; segments: CurrentCltvModel["segments"] }> {
  const keys = Object.keys(SEGMENT_FILTERS) as SegmentKey[];
  const columns = keys.flatMap((k) => {
    const f = SEGMENT_FILTERS[k];
    return [
      sql<number>`count(*) filter (where ${f})::int`.as(`${k}_n`),
      sql<number>`coalesce(sum(cltv_12m_minor) filter (where ${f}), 0)::bigint`.as(`${k}_c12`),
      sql<number>`coalesce(sum(cltv_36m_minor) filter (where ${f}), 0)::bigint`.as(`${k}_c36`),
      sql<number>`coalesce(sum(lifetime_spend_minor) filter (where ${f}), 0)::bigint`.as(`${k}_past`),
      sql<number | null>`avg(p_alive) filter (where ${f})::float8`.as(`${k}_alive`),
    ];
  });
  const row = (await trx
    .selectFrom("member_stats")
    .select([sql<number>`count(*)::int`.as("scored"), ...columns])
    .where("merchant_id", "=", merchantId)
    .where("cltv_model_id", "=", modelId)
    .executeTakeFirstOrThrow()) as unknown as Record<string, number | null>;
  const figures = (k: SegmentKey): SegmentFigures => ({
    members: Number(row[`${k}_n`] ?? 0),
    cltv12mMinor: Number(row[`${k}_c12`] ?? 0),
    cltv36mMinor: Number(row[`${k}_c36`] ?? 0),
    pastValueMinor: Number(row[`${k}_past`] ?? 0),
    meanPAlive: row[`${k}_alive`] ?? null,
  });
  return { scored: Number(row.scored ?? 0), segments: { top: figures("top"), middle: figures("middle"), bottom: figures("bottom"), atRisk: figures("atRisk") } };
}

/** The current model with its segment counts (null before the first fit), and the classic formulas when asked for. */
export async function cltvModelOverview(
  trx: Trx,
  merchantId: string,
  currency: string,
  opts: { classic?: boolean; at?: Date } = {},
): Promise<{ current: CurrentCltvModel | null; classic: ClassicCltv | null }> {
  const model = await latestStoredModel(trx, merchantId);
  let current: CurrentCltvModel | null = null;
  if (model) {
    const { scored, segments } = await segmentFigures(trx, merchantId, model.id);
    current = { model, scoredMembers: scored, segments };
  }
  let classic: ClassicCltv | null = null;
  if (opts.classic) {
    // The same figures as the CLTV page's classic table (report.server.ts), with the merchant's CLTV settings.
    const inputs = await classicInputs(trx, merchantId, currency, await getCltvSettings(trx, merchantId), opts.at);
    classic = { inputs, figures: classicFigures(inputs) };
  }
  return { current, classic };
}

export interface MemberCltvScores {
  orderCount: number;
  lifetimeSpendMinor: number;
  /** Null until a model has scored the member; every score below is null then too. */
  modelId: string | null;
  scoredAt: Date | null;
  predictedPurchases12m: number | null;
  pAlive: number | null;
  expectedOrderMinor: number | null;
  cltv12mMinor: number | null;
  cltv24mMinor: number | null;
  cltv36mMinor: number | null;
  percentile: number | null;
  segment: "top" | "middle" | "bottom" | null;
  atRisk: boolean | null;
  /** 90% intervals (issue 16 §4); null when not scored, on a ridge, or scored before they were stored. */
  intervals: StoredIntervals | null;
}

/** A member's stored scores (the member must already be known to belong to the merchant). */
export async function memberCltvScores(trx: Trx, merchantId: string, memberId: string): Promise<MemberCltvScores> {
  const r = await trx
    .selectFrom("member_stats")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .executeTakeFirst();
  const scored = !!r && r.cltv_model_id !== null && r.cltv_12m_minor !== null;
  return {
    orderCount: r?.order_count ?? 0,
    lifetimeSpendMinor: r?.lifetime_spend_minor ?? 0,
    modelId: scored ? r.cltv_model_id : null,
    scoredAt: scored && r.scored_at ? new Date(r.scored_at) : null,
    predictedPurchases12m: scored ? r.predicted_purchases_12m : null,
    pAlive: scored ? r.p_alive : null,
    expectedOrderMinor: scored ? r.expected_order_minor : null,
    cltv12mMinor: scored ? r.cltv_12m_minor : null,
    cltv24mMinor: scored ? r.cltv_24m_minor : null,
    cltv36mMinor: scored ? r.cltv_36m_minor : null,
    percentile: scored ? r.cltv_percentile : null,
    segment: scored ? r.value_segment : null,
    atRisk: scored ? r.at_risk : null,
    intervals: scored ? storedIntervals(r) : null,
  };
}
