import { z } from "zod";
import type { IncrementalityReport } from "~/domain/incrementality/report.server";

/** Request and response shapes of GET /api/v1/reports/incrementality (issue 6); they also generate its OpenAPI operation. */

const instant = (name: string) =>
  z
    .string()
    .trim()
    .max(40)
    .refine((v) => !Number.isNaN(new Date(v).getTime()), `${name} must be an ISO date or timestamp`)
    .transform((v) => new Date(v))
    .optional();

export const IncrementalityQuery = z
  .strictObject({
    program: z
      .string({ error: "program is required" })
      .trim()
      .min(1, "program is required")
      .max(64)
      .meta({ description: "An experiment id (`exp_…`), or `loyalty_program` / `referral_program` for the program's holdout", example: "loyalty_program" }),
    arm: z.string().trim().min(1).max(60).optional().meta({ description: "Only this arm against the control (default: every arm)" }),
    from: instant("from").meta({ description: "Count orders, redemptions and grants at or after this time", example: "2026-01-01" }),
    to: instant("to").meta({ description: "… and before this time", example: "2026-12-31" }),
    window_days: z.coerce.number().int().min(1).max(3650).optional().meta({ description: "Only the first N days after each member's assignment" }),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { message: "from must be before to", path: ["to"] });

const ci = z.tuple([z.number(), z.number()]).meta({ description: "95% confidence interval (Welch)" });

const ArmSchema = z.object({
  arm: z.string(),
  control: z.boolean(),
  n: z.number().int(),
  mean: z.number().meta({ description: "Net value per member in minor units: gross margin + predicted residual CLTV − program cost (outstanding-points liability included)" }),
  sd: z.number(),
  revenue: z.object({ mean: z.number(), sd: z.number() }).meta({ description: "Spend per member (orders net of refunds), minor units" }),
  gross_margin_per_member: z.number(),
  predicted_cltv_per_member: z.number().nullable().meta({ description: "The CLTV model's 12-month CLTV; null when no member is scored" }),
  cost: z
    .object({
      per_member: z.number(),
      total: z.number().meta({ description: "points_minor + rewards_minor + liability_minor" }),
      points_redeemed: z.number(),
      points_minor: z.number().meta({ description: "Redeemed points costed per `points_cost_basis`, minor units" }),
      rewards_minor: z.number().meta({ description: "Rewards without points at what they took off when used (a code never used costs 0), minor units" }),
      liability_minor: z.number().meta({ description: "Points held now (available + pending) × point value × (1 − breakage), minor units" }),
    })
    .meta({ description: "What the merchant gave up, counted when it gave it up (issue 16)" }),
  outstanding_points: z.number().meta({ description: "Points the arm's members hold at report time (available + pending)" }),
  join_rate: z.number().nullable(),
});

const AdjustedSchema = z
  .object({
    lift: z.number(),
    se: z.number(),
    df: z.number(),
    ci95: z.tuple([z.number(), z.number()]),
    pValue: z.number(),
    covariates: z.array(z.string()).meta({ description: "Covariates used (one that does not vary in both arms, or is collinear, is dropped)" }),
    variance_reduction: z.number().meta({ description: "1 − SE²(adjusted) / SE²(Welch)" }),
  })
  .meta({
    description:
      "Regression adjustment (Lin 2013: OLS with the treatment, the pre-assignment covariates centred at their pooled mean, and their interactions) with a heteroskedasticity-robust SE; Welch–Satterthwaite df",
  });

const ComparisonSchema = z.object({
  arm: z.string(),
  lift: z.number().meta({ description: "Incremental net value (CLTV) per member vs control, minor units" }),
  ci95: ci,
  pValue: z.number(),
  t: z.number(),
  df: z.number(),
  se: z.number().meta({ description: "Standard error of `lift` (Welch, with the prediction's uncertainty added: see `prediction`)" }),
  prediction: z
    .object({
      se: z.number().meta({ description: "SE of the arm difference in mean predicted residual CLTV from the CLTV model's parameter uncertainty (parametric bootstrap)" }),
      sampling_se: z.number().meta({ description: "Welch's sampling SE alone; se² = sampling_se² + prediction.se²" }),
    })
    .nullable()
    .meta({ description: "The predicted CLTV's own uncertainty in the net-value intervals; null without a model covariance (no model, or a ridge)" }),
  cuped: z.object({ theta: z.number(), lift: z.number(), ci95: ci, pValue: z.number(), varianceReduction: z.number() }),
  regression: AdjustedSchema,
  revenue: z
    .object({ lift: z.number(), se: z.number(), df: z.number(), ci95: ci, pValue: z.number(), t: z.number(), regression: AdjustedSchema })
    .meta({ description: "Revenue (orders net of refunds) per member, arm minus control, minor units: Welch, and regression-adjusted" }),
  cost: z.number().meta({ description: "Program cost per member, arm minus control" }),
  net: z.object({ per_member: z.number(), total: z.number(), total_ci95: ci }).meta({ description: "Incremental CLTV net of cost, per member and for the whole arm" }),
  complier: z
    .object({ effect: z.number(), se: z.number(), ci95: ci, join_rate_difference: z.number() })
    .nullable()
    .meta({ description: "Opt-in programs: ITT / join-rate difference; SE and interval by the delta method, counting the join rates' own sampling error" }),
  mde: z.number().meta({ description: "Minimum detectable lift per member at 80% power, α = 0.05" }),
});

const RateSchema = z.object({
  rate: z.number().nullable().meta({ description: "Qualified conversions / landing devices; null without landings" }),
  ci95: z.tuple([z.number(), z.number()]).nullable().meta({ description: "Wilson 95% interval" }),
});

const ReferralSchema = z
  .object({
    friend_holdout: z.boolean().meta({ description: "False when the friend holdout never had a landing: only value and reward cost are given" }),
    arms: z.array(
      z.object({
        arm: z.enum(["offer", "holdout"]),
        landing_devices: z.number().int(),
        signups: z.number().int(),
        conversions: z.number().int().meta({ description: "Sign-ups whose member then met the program's qualifying rule" }),
        conversion_rate: RateSchema,
        mean_value: z.number().nullable().meta({ description: "Value per converted friend, minor units: realized gross margin since sign-up + predicted residual CLTV" }),
      }),
    ),
    p_organic: z
      .object({ estimate: z.number(), ci95: z.tuple([z.number(), z.number()]).meta({ description: "Katz log-ratio 95% interval" }) })
      .nullable()
      .meta({ description: "Share of invited friends who qualified with the welcome gift who would have qualified without it: conversion(holdout) / conversion(offer)" }),
    referred: z
      .object({ converts: z.number().int(), realized_margin: z.number(), predicted_cltv: z.number(), total: z.number(), per_member: z.number().nullable() })
      .meta({ description: "Value of referred members who converted (offer arm while the holdout runs), minor units" }),
    reward_cost: z
      .object({
        points_paid: z.number(),
        points_minor: z.number(),
        rewards_minor: z.number(),
        total: z.number(),
        friend: z.number().meta({ description: "The welcome gifts (friend payouts), minor units" }),
        referrer: z.number().meta({ description: "Referrer and ancestor payouts, minor units" }),
      })
      .meta({ description: "Referral payouts not reversed (offer arm while the holdout runs), minor units" }),
    premium: z.number().nullable().meta({ description: "converts × p_organic × (mean value offer − mean value holdout), minor units" }),
    incremental: z
      .object({ value: z.number(), ci95: z.tuple([z.number(), z.number()]) })
      .nullable()
      .meta({ description: "What the welcome gift added: Σ value × (1 − p_organic) + premium − friend rewards − referrer rewards × (1 − p_organic), minor units; interval at p_organic's interval ends" }),
  })
  .meta({ description: "Referral program only: the friend holdout (the friend's welcome gift randomized at the landing page; held-out friends are still referrals)" });

export const IncrementalityResponse = z
  .object({
    program: z.object({ id: z.string(), kind: z.string(), name: z.string(), assignment: z.string(), holdout_bps: z.number().int(), status: z.string() }),
    currency: z.string(),
    gross_margin_bps: z.number().int(),
    points_cost_basis: z
      .enum(["point_value", "reward_cost"])
      .meta({ description: "How points-funded rewards are costed (CLTV setting): the point value, or the reward's cost to the merchant where one is set" }),
    breakage: z
      .object({
        bps: z.number().int().meta({ description: "Expected breakage of outstanding points, basis points" }),
        source: z.enum(["history", "default"]).meta({ description: "history: expired share of the merchant's settled lots; default: too little history" }),
        settled_lots: z.number().int(),
        settled_points: z.number(),
        expired_points: z.number(),
      })
      .meta({ description: "The breakage the outstanding-points liability is discounted by" }),
    window: z.object({ from: z.string().nullable(), to: z.string().nullable(), window_days: z.number().int().nullable() }),
    srm: z
      .object({
        arms: z.array(z.object({ arm: z.string(), expected_share: z.number(), n: z.number().int() })),
        chi_square: z.number(),
        df: z.number().int(),
        p_value: z.number(),
        mismatch: z.boolean().meta({ description: "p < 0.001: the arm sizes do not fit the configured holdout share; do not trust the comparison" }),
      })
      .nullable()
      .meta({ description: "Sample ratio mismatch check (random assignment only; null for external assignment, which has no configured share)" }),
    arms: z.array(ArmSchema),
    comparisons: z.array(ComparisonSchema),
    referral: ReferralSchema.optional(),
  })
  .meta({ id: "IncrementalityReport" });

const finite = (x: number) => (Number.isFinite(x) ? x : 0);
const pair = (c: [number, number]): [number, number] => [finite(c[0]), finite(c[1])];

export function toApiReport(r: IncrementalityReport, arm?: string): z.infer<typeof IncrementalityResponse> {
  const keep = (name: string, control: boolean) => !arm || control || name === arm;
  return {
    program: { id: r.experiment.id, kind: r.experiment.kind, name: r.experiment.name, assignment: r.experiment.assignment, holdout_bps: r.experiment.holdoutBps, status: r.experiment.status },
    currency: r.currency,
    gross_margin_bps: r.grossMarginBps,
    points_cost_basis: r.pointsCostBasis,
    breakage: {
      bps: r.breakage.breakageBps,
      source: r.breakage.source,
      settled_lots: r.breakage.settledLots,
      settled_points: r.breakage.settledPoints,
      expired_points: r.breakage.expiredPoints,
    },
    window: { from: r.window.from, to: r.window.to, window_days: r.window.windowDays },
    srm: r.srm
      ? {
          arms: r.srm.arms.map((a) => ({ arm: a.arm, expected_share: a.expectedShare, n: a.n })),
          chi_square: finite(r.srm.chiSquare),
          df: r.srm.df,
          p_value: finite(r.srm.pValue),
          mismatch: r.srm.mismatch,
        }
      : null,
    arms: r.arms
      .filter((a) => keep(a.arm, a.control))
      .map((a) => ({
        arm: a.arm,
        control: a.control,
        n: a.n,
        mean: a.value.mean,
        sd: a.value.sd,
        revenue: { mean: a.revenue.mean, sd: a.revenue.sd },
        gross_margin_per_member: a.grossMarginPerMember,
        predicted_cltv_per_member: a.predicted.perMember,
        cost: {
          per_member: a.cost.perMember,
          total: a.cost.total,
          points_redeemed: a.cost.pointsRedeemed,
          points_minor: a.cost.pointsMinor,
          rewards_minor: a.cost.rewardsMinor,
          liability_minor: a.cost.liabilityMinor,
        },
        outstanding_points: a.liability.outstandingPoints,
        join_rate: a.joinRate,
      })),
    comparisons: r.comparisons
      .filter((c) => keep(c.arm, false))
      .map((c) => ({
        arm: c.arm,
        lift: c.value.lift,
        ci95: pair(c.value.ci95),
        pValue: finite(c.value.pValue),
        t: finite(c.value.t),
        df: finite(c.value.df),
        se: finite(c.value.se),
        prediction: c.prediction ? { se: finite(c.prediction.se), sampling_se: finite(c.prediction.samplingSe) } : null,
        cuped: { theta: c.valueCuped.theta, lift: c.valueCuped.lift, ci95: pair(c.valueCuped.ci95), pValue: finite(c.valueCuped.pValue), varianceReduction: c.valueCuped.varianceReduction },
        regression: toApiAdjusted(c.valueAdjusted),
        revenue: {
          lift: c.revenue.lift,
          se: finite(c.revenue.se),
          df: finite(c.revenue.df),
          ci95: pair(c.revenue.ci95),
          pValue: finite(c.revenue.pValue),
          t: finite(c.revenue.t),
          regression: toApiAdjusted(c.revenueAdjusted),
        },
        cost: c.cost.perMemberDifference,
        net: { per_member: c.value.lift, total: c.total.lift, total_ci95: pair(c.total.ci95) },
        complier: c.complier ? { effect: c.complier.effect, se: finite(c.complier.se), ci95: pair(c.complier.ci95), join_rate_difference: c.complier.joinRateDifference } : null,
        mde: finite(c.mde),
      })),
    ...(r.referral ? { referral: toApiReferral(r.referral) } : {}),
  };
}

function toApiAdjusted(a: IncrementalityReport["comparisons"][number]["valueAdjusted"]): z.infer<typeof AdjustedSchema> {
  return { lift: a.lift, se: finite(a.se), df: finite(a.df), ci95: pair(a.ci95), pValue: finite(a.pValue), covariates: a.covariates, variance_reduction: a.varianceReduction };
}

function toApiReferral(s: NonNullable<IncrementalityReport["referral"]>): z.infer<typeof ReferralSchema> {
  return {
    friend_holdout: s.friendHoldout,
    arms: s.arms.map((a) => ({
      arm: a.arm,
      landing_devices: a.landingDevices,
      signups: a.signups,
      conversions: a.conversions,
      conversion_rate: { rate: a.conversionRate.rate, ci95: a.conversionRate.ci95 ? pair(a.conversionRate.ci95) : null },
      mean_value: a.meanValue,
    })),
    p_organic: s.pOrganic ? { estimate: s.pOrganic.estimate, ci95: pair(s.pOrganic.ci95) } : null,
    referred: { converts: s.referred.converts, realized_margin: s.referred.realizedMarginMinor, predicted_cltv: s.referred.predictedMinor, total: s.referred.totalMinor, per_member: s.referred.perMemberMinor },
    reward_cost: { points_paid: s.rewardCost.pointsPaid, points_minor: s.rewardCost.pointsMinor, rewards_minor: s.rewardCost.rewardsMinor, total: s.rewardCost.totalMinor, friend: s.rewardCost.friendMinor, referrer: s.rewardCost.referrerMinor },
    premium: s.premiumMinor,
    incremental: s.incremental ? { value: s.incremental.valueMinor, ci95: pair(s.incremental.ci95) } : null,
  };
}
