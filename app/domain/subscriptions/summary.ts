/**
 * The subscription report's arithmetic on the rows SQL aggregated (summary.server.ts): cohort survivor curves, the
 * sBG fit on them, churn rates and the subscription CLTV. Pure, so it is tested without a database.
 */
import { derl, discountedExpectedLifetime, fitSbg, mergeData, periodDiscountRate, SBG_MIN_CHURNS, survival, type SbgData } from "./sbg";

/** Subscriptions of one monthly cohort that churned at period `periods` (churned) or were alive after it (censored). */
export interface LifeRow {
  /** First day of the cohort's month, 'YYYY-MM-01' (UTC). */
  cohort: string;
  churned: boolean;
  /** Churned: the period T of the churn (1 = before the first renewal). Alive: renewals seen so far (0 = none yet). */
  periods: number;
  count: number;
  /** Σ MRR of those rows (minor units), used for the alive ones' residual value. */
  mrrMinor: number;
}

/** One month of the MRR chart. */
export interface MonthRow {
  /** 'YYYY-MM-01' (UTC). */
  month: string;
  mrrMinor: number;
  active: number;
  activeAtStart: number;
  mrrAtStartMinor: number;
  started: number;
  churned: number;
  churnedMrrMinor: number;
}

export interface CohortCurve {
  cohort: string;
  size: number;
  /** survivors[k] / size: alive after k periods, k = 0 … the cohort's fully observed age. */
  actual: number[];
  /** The sBG's S(k) for the same k (null without a fit). */
  fitted: number[] | null;
}

export interface SubscriptionEconomics {
  grossMarginBps: number;
  annualDiscountRateBps: number;
}

export interface SubscriptionReport {
  hasSubscriptions: boolean;
  months: (MonthRow & { logoChurn: number | null; mrrChurn: number | null })[];
  current: { mrrMinor: number; active: number; arpuMinor: number | null };
  cohorts: CohortCurve[];
  fit: {
    alpha: number;
    beta: number;
    alphaSe: number;
    betaSe: number;
    logLikelihood: number;
    subscribers: number;
    churns: number;
    converged: boolean;
  } | null;
  /** Why there is no fit or why it is shaky, in words for the page. */
  warnings: string[];
  /** ARPU × margin × DEL (a new subscriber, discounted at the merchant's rate), minor units; null without a fit. */
  cltvMinor: number | null;
  /** DEL in months: discounted expected lifetime of a new subscriber, first payment included. */
  discountedLifetimeMonths: number | null;
  /** Σ over active subscribers of MRR × margin × DERL at their tenure: what the current base is still worth. */
  residualValueMinor: number | null;
}

/**
 * Periods every subscriber of a cohort has been observed for by `at`: whole months from the first day after the
 * cohort's month (a subscriber who started on its last day has had that long).
 */
export function observedAge(cohort: string, at: Date): number {
  const [y, m] = cohort.split("-").map(Number) as [number, number];
  return Math.max(0, (at.getUTCFullYear() - y) * 12 + at.getUTCMonth() - m);
}

/** The sBG's data from the life rows: churn at T, or alive (censored) after the renewals seen. */
export function sbgDataFromLives(rows: readonly LifeRow[]): SbgData {
  const parts = rows.map((r) => {
    const churned: number[] = [];
    const alive: number[] = [];
    if (r.churned) churned[r.periods - 1] = r.count;
    else if (r.periods > 0) alive[r.periods - 1] = r.count;
    return { churned: Array.from(churned, (v) => v ?? 0), alive: Array.from(alive, (v) => v ?? 0) };
  });
  return mergeData(...parts);
}

/** Per cohort: size and the share alive after k periods, for the periods every member of it was observed. */
export function cohortCurves(rows: readonly LifeRow[], at: Date): { cohort: string; size: number; actual: number[] }[] {
  const byCohort = new Map<string, LifeRow[]>();
  for (const r of rows) byCohort.set(r.cohort, [...(byCohort.get(r.cohort) ?? []), r]);
  return [...byCohort.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([cohort, rs]) => {
      const size = rs.reduce((n, r) => n + r.count, 0);
      const age = observedAge(cohort, at);
      const actual = Array.from({ length: age + 1 }, (_, k) => (size - rs.filter((r) => r.churned && r.periods <= k).reduce((n, r) => n + r.count, 0)) / size);
      return { cohort, size, actual };
    });
}

export function buildSubscriptionReport(lives: readonly LifeRow[], months: readonly MonthRow[], at: Date, economics: SubscriptionEconomics): SubscriptionReport {
  const warnings: string[] = [];
  const last = months.at(-1);
  const current = { mrrMinor: last?.mrrMinor ?? 0, active: last?.active ?? 0, arpuMinor: last && last.active > 0 ? Math.round(last.mrrMinor / last.active) : null };
  const withRates = months.map((m) => ({
    ...m,
    logoChurn: m.activeAtStart > 0 ? m.churned / m.activeAtStart : null,
    mrrChurn: m.mrrAtStartMinor > 0 ? m.churnedMrrMinor / m.mrrAtStartMinor : null,
  }));
  const hasSubscriptions = lives.length > 0;
  const data = sbgDataFromLives(lives);
  const churns = data.churned.reduce((n, x) => n + x, 0);
  const observed = churns + data.alive.reduce((n, x) => n + x, 0);

  let fit: SubscriptionReport["fit"] = null;
  let params: { alpha: number; beta: number } | null = null;
  if (!hasSubscriptions) {
    // Empty state: nothing to warn about.
  } else if (churns === 0 || observed === churns) {
    warnings.push(churns === 0 ? "No subscriber has churned yet: the retention model needs observed churn." : "No subscriber has renewed yet: the retention model needs renewals.");
  } else {
    const f = fitSbg(data);
    params = f;
    fit = {
      alpha: f.alpha,
      beta: f.beta,
      alphaSe: f.uncertainty.standardErrors[0]!,
      betaSe: f.uncertainty.standardErrors[1]!,
      logLikelihood: f.logLikelihood,
      subscribers: f.n,
      churns,
      converged: f.converged,
    };
    if (churns < SBG_MIN_CHURNS) warnings.push(`Only ${churns} churned subscriber${churns === 1 ? "" : "s"}: the fit is rough.`);
    if (f.uncertainty.ridge) warnings.push("The data barely pin α and β (a ridge): lifetimes beyond the observed months are uncertain.");
    if (!f.converged) warnings.push("The fit did not converge.");
  }

  const curves = cohortCurves(lives, at).map((c) => ({ ...c, fitted: params ? c.actual.map((_, k) => survival(params!, k)) : null }));
  const margin = economics.grossMarginBps / 10_000;
  const d = periodDiscountRate(economics.annualDiscountRateBps / 10_000, 12);
  let del: number | null = null;
  let cltvMinor: number | null = null;
  let residualValueMinor: number | null = null;
  if (params && d > 0) {
    del = discountedExpectedLifetime(params, d);
    if (current.arpuMinor != null) cltvMinor = Math.round(current.arpuMinor * margin * del);
    // The alive rows carry their renewals so far: each group's MRR × margin × DERL at that tenure.
    residualValueMinor = Math.round(lives.filter((r) => !r.churned).reduce((s, r) => s + r.mrrMinor * margin * derl(params!, d, r.periods), 0));
  } else if (params) {
    warnings.push("The CLTV settings' discount rate is 0%: the discounted lifetime needs a positive rate.");
  }
  return { hasSubscriptions, months: withRates, current, cohorts: curves, fit, warnings, cltvMinor, discountedLifetimeMonths: del, residualValueMinor };
}
