import { z } from "zod";
import type { ClassicCltv, CurrentCltvModel, MemberCltvScores, SegmentFigures, StoredCltvModel } from "~/domain/cltv/current-model.server";

/**
 * Shapes of GET /api/v1/cltv and GET /api/v1/members/{id}/cltv (CLTV over the API); they also generate the OpenAPI
 * operations (app/api/cltv-openapi.ts). Money is integer minor units of `currency`; names are snake_case.
 */

export const CltvModelQuery = z.object({
  include: z
    .enum(["classic"], { error: "include must be classic" })
    .optional()
    .meta({ description: "`classic` adds the classic CLV formulas (ARPU × margin × lifetime, …) computed now from the last 12 months of orders; this scans every order of the store, so ask only when you need them" }),
});

const nullableMinor = z.number().int().nullable();

export const MemberCltvSchema = z
  .object({
    member_id: z.string().meta({ example: "mbr_tt3gadndsmzdpsn24id347kc4f" }),
    scored: z.boolean().meta({ description: "False until the model has scored the member (no orders yet, or no model yet); every score is null then" }),
    model_id: z.string().nullable().meta({ description: "The CLTV model (fit) the scores come from", example: "clm_3kq7yq2hmnxl5qmy4srpx6sq4e" }),
    scored_at: z.string().nullable().meta({ format: "date-time" }),
    currency: z.string().meta({ example: "USD" }),
    order_count: z.number().int().meta({ description: "Orders to date" }),
    lifetime_spend_minor: z.number().int().meta({ description: "Spend to date, net of refunds" }),
    predicted_purchases_12m: z.number().nullable().meta({ description: "Expected purchases in the next 12 months (BG/NBD)" }),
    p_alive: z.number().nullable().meta({ description: "Probability the member is still an active customer (BG/NBD), 0–1" }),
    expected_order_minor: nullableMinor.meta({ description: "Expected value of a future order (Gamma-Gamma)" }),
    cltv_12m_minor: nullableMinor.meta({ description: "Predicted gross margin over the next 12 months, discounted monthly" }),
    cltv_24m_minor: nullableMinor,
    cltv_36m_minor: nullableMinor,
    cltv_percentile: z.number().nullable().meta({ description: "Share of scored members with a lower 12-month CLTV, 0–100" }),
    value_segment: z.enum(["top", "middle", "bottom"]).nullable().meta({ description: "Top / bottom 20% or middle 60% by 12-month CLTV" }),
    at_risk: z.boolean().nullable().meta({ description: "Past spend in the top 30% and probability alive below ½" }),
    intervals: z
      .object({
        level: z.number().meta({ description: "Central coverage of each interval", example: 0.9 }),
        predicted_purchases_12m: z.tuple([z.number(), z.number()]),
        p_alive: z.tuple([z.number(), z.number()]),
        cltv_12m_minor: z.tuple([z.number().int(), z.number().int()]),
      })
      .nullable()
      .meta({
        description:
          "90% intervals [low, high] from a parametric bootstrap over the fitted parameters' covariance (draws shared by every member); null when not scored or when the fit sits on a ridge",
      }),
  })
  .meta({ id: "MemberCltv" });

const BgNbdSchema = z.object({ r: z.number(), alpha: z.number(), a: z.number(), b: z.number(), log_likelihood: z.number() });

const DiagnosticsSchema = z
  .object({
    bgnbd: z.object({ evaluations: z.number().int(), gradient_norm: z.number(), starts: z.number().int() }),
    gamma_gamma: z.object({ evaluations: z.number().int(), gradient_norm: z.number() }).nullable(),
    gamma_gamma_note: z.string().nullable().meta({ description: "Why Gamma-Gamma was not fitted (members then get the mean order value)" }),
    calibration: z
      .array(z.object({ x: z.string().meta({ description: "Repeat purchases in calibration: \"0\" … \"6\", \"7+\"" }), actual: z.number().int(), expected: z.number() }))
      .meta({ description: "Customers by repeat purchases, actual against the model's expected count" }),
    validation: z
      .object({
        calibration_end: z.string().meta({ format: "date" }),
        bgnbd: BgNbdSchema,
        holdout: z.object({
          start: z.string().meta({ format: "date" }),
          end: z.string().meta({ format: "date" }),
          length: z.number().meta({ description: "Holdout length in time units" }),
          actual: z.number(),
          predicted: z.number(),
          by_x: z.array(z.object({ x: z.string(), customers: z.number().int(), actual_mean: z.number(), predicted_mean: z.number() })),
        }),
      })
      .nullable()
      .meta({ description: "A second fit with the last part of the history held out, and how well it predicted it; null with too little history" }),
    settings: z.object({ gross_margin_bps: z.number().int(), annual_discount_rate_bps: z.number().int() }).meta({ description: "The CLTV settings the scores were computed with" }),
    fit_ms: z.number(),
    score_ms: z.number(),
    write_ms: z.number(),
  })
  .meta({ id: "CltvDiagnostics" });

const SegmentSchema = z.object({
  members: z.number().int(),
  cltv_12m_total_minor: z.number().int(),
  cltv_36m_total_minor: z.number().int(),
  past_value_total_minor: z.number().int().meta({ description: "Spend to date of these members, net of refunds" }),
  mean_p_alive: z.number().nullable(),
});

const ClassicSchema = z
  .object({
    inputs: z.object({
      revenue_12m_minor: z.number().int(),
      orders_12m: z.number().int(),
      active_customers_12m: z.number().int(),
      prior_customers: z.number().int().meta({ description: "Customers with an order before the last 12 months" }),
      retained_customers: z.number().int().meta({ description: "… of whom bought again in the last 12 months" }),
      gross_margin: z.number(),
      acquisition_cost_minor: z.number().int(),
      retention_cost_minor_per_year: z.number().int(),
    }),
    figures: z.object({
      arpu_minor: nullableMinor,
      average_order_minor: nullableMinor,
      purchase_frequency_per_year: z.number().nullable(),
      annual_churn: z.number().nullable(),
      expected_lifetime_years: z.number().nullable(),
      arpu_x_margin_x_lifetime_minor: nullableMinor,
      ltv_minor: nullableMinor,
      ltv_net_of_costs_minor: nullableMinor,
      clv_minor: nullableMinor.meta({ description: "LTV × gross margin" }),
    }),
  })
  .meta({ id: "CltvClassicFigures" });

const CltvModelSchema = z
  .object({
    id: z.string().meta({ example: "clm_3kq7yq2hmnxl5qmy4srpx6sq4e" }),
    model_version: z.string(),
    fitted_at: z.string().meta({ format: "date-time" }),
    time_unit: z.enum(["day", "week"]),
    calibration_start: z.string().nullable().meta({ format: "date", description: "First order day in the fit" }),
    calibration_end: z.string().meta({ format: "date", description: "Last day of orders in the fit" }),
    currency: z.string(),
    customers: z.object({
      total: z.number().int(),
      repeat: z.number().int().meta({ description: "Customers with at least one repeat purchase" }),
      unique_rows: z.number().int().meta({ description: "Distinct (x, t_x, T) rows the likelihood was evaluated on" }),
      scored: z.number().int().meta({ description: "Members scored by this fit when it ran" }),
    }),
    bgnbd: BgNbdSchema.extend({ converged: z.boolean(), iterations: z.number().int() }).meta({ description: "BG/NBD parameters (maximum likelihood)" }),
    gamma_gamma: z
      .object({ p: z.number(), q: z.number(), gamma: z.number(), log_likelihood: z.number(), customers: z.number().int(), converged: z.boolean().nullable() })
      .nullable()
      .meta({ description: "Gamma-Gamma spend parameters; null when too few repeat customers" }),
    duration_ms: z.number().int(),
    diagnostics: DiagnosticsSchema,
  })
  .meta({ id: "CltvModel" });

export const CltvModelResponse = z
  .object({
    currency: z.string().meta({ example: "USD" }),
    model: CltvModelSchema.nullable().meta({ description: "The current (newest) fit; null before the first one" }),
    scored_members: z.number().int().meta({ description: "Members whose current scores come from this model" }),
    mean_cltv_12m_minor: nullableMinor,
    mean_cltv_36m_minor: nullableMinor,
    segments: z
      .object({ top: SegmentSchema, middle: SegmentSchema, bottom: SegmentSchema, at_risk: SegmentSchema })
      .nullable()
      .meta({ description: "Top 20%, middle 60% and bottom 20% of scored members by 12-month CLTV, and the at-risk members; null without a model" }),
    classic: ClassicSchema.nullable().meta({ description: "Only with `include=classic`" }),
  })
  .meta({ id: "CltvModelReport" });

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

export function toApiMemberCltv(memberId: string, currency: string, s: MemberCltvScores): z.infer<typeof MemberCltvSchema> {
  return {
    member_id: memberId,
    scored: s.modelId !== null,
    model_id: s.modelId,
    scored_at: iso(s.scoredAt),
    currency,
    order_count: s.orderCount,
    lifetime_spend_minor: s.lifetimeSpendMinor,
    predicted_purchases_12m: s.predictedPurchases12m,
    p_alive: s.pAlive,
    expected_order_minor: s.expectedOrderMinor,
    cltv_12m_minor: s.cltv12mMinor,
    cltv_24m_minor: s.cltv24mMinor,
    cltv_36m_minor: s.cltv36mMinor,
    cltv_percentile: s.percentile,
    value_segment: s.segment,
    at_risk: s.atRisk,
    intervals: s.intervals ? { level: s.intervals.level, predicted_purchases_12m: s.intervals.predictedPurchases12m, p_alive: s.intervals.pAlive, cltv_12m_minor: s.intervals.cltv12mMinor } : null,
  };
}

function modelOut(m: StoredCltvModel): z.infer<typeof CltvModelSchema> {
  const d = m.diagnostics;
  const v = d.validation ?? null;
  return {
    id: m.id,
    model_version: m.model_version,
    fitted_at: new Date(m.created_at).toISOString(),
    time_unit: m.time_unit,
    calibration_start: m.calibration_start,
    calibration_end: m.calibration_end,
    currency: m.currency,
    customers: { total: m.customers, repeat: m.repeat_customers, unique_rows: m.unique_rows, scored: m.scored_members },
    bgnbd: { r: m.bgnbd_r, alpha: m.bgnbd_alpha, a: m.bgnbd_a, b: m.bgnbd_b, log_likelihood: m.bgnbd_log_likelihood, converged: m.bgnbd_converged, iterations: m.bgnbd_iterations },
    gamma_gamma:
      m.gg_p !== null && m.gg_q !== null && m.gg_gamma !== null && m.gg_log_likelihood !== null
        ? { p: m.gg_p, q: m.gg_q, gamma: m.gg_gamma, log_likelihood: m.gg_log_likelihood, customers: m.gg_customers ?? 0, converged: m.gg_converged }
        : null,
    duration_ms: m.duration_ms,
    diagnostics: {
      bgnbd: { evaluations: d.bgnbd.evaluations, gradient_norm: d.bgnbd.gradientNorm, starts: d.bgnbd.starts },
      gamma_gamma: d.gammaGamma ? { evaluations: d.gammaGamma.evaluations, gradient_norm: d.gammaGamma.gradientNorm } : null,
      gamma_gamma_note: d.gammaGammaNote ?? null,
      calibration: d.calibration.map((r) => ({ x: r.x, actual: r.actual, expected: r.expected })),
      validation: v
        ? {
            calibration_end: v.calibrationEnd,
            bgnbd: { r: v.bgnbd.r, alpha: v.bgnbd.alpha, a: v.bgnbd.a, b: v.bgnbd.b, log_likelihood: v.bgnbd.logLikelihood },
            holdout: {
              start: v.holdout.start,
              end: v.holdout.end,
              length: v.holdout.length,
              actual: v.holdout.actual,
              predicted: v.holdout.predicted,
              by_x: v.holdout.byX.map((r) => ({ x: r.x, customers: r.customers, actual_mean: r.actualMean, predicted_mean: r.predictedMean })),
            },
          }
        : null,
      settings: { gross_margin_bps: d.settings.grossMarginBps, annual_discount_rate_bps: d.settings.annualDiscountRateBps },
      fit_ms: d.fitMs,
      score_ms: d.scoreMs,
      write_ms: d.writeMs,
    },
  };
}

const segmentOut = (s: SegmentFigures): z.infer<typeof SegmentSchema> => ({
  members: s.members,
  cltv_12m_total_minor: s.cltv12mMinor,
  cltv_36m_total_minor: s.cltv36mMinor,
  past_value_total_minor: s.pastValueMinor,
  mean_p_alive: s.meanPAlive,
});

export function toApiCltvModel(currency: string, current: CurrentCltvModel | null, classic: ClassicCltv | null): z.infer<typeof CltvModelResponse> {
  const seg = current?.segments;
  const scored = current?.scoredMembers ?? 0;
  // Every scored member is in exactly one of top / middle / bottom.
  const mean = (total: (s: SegmentFigures) => number) => (seg && scored > 0 ? Math.round((total(seg.top) + total(seg.middle) + total(seg.bottom)) / scored) : null);
  return {
    currency,
    model: current ? modelOut(current.model) : null,
    scored_members: scored,
    mean_cltv_12m_minor: mean((s) => s.cltv12mMinor),
    mean_cltv_36m_minor: mean((s) => s.cltv36mMinor),
    segments: seg ? { top: segmentOut(seg.top), middle: segmentOut(seg.middle), bottom: segmentOut(seg.bottom), at_risk: segmentOut(seg.atRisk) } : null,
    classic: classic
      ? {
          inputs: {
            revenue_12m_minor: classic.inputs.revenueMinor,
            orders_12m: classic.inputs.orders,
            active_customers_12m: classic.inputs.activeCustomers,
            prior_customers: classic.inputs.priorCustomers,
            retained_customers: classic.inputs.retainedCustomers,
            gross_margin: classic.inputs.grossMargin,
            acquisition_cost_minor: classic.inputs.acquisitionCostMinor,
            retention_cost_minor_per_year: classic.inputs.retentionCostMinorPerYear,
          },
          figures: {
            arpu_minor: classic.figures.arpuMinor,
            average_order_minor: classic.figures.averageOrderMinor,
            purchase_frequency_per_year: classic.figures.purchaseFrequency,
            annual_churn: classic.figures.annualChurn,
            expected_lifetime_years: classic.figures.expectedLifetime,
            arpu_x_margin_x_lifetime_minor: classic.figures.arpuFormulaMinor,
            ltv_minor: classic.figures.ltvMinor,
            ltv_net_of_costs_minor: classic.figures.ltvNetOfCostsMinor,
            clv_minor: classic.figures.clvMinor,
          },
        }
      : null,
  };
}
