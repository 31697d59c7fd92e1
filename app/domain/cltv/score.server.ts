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
import { compareModels, fitPurchaseModel, logParamsOf, type ModelComparison, type PurchaseModelKind } from "./model-choice";
import { scoreMembers, type MemberScore } from "./score";
import { INTERVAL_LEVEL, memberIntervals, type MemberInterval } from "./score-intervals";
import { scoringUncertainty, spendIndependence, type ScoringDiagnostics } from "./score-uncertainty";
import { getCltvModelSettings, getCltvSettings } from "./settings.server";
import { refreshCltvSummary } from "./summaries.server";
import { compress, dayNumber, type CustomerSummary, type TimeUnit, type Transaction } from "./summary";
import { discreteSummary } from "./bgbb";

/** Bumped when the model, the optimiser or the scoring rules change, so stored scores say what made them. */
export const MODEL_VERSION = "choice-gg/bfgs-3";
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

/** What a scoring run adds to FitDiagnostics (report-types.ts) since issue 16 §4; optional: older fits lack it. */
export type StoredFitDiagnostics = FitDiagnostics & { scoring?: ScoringDiagnostics };

async function validationFit(trx: Trx, merchantId: string, today: string, firstDay: string | null, timeUnit: TimeUnit, penalizer: number): Promise<Validation> {
  const none = { validation: null, modelChoice: null };
  if (!firstDay) return none;
  const span = dayNumber(today) - dayNumber(firstDay);
  if (span < MIN_VALIDATION_SPAN_DAYS) return none;
  const holdoutDays = Math.min(MAX_VALIDATION_HOLDOUT_DAYS, Math.floor(span / 3));
  const calibrationEnd = new Date((dayNumber(today) - holdoutDays) * 86_400_000).toISOString().slice(0, 10);
  try {
    const r = await fitMerchantModelsDetailed(trx, merchantId, { calibrationEnd, holdoutEnd: today, timeUnit, penalizer });
    if (!r.result.holdout) return none;
    // A holdout without a single repeat purchase cannot tell the models apart (the lowest prediction would win), and
    // on such long-dead histories the Pareto/NBD fit is at its slowest: BG/NBD scores then, as without a holdout.
    return {
      validation: { calibrationEnd, holdout: r.result.holdout, bgnbd: r.result.bgnbd },
      modelChoice: r.result.holdout.actual > 0 ? compareModels(r.summaries, r.result.holdout.length, { penalizer }) : null,
    };
  } catch (err) {
    if (err instanceof DomainError && err.code === "insufficient_data") return none;
    throw err;
  }
}

/**
 * Each member's BG/BB summary (x, t_x, T = n in opportunities of `periodDays`), in the order of `summaries`. Every
 * member has at least one purchase day, so every summary exists.
 */
function discreteHistories(transactions: readonly Transaction[], summaries: readonly CustomerSummary[], lastDay: string, periodDays: number): { x: number; tx: number; T: number }[] {
  const days = new Map<string, number[]>();
  const last = dayNumber(lastDay);
  for (const t of transactions) {
    const d = dayNumber(t.date);
    if (d > last) continue;
    const list = days.get(t.customerId);
    if (list) list.push(d);
    else days.set(t.customerId, [d]);
  }
  return summaries.map((s) => discreteSummary(days.get(s.customerId) ?? [last], last, periodDays));
}

async function merchantDay(trx: Trx, merchantId: string, at: Date): Promise<string> {
  const m = await trx.selectFrom("merchants").select("timezone").where("id", "=", merchantId).executeTakeFirstOrThrow();
  return localDay(at, m.timezone);
}

type ScoredMember = MemberScore & { interval: MemberInterval | null };

async function writeScores(trx: Trx, merchantId: string, modelId: string, scores: readonly ScoredMember[], at: Date): Promise<void> {
  // updated_at from the run's clock through excluded: Citus allows no now() in DO UPDATE SET (docs/scale-out.md rule 6).
  for (let i = 0; i < scores.length; i += WRITE_BATCH) {
    const batch = scores.slice(i, i + WRITE_BATCH);
    const col = <T>(f: (s: ScoredMember) => T) => batch.map(f);
    const bound = (f: (i: MemberInterval) => [number, number], side: 0 | 1) => col((s) => (s.interval && Number.isFinite(f(s.interval)[side]) ? f(s.interval)[side] : null));
    const alive = (v: number | null) => (v === null ? null : Math.min(1, Math.max(0, v)));
    await sql`
      insert into member_stats as s (merchant_id, member_id, predicted_purchases_12m, p_alive, expected_order_minor,
        cltv_12m_minor, cltv_24m_minor, cltv_36m_minor, cltv_percentile, value_segment, at_risk, cltv_model_id, scored_at, updated_at,
        predicted_purchases_12m_low, predicted_purchases_12m_high, p_alive_low, p_alive_high, cltv_12m_low_minor, cltv_12m_high_minor)
      select ${merchantId}, u.member_id, u.pp, u.pa, u.eo, u.c12, u.c24, u.c36, u.pct, u.seg, u.risk, ${modelId}, ${at}, ${at},
        u.ppl, u.pph, u.pal, u.pah, u.cl, u.ch
      from unnest(${col((s) => s.memberId)}::text[], ${col((s) => s.predictedPurchases12m)}::float8[], ${col((s) => alive(s.pAlive))}::float8[],
        ${col((s) => s.expectedOrderMinor)}::int8[], ${col((s) => s.cltv12mMinor)}::int8[], ${col((s) => s.cltv24mMinor)}::int8[],
        ${col((s) => s.cltv36mMinor)}::int8[], ${col((s) => s.percentile)}::float4[], ${col((s) => s.segment)}::text[], ${col((s) => s.atRisk)}::bool[],
        ${bound((i) => i.predictedPurchases12m, 0)}::float8[], ${bound((i) => i.predictedPurchases12m, 1)}::float8[],
        ${bound((i) => i.pAlive, 0).map(alive)}::float8[], ${bound((i) => i.pAlive, 1).map(alive)}::float8[],
        ${bound((i) => i.cltv12mMinor, 0)}::int8[], ${bound((i) => i.cltv12mMinor, 1)}::int8[])
        as u(member_id, pp, pa, eo, c12, c24, c36, pct, seg, risk, ppl, pph, pal, pah, cl, ch)
      on conflict (merchant_id, member_id) do update set
        predicted_purchases_12m = excluded.predicted_purchases_12m, p_alive = excluded.p_alive,
        expected_order_minor = excluded.expected_order_minor, cltv_12m_minor = excluded.cltv_12m_minor,
        cltv_24m_minor = excluded.cltv_24m_minor, cltv_36m_minor = excluded.cltv_36m_minor,
        cltv_percentile = excluded.cltv_percentile, value_segment = excluded.value_segment, at_risk = excluded.at_risk,
        cltv_model_id = excluded.cltv_model_id, scored_at = excluded.scored_at, updated_at = excluded.updated_at,
        predicted_purchases_12m_low = excluded.predicted_purchases_12m_low, predicted_purchases_12m_high = excluded.predicted_purchases_12m_high,
        p_alive_low = excluded.p_alive_low, p_alive_high = excluded.p_alive_high,
        cltv_12m_low_minor = excluded.cltv_12m_low_minor, cltv_12m_high_minor = excluded.cltv_12m_high_minor`.execute(trx);
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
      predicted_purchases_12m_low: null,
      predicted_purchases_12m_high: null,
      p_alive_low: null,
      p_alive_high: null,
      cltv_12m_low_minor: null,
      cltv_12m_high_minor: null,
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
  const { penalizer, discretePeriodDays } = await getCltvModelSettings(trx, merchantId);
  const calibrationEnd = opts.at ? await merchantDay(trx, merchantId, opts.at) : undefined;
  const detailed = await fitMerchantModelsDetailed(trx, merchantId, { timeUnit, calibrationEnd, holdoutEnd: calibrationEnd, penalizer });
  const { result, summaries, bg, gg } = detailed;
  const fitMs = performance.now() - started;

  // Discrete opportunities (Settings › CLTV): BG/BB on each member's opportunity summary, no comparison. Otherwise the
  // model choice on the validation split first: the members are scored with the model that predicted its holdout best.
  const discrete = discretePeriodDays ? discreteHistories(detailed.transactions, summaries, result.calibrationEnd, discretePeriodDays) : null;
  const { validation, modelChoice } = discrete
    ? { validation: null, modelChoice: null }
    : await validationFit(trx, merchantId, result.calibrationEnd, detailed.firstDay, timeUnit, penalizer);
  const chosen: PurchaseModelKind = discrete ? "bgbb" : (modelChoice?.chosen ?? "bgnbd");
  const rows = compress(discrete ?? summaries);
  // The refit on every order starts from the comparison's calibration fit of the same model (a few iterations away).
  const calibrationFit = modelChoice?.models.find((m) => m.kind === chosen);
  const purchaseModel = chosen === "bgnbd" ? undefined : fitPurchaseModel(chosen, rows, { penalizer, start: calibrationFit ? logParamsOf(chosen, calibrationFit.params) : undefined });
  const scoredWith: FitDiagnostics["scoredWith"] = purchaseModel
    ? { kind: chosen, params: purchaseModel.params, logLikelihood: purchaseModel.logLikelihood, converged: purchaseModel.converged }
    : { kind: "bgnbd", params: { r: bg.r, alpha: bg.alpha, a: bg.a, b: bg.b }, logLikelihood: bg.logLikelihood, converged: bg.converged };

  const scoreStarted = performance.now();
  const histories = summaries.map((s, i) => ({ memberId: s.customerId, ...(discrete ? discrete[i]! : { x: s.x, tx: s.tx, T: s.T }), zbar: s.zbar, spend: s.spend }));
  const economics = {
    timeUnit,
    unitDays: discrete ? discretePeriodDays! : undefined,
    meanSpend: detailed.meanSpend,
    grossMargin: settings.grossMarginBps / 10_000,
    annualDiscountRate: settings.annualDiscountRateBps / 10_000,
    minorScale: detailed.minorScale,
  };
  const scores = scoreMembers(histories, { bgnbd: bg, purchaseModel, gammaGamma: gg, ...economics });
  const calibration = calibrationTable(summaries, result.bgnbd);
  const scoreMs = performance.now() - scoreStarted;

  // 90% intervals per member from parameter draws shared by every member (score-intervals.ts).
  const intervalStarted = performance.now();
  const uncertainty = scoringUncertainty({
    kind: scoredWith.kind,
    params: scoredWith.params,
    rows,
    repeatBuyers: discrete ? discrete.filter((d) => d.x > 0).length : result.customers.repeat,
    penalizer,
    gammaGamma: gg && gg.q > 1 ? gg : null,
    spendRows: detailed.spend,
  });
  const intervals = uncertainty.draws
    ? memberIntervals(histories, { purchaseDraws: uncertainty.draws.purchase, spendDraws: uncertainty.draws.spend, ...economics })
    : null;
  const scored: ScoredMember[] = scores.map((sc, i) => ({ ...sc, interval: intervals?.[i] ?? null }));
  const intervalMs = performance.now() - intervalStarted;

  const writeStarted = performance.now();
  const modelId = newId("cltvModel");
  const at = now();
  await writeScores(trx, merchantId, modelId, scored, at);
  const writeMs = performance.now() - writeStarted;

  const diagnostics: StoredFitDiagnostics = {
    bgnbd: { evaluations: bg.evaluations, gradientNorm: bg.gradientNorm, starts: bg.starts },
    gammaGamma: gg ? { evaluations: gg.evaluations, gradientNorm: gg.gradientNorm } : null,
    gammaGammaNote: result.gammaGammaNote,
    calibration,
    validation,
    settings: { grossMarginBps: settings.grossMarginBps, annualDiscountRateBps: settings.annualDiscountRateBps },
    modelChoice,
    scoredWith,
    scoring: {
      penalizer,
      discretePeriodDays: discrete ? discretePeriodDays : null,
      warnings: uncertainty.warnings,
      intervals: uncertainty.draws ? { level: INTERVAL_LEVEL, draws: uncertainty.draws.purchase.length, ms: Math.round(intervalMs), spendNote: uncertainty.spendNote } : null,
      logStandardErrors: uncertainty.logStandardErrors,
      spendIndependence: spendIndependence(detailed.spend),
    },
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
