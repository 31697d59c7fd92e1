import { z } from "zod";
import type { SubscriptionReport } from "~/domain/subscriptions/summary";

/**
 * Shape of GET /api/v1/subscriptions/summary (issue 16 §5); it also generates the OpenAPI operation
 * (app/api/subscriptions-openapi.ts). Money is integer minor units of `currency`; rates are 0–1; names are snake_case.
 */

const nullableMinor = z.number().int().nullable();

export const SubscriptionSummaryResponse = z
  .object({
    currency: z.string().meta({ example: "USD" }),
    has_subscriptions: z.boolean(),
    mrr_minor: z.number().int().meta({ description: "Monthly recurring revenue now: active and past-due subscriptions, each plan at its monthly equivalent" }),
    active_subscribers: z.number().int(),
    arpu_minor: nullableMinor.meta({ description: "MRR ÷ active subscribers" }),
    months: z.array(
      z.object({
        month: z.string().meta({ format: "date", description: "First day of the calendar month (UTC)" }),
        mrr_minor: z.number().int().meta({ description: "MRR at the month's end (now, for the current month)" }),
        active: z.number().int(),
        started: z.number().int(),
        churned: z.number().int(),
        churned_mrr_minor: z.number().int(),
        logo_churn: z.number().nullable().meta({ description: "Churned ÷ subscribers at the month's start" }),
        mrr_churn: z.number().nullable().meta({ description: "Churned MRR ÷ MRR at the month's start" }),
      }),
    ),
    cohorts: z.array(
      z.object({
        cohort: z.string().meta({ format: "date", description: "First day of the month the subscribers started (UTC)" }),
        size: z.number().int(),
        actual: z.array(z.number()).meta({ description: "Share still subscribed after k months, k = 0 … the months every subscriber of the cohort was observed" }),
        fitted: z.array(z.number()).nullable().meta({ description: "The sBG model's S(k) for the same k; null without a fit" }),
      }),
    ),
    sbg: z
      .object({
        alpha: z.number(),
        beta: z.number(),
        alpha_se: z.number().nullable(),
        beta_se: z.number().nullable(),
        log_likelihood: z.number(),
        subscribers: z.number().int(),
        churns: z.number().int(),
      })
      .nullable()
      .meta({ description: "The shifted-beta-geometric fit on the monthly cohorts (Fader & Hardie 2007); null before any churn or renewal" }),
    discounted_lifetime_months: z.number().nullable().meta({ description: "Discounted expected lifetime of a new subscriber in months, first payment included (sBG, the CLTV settings' discount rate)" }),
    subscription_cltv_minor: nullableMinor.meta({ description: "ARPU × gross margin × discounted expected lifetime" }),
    residual_value_minor: nullableMinor.meta({ description: "What the current subscribers are still worth: Σ MRR × margin × DERL at each one's tenure" }),
    warnings: z.array(z.string()),
  })
  .meta({ id: "SubscriptionSummary" });

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

export function toApiSubscriptionSummary(currency: string, r: SubscriptionReport): z.infer<typeof SubscriptionSummaryResponse> {
  return {
    currency,
    has_subscriptions: r.hasSubscriptions,
    mrr_minor: r.current.mrrMinor,
    active_subscribers: r.current.active,
    arpu_minor: r.current.arpuMinor,
    months: r.months.map((m) => ({
      month: m.month,
      mrr_minor: m.mrrMinor,
      active: m.active,
      started: m.started,
      churned: m.churned,
      churned_mrr_minor: m.churnedMrrMinor,
      logo_churn: m.logoChurn,
      mrr_churn: m.mrrChurn,
    })),
    cohorts: r.cohorts.map((c) => ({ cohort: c.cohort, size: c.size, actual: c.actual, fitted: c.fitted })),
    sbg: r.fit
      ? {
          alpha: r.fit.alpha,
          beta: r.fit.beta,
          alpha_se: finiteOrNull(r.fit.alphaSe),
          beta_se: finiteOrNull(r.fit.betaSe),
          log_likelihood: r.fit.logLikelihood,
          subscribers: r.fit.subscribers,
          churns: r.fit.churns,
        }
      : null,
    discounted_lifetime_months: r.discountedLifetimeMonths,
    subscription_cltv_minor: r.cltvMinor,
    residual_value_minor: r.residualValueMinor,
    warnings: r.warnings,
  };
}
