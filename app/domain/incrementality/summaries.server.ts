import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { getExperiment, type Experiment } from "~/domain/experiments/assignment.server";
import { getReferralSettings } from "~/domain/referrals/program.server";
import { DomainError } from "~/lib/errors";
import { estimateBreakage, type BreakageEstimate } from "./liability.server";
import { buildReferralSection, type ReferralSection } from "./referral.server";
import { aggregateArms, assembleReport, reportEconomics, withHashPlans, type ArmRow, type IncrementalityReport, type ReportEconomics, type ReportWindow } from "./report.server";
import { buildReportSeries, reportSeriesInputs, seriesFromInputs, type ReportSeries, type SeriesInputs } from "./series.server";

/**
 * The incrementality reports' maintained summaries (experiment_summaries, issue 14): per experiment and report
 * window, the per-arm sufficient statistics (n, sums, sums of squares and cross products: the ArmRow the raw query
 * returns), the charts' per-arm × month sums and distribution counts, and the referral section. A page reads one row
 * and computes Welch, CUPED, power and the charts from it with the same pure functions as the raw path
 * (assembleReport, seriesFromInputs), so its cost is O(arms × months) whatever the number of members, and its figures
 * are exactly the raw computation's at `computed_at` (the refresh runs that very computation).
 *
 * Windows kept: everything since assignment and the page's picker (14 … 365 days), with the default 365-day CUPED
 * pre-period and no from/to. Any other window (the API's from / to / window_days) is computed from the raw tables on
 * request, as before.
 *
 * Freshness: the summaries job refreshes every experiment every SUMMARY_REFRESH_MINUTES (app/lib/summaries.ts); a
 * row computed under another basis — margin, point value, arms, CLTV model, referral qualifying rule — is not used:
 * the page computes the report now and stores it (a settings change or a refit shows at once).
 */

/** Report windows with a maintained summary (days after assignment; null = everything since assignment). */
export const SUMMARY_WINDOWS: readonly (number | null)[] = [null, 14, 30, 90, 180, 365];

interface ExperimentBasis {
  econ: ReportEconomics;
  arms: { arm: string; control: boolean }[];
  /** The CLTV model whose predictions the facts hold (the predicted residual CLTV). */
  modelId: string | null;
  /** Referral program experiments: the qualifying rule the conversions were counted by. */
  qualifying: unknown;
  /** What the stored sums hold; bumped when ArmRow gains sums (2: covariate moments and join sums, issue 16 §3). */
  sums: number;
}

const SUMS_VERSION = 2;

export interface ReportRead {
  report: IncrementalityReport;
  series: ReportSeries | null;
  /** When the figures were computed (now for a window without a summary). */
  asOf: Date;
}

/** The summary's key for a window, or undefined when the window is not kept. */
function windowKey(w: ReportWindow): number | undefined {
  if ((w.from ?? null) !== null || (w.to ?? null) !== null || (w.preDays ?? 365) !== 365) return undefined;
  const days = w.windowDays ?? null;
  return SUMMARY_WINDOWS.includes(days) ? (days ?? 0) : undefined;
}

/** JSON with sorted keys: jsonb does not keep key order, so bases are compared in this form. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}

async function currentBasis(trx: Trx, merchantId: string, experiment: Experiment): Promise<ExperimentBasis> {
  const [econ, arms, model, qualifying] = await Promise.all([
    reportEconomics(trx, merchantId),
    trx
      .selectFrom("experiment_arms")
      .select(["arm", "is_control"])
      .where("merchant_id", "=", merchantId)
      .where("experiment_id", "=", experiment.id)
      .orderBy("arm")
      .execute(),
    trx.selectFrom("cltv_models").select("id").where("merchant_id", "=", merchantId).orderBy("created_at", "desc").orderBy("id", "desc").limit(1).executeTakeFirst(),
    experiment.kind === "referral_program" ? getReferralSettings(trx, merchantId).then((s) => s.qualifyingEvent) : Promise.resolve(null),
  ]);
  return { econ, arms: arms.map((a) => ({ arm: a.arm, control: a.is_control })), modelId: model?.id ?? null, qualifying, sums: SUMS_VERSION };
}

interface Computed {
  rows: ArmRow[];
  series: SeriesInputs;
  referral: ReferralSection | null;
  /** The liability's breakage at `at` (from the merchant's settled lots). */
  breakage: BreakageEstimate;
}

/** The raw computation of one window at `at`, exactly as the page ran it before the summaries. */
async function computeWindow(
  trx: Trx,
  merchantId: string,
  experiment: Experiment,
  econ: ReportEconomics,
  windowDays: number | null,
  at: Date,
  reuse?: { hasPrediction: boolean; series: SeriesInputs; referral: ReferralSection | null; breakage: BreakageEstimate },
): Promise<Computed> {
  const rows = await aggregateArms(trx, merchantId, experiment.id, { windowDays, preDays: 365 }, econ);
  const hasPrediction = rows.some((r) => Number(r.scored) > 0);
  // The charts, the referral section and the breakage do not depend on the window after assignment: computed once per refresh.
  if (reuse && reuse.hasPrediction === hasPrediction) return { rows, series: reuse.series, referral: reuse.referral, breakage: reuse.breakage };
  const series = await withHashPlans(trx, () => reportSeriesInputs(trx, merchantId, experiment.id, econ, hasPrediction, at));
  const referral = experiment.kind === "referral_program" ? await buildReferralSection(trx, merchantId, econ, {}) : null;
  const breakage = reuse?.breakage ?? (await estimateBreakage(trx, merchantId, at));
  return { rows, series, referral, breakage };
}

async function store(trx: Trx, merchantId: string, experimentId: string, key: number, at: Date, basis: ExperimentBasis, c: Computed): Promise<void> {
  await sql`
    insert into experiment_summaries as s (merchant_id, experiment_id, window_days, computed_at, basis, arms, series, referral, liability)
    values (${merchantId}, ${experimentId}, ${key}, ${at}, ${JSON.stringify(basis)}::jsonb, ${JSON.stringify(c.rows)}::jsonb,
      ${JSON.stringify(c.series)}::jsonb, ${c.referral ? JSON.stringify(c.referral) : null}::jsonb, ${JSON.stringify(c.breakage)}::jsonb)
    on conflict (merchant_id, experiment_id, window_days) do update set
      computed_at = excluded.computed_at, basis = excluded.basis, arms = excluded.arms, series = excluded.series, referral = excluded.referral,
      liability = excluded.liability
    where s.computed_at <= excluded.computed_at`.execute(trx);
}

/**
 * Recomputes an experiment's summaries (every kept window) from the raw tables at `at`. `signal` (the job's, aborted
 * when the worker shuts down) is checked before each window: a window's prediction step is seconds of CPU, and an
 * aborted refresh rolls back and is redone by the next run.
 */
export async function refreshExperimentSummary(trx: Trx, merchantId: string, experimentId: string, at: Date = new Date(), signal?: AbortSignal): Promise<void> {
  const experiment = await getExperiment(trx, merchantId, experimentId);
  if (!experiment) throw new DomainError("not_found", "Experiment not found");
  const basis = await currentBasis(trx, merchantId, experiment);
  let first: { hasPrediction: boolean; series: SeriesInputs; referral: ReferralSection | null; breakage: BreakageEstimate } | undefined;
  for (const days of SUMMARY_WINDOWS) {
    signal?.throwIfAborted();
    const c = await computeWindow(trx, merchantId, experiment, basis.econ, days, at, first);
    first ??= { hasPrediction: c.rows.some((r) => Number(r.scored) > 0), series: c.series, referral: c.referral, breakage: c.breakage };
    await store(trx, merchantId, experimentId, days ?? 0, at, basis, c);
  }
}

/** Every experiment of the merchant (the summaries job). */
export async function refreshExperimentSummaries(trx: Trx, merchantId: string, at: Date = new Date(), signal?: AbortSignal): Promise<number> {
  const experiments = await trx.selectFrom("experiments").select("id").where("merchant_id", "=", merchantId).orderBy("id").execute();
  for (const e of experiments) await refreshExperimentSummary(trx, merchantId, e.id, at, signal);
  return experiments.length;
}

/**
 * The report (and, when asked, its charts) of one experiment over a window: from the summary when the window is kept
 * and the summary's basis is current, else computed now (and stored, for a kept window).
 */
export async function readIncrementalityReport(trx: Trx, merchantId: string, experimentId: string, w: ReportWindow, opts: { series: boolean }): Promise<ReportRead> {
  const experiment = await getExperiment(trx, merchantId, experimentId);
  if (!experiment) throw new DomainError("not_found", "Experiment not found", { field: "program" });
  const key = windowKey(w);
  if (key === undefined) return liveReport(trx, merchantId, experiment, w, opts);
  const basis = await currentBasis(trx, merchantId, experiment);
  const row = await trx
    .selectFrom("experiment_summaries")
    .select(["computed_at", "basis", "arms", "series", "referral", "liability"])
    .where("merchant_id", "=", merchantId)
    .where("experiment_id", "=", experimentId)
    .where("window_days", "=", key)
    .executeTakeFirst();
  let c: Computed;
  let asOf: Date;
  // A row from before the liability was kept (liability null) is recomputed like one under another basis.
  if (row && row.liability && canonical(row.basis) === canonical(basis)) {
    c = { rows: row.arms as ArmRow[], series: row.series as SeriesInputs, referral: (row.referral as ReferralSection | null) ?? null, breakage: row.liability as BreakageEstimate };
    asOf = row.computed_at;
  } else {
    asOf = new Date();
    c = await computeWindow(trx, merchantId, experiment, basis.econ, key === 0 ? null : key, asOf);
    await store(trx, merchantId, experimentId, key, asOf, basis, c);
  }
  const report = assembleReport(experiment, basis.econ, { ...w, preDays: 365 }, c.rows, c.referral ?? undefined, c.breakage);
  const series = opts.series ? seriesFromInputs(c.series, report.arms.map((a) => ({ arm: a.arm, control: a.control }))) : null;
  return { report, series, asOf };
}

/** A window without a summary: the raw computation, as before. */
async function liveReport(trx: Trx, merchantId: string, experiment: Experiment, w: ReportWindow, opts: { series: boolean }): Promise<ReportRead> {
  const asOf = new Date();
  const econ = await reportEconomics(trx, merchantId);
  const rows = await aggregateArms(trx, merchantId, experiment.id, { ...w, preDays: w.preDays ?? 365 }, econ);
  const referral = experiment.kind === "referral_program" ? await buildReferralSection(trx, merchantId, econ, { from: w.from, to: w.to }) : undefined;
  const report = assembleReport(experiment, econ, w, rows, referral, await estimateBreakage(trx, merchantId, asOf));
  const arms = report.arms.map((a) => ({ arm: a.arm, control: a.control }));
  const series = opts.series ? await withHashPlans(trx, () => buildReportSeries(trx, merchantId, experiment.id, report, arms, report.hasPrediction, asOf)) : null;
  return { report, series, asOf };
}
