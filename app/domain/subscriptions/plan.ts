/** A subscription plan's billing period, as Stripe prices state it. Pure. */
export type PlanInterval = "day" | "week" | "month" | "year";

/** Average days per month and weeks per month (365.25 days a year), to put every plan on one monthly footing. */
const PER_MONTH: Record<PlanInterval, number> = { day: 365.25 / 12, week: 365.25 / 12 / 7, month: 1, year: 1 / 12 };

/**
 * The monthly equivalent of `amountMinor` billed every `count` intervals (MRR's unit), rounded to the minor unit:
 * $120 a year → $10 a month; $5 a week → $21.74.
 */
export function monthlyAmountMinor(amountMinor: number, interval: PlanInterval, count: number): number {
  return Math.round((amountMinor * PER_MONTH[interval]) / count);
}

/** Statuses of subscriptions that never started (the first payment never went through): left out of the cohorts. */
export const NEVER_STARTED_STATUSES = ["incomplete", "incomplete_expired"] as const;
