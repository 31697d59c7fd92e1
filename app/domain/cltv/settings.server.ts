/** The merchant's CLTV economics (Settings → CLTV): gross margin, acquisition and retention cost, discount rate. */
import { z } from "zod";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import type { Trx } from "~/db.server";
import type { CltvSettings } from "./report-types";

export type { CltvSettings } from "./report-types";

/** Until the merchant says otherwise: a 40% margin, no costs, 10% a year. */
export const DEFAULT_CLTV_SETTINGS: CltvSettings = { grossMarginBps: 4000, acquisitionCostMinor: 0, retentionCostMinorPerYear: 0, annualDiscountRateBps: 1000 };

export const cltvSettingsSchema = z.object({
  grossMarginBps: z.number().int().min(0).max(10_000),
  acquisitionCostMinor: z.number().int().min(0).max(1_000_000_000),
  retentionCostMinorPerYear: z.number().int().min(0).max(1_000_000_000),
  annualDiscountRateBps: z.number().int().min(0).max(10_000),
});

export async function getCltvSettings(trx: Trx, merchantId: string): Promise<CltvSettings> {
  const row = await trx.selectFrom("cltv_settings").selectAll().where("merchant_id", "=", merchantId).executeTakeFirst();
  if (!row) return { ...DEFAULT_CLTV_SETTINGS };
  return {
    grossMarginBps: row.gross_margin_bps,
    acquisitionCostMinor: row.acquisition_cost_minor,
    retentionCostMinorPerYear: row.retention_cost_minor_per_year,
    annualDiscountRateBps: row.annual_discount_rate_bps,
  };
}

export async function saveCltvSettings(trx: Trx, merchantId: string, actor: Actor, input: CltvSettings): Promise<CltvSettings> {
  const next = cltvSettingsSchema.parse(input);
  const before = await getCltvSettings(trx, merchantId);
  const values = {
    gross_margin_bps: next.grossMarginBps,
    acquisition_cost_minor: next.acquisitionCostMinor,
    retention_cost_minor_per_year: next.retentionCostMinorPerYear,
    annual_discount_rate_bps: next.annualDiscountRateBps,
    updated_by: actor.id,
  };
  await trx
    .insertInto("cltv_settings")
    .values({ merchant_id: merchantId, ...values })
    .onConflict((oc) => oc.column("merchant_id").doUpdateSet({ ...values, updated_at: new Date() }))
    .execute();
  await recordAudit(trx, merchantId, actor, "cltv.settings_updated", { type: "merchant", id: merchantId }, { before, after: next });
  return next;
}

/**
 * How the incrementality report costs rewards bought with points (issue 16): 'point_value' (the points × the point
 * value of the earning rules) or 'reward_cost' (the reward's cost to the merchant where one is set, else the point
 * value). Kept beside the CLTV economics; a change recomputes the reports' summaries (their basis holds it).
 */
export const POINTS_COST_BASES = ["point_value", "reward_cost"] as const;
export type PointsCostBasis = (typeof POINTS_COST_BASES)[number];

export async function getPointsCostBasis(trx: Trx, merchantId: string): Promise<PointsCostBasis> {
  const row = await trx.selectFrom("cltv_settings").select("points_cost_basis").where("merchant_id", "=", merchantId).executeTakeFirst();
  return row?.points_cost_basis ?? "point_value";
}

export async function savePointsCostBasis(trx: Trx, merchantId: string, actor: Actor, basis: PointsCostBasis): Promise<PointsCostBasis> {
  const next = z.enum(POINTS_COST_BASES).parse(basis);
  const before = await getPointsCostBasis(trx, merchantId);
  if (before === next) return next;
  await trx
    .insertInto("cltv_settings")
    .values({ merchant_id: merchantId, points_cost_basis: next, updated_by: actor.id })
    .onConflict((oc) => oc.column("merchant_id").doUpdateSet({ points_cost_basis: next, updated_by: actor.id, updated_at: new Date() }))
    .execute();
  await recordAudit(trx, merchantId, actor, "cltv.points_cost_basis_updated", { type: "merchant", id: merchantId }, { before: { pointsCostBasis: before }, after: { pointsCostBasis: next } });
  return next;
}

/**
 * How the purchase models are fitted (issue 16 §4), beside the economics: lifetimes' L2 penalizer on the
 * log-parameters (0 = plain maximum likelihood; small merchants may want 0.001–0.1) and whether purchase opportunities
 * are discrete (one per `discretePeriodDays`: a yearly appeal, a weekly class), which scores with BG/BB instead of the
 * continuous-time models chosen by holdout error. Exported for the settings API.
 */
export const cltvModelSettingsSchema = z.object({
  penalizer: z.number().min(0).max(10),
  /** Null: purchases can happen at any time. */
  discretePeriodDays: z.number().int().min(1).max(3660).nullable(),
});
export type CltvModelSettings = z.infer<typeof cltvModelSettingsSchema>;
export const DEFAULT_CLTV_MODEL_SETTINGS: CltvModelSettings = { penalizer: 0, discretePeriodDays: null };

export async function getCltvModelSettings(trx: Trx, merchantId: string): Promise<CltvModelSettings> {
  const row = await trx.selectFrom("cltv_settings").select(["penalizer_coef", "discrete_period_days"]).where("merchant_id", "=", merchantId).executeTakeFirst();
  if (!row) return { ...DEFAULT_CLTV_MODEL_SETTINGS };
  return { penalizer: Number(row.penalizer_coef), discretePeriodDays: row.discrete_period_days };
}

export async function saveCltvModelSettings(trx: Trx, merchantId: string, actor: Actor, input: CltvModelSettings): Promise<CltvModelSettings> {
  const next = cltvModelSettingsSchema.parse(input);
  const before = await getCltvModelSettings(trx, merchantId);
  if (before.penalizer === next.penalizer && before.discretePeriodDays === next.discretePeriodDays) return next;
  const values = { penalizer_coef: next.penalizer, discrete_period_days: next.discretePeriodDays, updated_by: actor.id };
  await trx
    .insertInto("cltv_settings")
    .values({ merchant_id: merchantId, ...values })
    .onConflict((oc) => oc.column("merchant_id").doUpdateSet({ ...values, updated_at: new Date() }))
    .execute();
  await recordAudit(trx, merchantId, actor, "cltv.model_settings_updated", { type: "merchant", id: merchantId }, { before, after: next });
  return next;
}
