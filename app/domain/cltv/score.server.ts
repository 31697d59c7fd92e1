/**
 * Fit + score a merchant: the nightly job, `cltv fit --save` and the demo seed all call fitAndScoreMerchant. It fits
 * BG/NBD and Gamma-Gamma on every order to date, scores every member with orders, writes member_stats in batches
 * (one INSERT … SELECT FROM unnest … ON CONFLICT per 5,000 members), appends the fit to cltv_models and refreshes the
 * CLTV page's summary (summaries.server.ts).
 */
import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import { db, withTenant, type Trx } from "~/db.server";
import { DomainError } from "~/lib/errors";
import { newId } from "~/lib/ids";
import { probabilityOfPurchases } from "./bgnbd";
import { fitMerchantModelsDetailed, localDay, type FitResult } from "./fit.server";
import type { CalibrationRow, FitDiagnostics } from "./report-types";
import { compareModels, fitPurchaseModel, type ModelComparison, type PurchaseModelKind } from "./model-choice";
import { scoreMembers, type MemberScore } from "./score";
import { getCltvSettings } from "./settings.server";
import { refreshCltvSummary } from "./summaries.server";
import { compress, dayNumber, type CustomerSummary, type TimeUnit } from "./summary";

/** Bumped when the model, the optimiser or the scoring rules change, so stored scores say what made them. */
export const MODEL_VERSION = "choice-gg/bfgs-2";
const WRITE_BATCH = 5000;
/** The validation fit holds out the last third of the history, at most 26 weeks, when there are 90+ days of it. */
const MIN_VALIDATION_SPAN_DAYS = 90;
const MAX_VALIDATION_HOLDOUT_DAYS = 182;

export interface ScoreRunResult {
  modelId: string;
  /** False when this run key had already been done (the earlier model is returned). */
  created: boolean;
  scoredMembers: number;
  fit: FitResult | null;
}

/** Expected number of customers with each calibration repeat count, grouped by their (rounded) T. */
function calibrationTable(summaries: readonly CustomerSummary[], bg: FitResult["bgnbd"]): CalibrationRow[] {
  const groups = 8;
  const actual = new Array<number>(groups).fill(0);
  const expected = new Array<number>(groups).fill(0);
  const byT = new Map<number, number>();
  for (const s of summaries) {
    actual[Math.min(s.x, groups - 1)]! += 1;
    byT.set(s.T, (byT.get(s.T) ?? 0) + 1);
  }
  for (const [T, n] of byT) {
    let below = 0;
    for (let k = 0; k < groups - 1; k++) {
      const p = T > 0 ? probabilityOfPurchases(bg, T, k) : k === 0 ? 1 : 0;
      below += p;
      expected[k]! += n * p;
    }
    expected[groups - 1]! += n * Math.max(0, 1 - below);
  }
  return actual.map((a, k) => ({ x: k === groups - 1 ? `${k}+` : String(k), actual: a, expected: expected[k]! }));
}

interface Validation {
  validation: FitDiagnostics["validation"];
  /** The three purchase models compared on the same split; null without one. */
  modelChoice: ModelComparison | null;
}

async function validationFit(trx: Trx, merchantId: string, today: string, firstDay: string | null, timeUnit: TimeUnit): Promise<Validation> {
  const none = { validation: null, modelChoice: null };
  if (!firstDay) return none;
  const span = dayNumber(today) - dayNumber(firstDay);
  if (span < MIN_VALIDATION_SPAN_DAYS) return none;
  const holdoutDays = Math.min(MAX_VALIDATION_HOLDOUT_DAYS, Math.floor(span / 3));
  const calibrationEnd = new Date((dayNumber(today) - holdoutDays) * 86_400_000).toISOString().slice(0, 10);
  try {
    const r = await fitMerchantModelsDetailed(trx, merchantId, { calibrationEnd, holdoutEnd: today, timeUnit });
    if (!r.result.holdout) return none;
    // A holdout without a single repeat purchase cannot tell the models apart (the lowest prediction would win), and
    // on such long-dead histories the Pareto/NBD fit is at its slowest: BG/NBD scores then, as without a holdout.
    return {
      validation: { calibrationEnd, holdout: r.result.holdout, bgnbd: r.result.bgnbd },
      modelChoice: r.result.holdout.actual > 0 ? compareModels(r.summaries, r.result.holdout.length) : null,
    };
  } catch (err) {
    if (err instanceof DomainError && err.code === "insufficient_data") return none;
    throw err;
  }
}

async function merchantDay(trx: Trx, merchantId: string, at: Date): Promise<string> {
  const m = await trx.selectFrom("merchants").select("timezone").where("id", "=", merchantId).executeTakeFirstOrThrow();
  return localDay(at, m.timezone);
}

async function writeScores(trx: Trx, merchantId: string, modelId: string, scores: readonly MemberScore[], at: Date): Promise<void> {
  // updated_at from the run's clock through excluded: Citus allows no now() in DO UPDATE SET (docs/scale-out.md rule 6).
  for (let i = 0; i < scores.length; i += WRITE_BATCH) {
    const batch = scores.slice(i, i + WRITE_BATCH);
    const col = <T>(f: (s: MemberScore) => T) => batch.map(f);
    await sql`
      insert into member_stats as s (merchant_id, member_id, predicted_purchases_12m, p_alive, expected_order_minor,
        cltv_12m_minor, cltv_24m_minor, cltv_36m_minor, cltv_percentile, value_segment, at_risk, cltv_model_id, scored_at, updated_at)
      select ${merchantId}, u.member_id, u.pp, u.pa, u.eo, u.c12, u.c24, u.c36, u.pct, u.seg, u.risk, ${modelId}, ${at}, ${at}
      from unnest(${col((s) => s.memberId)}::text[], ${col((s) => s.predictedPurchases12m)}::float8[], ${col((s) => Math.min(1, Math.max(0, s.pAlive)))}::float8[],
        ${col((s) => s.expectedOrderMinor)}::int8[], ${col((s) => s.cltv12mMinor)}::int8[], ${col((s) => s.cltv24mMinor)}::int8[],
        ${col((s) => s.cltv36mMinor)}::int8[], ${col((s) => s.percentile)}::float4[], ${col((s) => s.segment)}::text[], ${col((s) => s.atRisk)}::bool[])
        as u(member_id, pp, pa, eo, c12, c24, c36, pct, seg, risk)
      on conflict (merchant_id, member_id) do update set
        predicted_purchases_12m = excluded.predicted_purchases_12m, p_alive = excluded.p_alive,
        expected_order_minor = excluded.expected_order_minor, cltv_12m_minor = excluded.cltv_12m_minor,
        cltv_24m_minor = excluded.cltv_24m_minor, cltv_36m_minor = excluded.cltv_36m_minor,
        cltv_percentile = excluded.cltv_percentile, value_segment = excluded.value_segment, at_risk = excluded.at_risk,
        cltv_model_id = excluded.cltv_model_id, scored_at = excluded.scored_at, updated_at = excluded.updated_at`.execute(trx);
  }
  // Members scored by an earlier model who no longer qualify (e.g. every order refunded) lose their stale scores, so
  // segments always come from one model.
  await trx
    .updateTable("member_stats")
    .set({
      predicted_purchases_12m: null,
      p_alive: null,
      expected_order_minor: null,
      cltv_12m_minor: null,
      cltv_24m_minor: null,
      cltv_36m_minor: null,
      cltv_percentile: null,
      value_segment: null,
      at_risk: null,
      cltv_model_id: null,
      scored_at: null,
    })
    .where("merchant_id", "=", merchantId)
    .where("cltv_model_id", "is not", null)
    .where("cltv_model_id", "<>", modelId)
    .execute();
}

export interface FitAndScoreOptions {
  /** Makes the run idempotent: a second run with the same key (e.g. 'nightly:2026-11-23') does nothing. */
  runKey?: string;
  timeUnit?: TimeUnit;
  /** "Today" for the fit (default the clock): orders after this day in the merchant's zone are left out. */
  at?: Date;
}

/** Fits on every order to date and rescores every member, in the caller's tenant transaction. */
export async function fitAndScoreMerchant(trx: Trx, merchantId: string, opts: FitAndScoreOptions = {}): Promise<ScoreRunResult> {
  const started = performance.now();
  // One run per merchant at a time: a concurrent run waits, then sees the run key (or rescores from the same data).
  await sql`select pg_advisory_xact_lock(hashtextextended(${`cltv-score:${merchantId}`}, 0))`.execute(trx);
  if (opts.runKey) {
    const done = await trx
      .selectFrom("cltv_models")
      .select(["id", "scored_members"])
      .where("merchant_id", "=", merchantId)
      .where("run_key", "=", opts.runKey)
      .executeTakeFirst();
    if (done) return { modelId: done.id, created: false, scoredMembers: done.scored_members, fit: null };
  }
  const timeUnit = opts.timeUnit ?? "week";
  const settings = await getCltvSettings(trx, merchantId);
  const calibrationEnd = opts.at ? await merchantDay(trx, merchantId, opts.at) : undefined;
  const detailed = await fitMerchantModelsDetailed(trx, merchantId, { timeUnit, calibrationEnd, holdoutEnd: calibrationEnd });
  const { result, summaries, bg, gg } = detailed;
  const fitMs = performance.now() - started;

  // Model choice on the validation split first: the members are scored with the model that predicted its holdout best.
  const { validation, modelChoice } = await validationFit(trx, merchantId, result.calibrationEnd, detailed.firstDay, timeUnit);
  const chosen: PurchaseModelKind = modelChoice?.chosen ?? "bgnbd";
  const purchaseModel = chosen === "bgnbd" ? undefined : fitPurchaseModel(chosen, compress(summaries));
  const scoredWith: FitDiagnostics["scoredWith"] = purchaseModel
    ? { kind: chosen, params: purchaseModel.params, logLikelihood: purchaseModel.logLikelihood, converged: purchaseModel.converged }
    : { kind: "bgnbd", params: { r: bg.r, alpha: bg.alpha, a: bg.a, b: bg.b }, logLikelihood: bg.logLikelihood, converged: bg.converged };

  const scoreStarted = performance.now();
  const scores = scoreMembers(
    summaries.map((s) => ({ memberId: s.customerId, x: s.x, tx: s.tx, T: s.T, zbar: s.zbar, spend: s.spend })),
    {
      bgnbd: bg,
      purchaseModel,
      gammaGamma: gg,
      timeUnit,
      meanSpend: detailed.meanSpend,
      grossMargin: settings.grossMarginBps / 10_000,
      annualDiscountRate: settings.annualDiscountRateBps / 10_000,
      minorScale: detailed.minorScale,
    },
  );
  const calibration = calibrationTable(summaries, result.bgnbd);
  const scoreMs = performance.now() - scoreStarted;

  const writeStarted = performance.now();
  const modelId = newId("cltvModel");
  const at = now();
  await writeScores(trx, merchantId, modelId, scores, at);
  const writeMs = performance.now() - writeStarted;

  const diagnostics: FitDiagnostics = {
    bgnbd: { evaluations: bg.evaluations, gradientNorm: bg.gradientNorm, starts: bg.starts },
    gammaGamma: gg ? { evaluations: gg.evaluations, gradientNorm: gg.gradientNorm } : null,
    gammaGammaNote: result.gammaGammaNote,
    calibration,
    validation,
    settings: { grossMarginBps: settings.grossMarginBps, annualDiscountRateBps: settings.annualDiscountRateBps },
    modelChoice,
    scoredWith,
    fitMs: Math.round(fitMs),
    scoreMs: Math.round(scoreMs),
    writeMs: Math.round(writeMs),
  };
  await trx
    .insertInto("cltv_models")
    .values({
      merchant_id: merchantId,
      id: modelId,
      model_version: MODEL_VERSION,
      run_key: opts.runKey ?? null,
      time_unit: timeUnit,
      calibration_start: detailed.firstDay,
      calibration_end: result.calibrationEnd,
      currency: result.currency,
      customers: result.customers.total,
      repeat_customers: result.customers.repeat,
      unique_rows: bg.uniqueRows,
      bgnbd_r: bg.r,
      bgnbd_alpha: bg.alpha,
      bgnbd_a: bg.a,
      bgnbd_b: bg.b,
      bgnbd_log_likelihood: bg.logLikelihood,
      bgnbd_converged: bg.converged,
      bgnbd_iterations: bg.iterations,
      gg_p: gg?.p ?? null,
      gg_q: gg?.q ?? null,
      gg_gamma: gg?.gamma ?? null,
      gg_log_likelihood: gg?.logLikelihood ?? null,
      gg_customers: gg?.customers ?? null,
      gg_converged: gg?.converged ?? null,
      diagnostics: JSON.stringify(diagnostics),
      scored_members: scores.length,
      duration_ms: Math.round(performance.now() - started),
    })
    .execute();
  // The page's aggregates of the new scores, written with them (the page would otherwise compute them on its next view).
  const { currency } = await trx.selectFrom("merchants").select("currency").where("id", "=", merchantId).executeTakeFirstOrThrow();
  await refreshCltvSummary(trx, merchantId, currency.trim(), at);
  return { modelId, created: true, scoredMembers: scores.length, fit: result };
}

export interface NightlyReport {
  merchants: number;
  scored: number;
  skipped: number;
  failed: number;
}

/**
 * Refits and rescores every merchant, each in its own tenant transaction. A merchant with too few orders is skipped;
 * any other failure is logged and counted so one merchant cannot stop the others (the next night retries it).
 */
export async function runNightlyCltv(at: Date = now(), opts: { merchantIds?: readonly string[] } = {}): Promise<NightlyReport> {
  let q = db().selectFrom("merchants").select(["id"]).orderBy("id");
  if (opts.merchantIds) q = q.where("id", "in", [...opts.merchantIds]);
  const merchants = await q.execute();
  const report: NightlyReport = { merchants: merchants.length, scored: 0, skipped: 0, failed: 0 };
  const runKey = `nightly:${at.toISOString().slice(0, 10)}`;
  for (const m of merchants) {
    try {
      const r = await withTenant(db(), m.id, (trx) => fitAndScoreMerchant(trx, m.id, { runKey }));
      if (r.created) report.scored++;
      else report.skipped++;
    } catch (err) {
      if (err instanceof DomainError && err.code === "insufficient_data") {
        report.skipped++;
        continue;
      }
      report.failed++;
      console.error(`[jobs] cltv_nightly: merchant ${m.id} failed (retried next run): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return report;
}
