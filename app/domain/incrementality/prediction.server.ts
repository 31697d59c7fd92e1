import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { latestStoredModel } from "~/domain/cltv/current-model.server";
import { localDay, readPurchaseDays } from "~/domain/cltv/fit.server";
import { conditionalExpectedSpend, type GammaGammaParams } from "~/domain/cltv/gamma-gamma";
import { PURCHASE_MODELS, predictorFromParams, type PurchaseModelKind, type PurchasePredictor } from "~/domain/cltv/model-choice";
import { buildSummary, compress, type CustomerSummary, type Transaction } from "~/domain/cltv/summary";
import { bootstrapIntervals, parameterUncertainty } from "~/domain/cltv/uncertainty";

/**
 * The predicted residual CLTV of an experiment's members on one clock (issue 16 §2), and its uncertainty (§4).
 *
 * One clock: every window's value ends at the same instant, the horizon H = the model's scoring instant + 12 months.
 * A member's value is realized margin inside the window plus the model's expected margin from the window's end to H,
 * predicted from the member's purchases BEFORE the window's end (the stored model's parameters applied to the
 * member's x, t_x, T as of that day). So realized and predicted value meet at the window's end, nothing between
 * the window's end and the scoring is dropped (it is predicted instead of observed), and for the window "since
 * assignment" (end = the scoring) it is the stored 12-month CLTV. The window only chooses how much of the same
 * quantity is observed rather than predicted; with a model that predicts well the estimate does not move with it.
 * Margin and discounting are the scoring's (its CLTV settings); months after the scoring are discounted as in
 * score.ts, the predicted past (window end → scoring) is not.
 *
 * Uncertainty: the purchase model's parameters are uncertain (inverse Hessian of −ℓ on the fit's customers, as
 * uncertainty.ts). The same parameters predict both arms, so most of that uncertainty is common to them; what the
 * comparison needs is the spread of the ARM DIFFERENCE of mean predicted value over parameter draws — a parametric
 * bootstrap (bootstrapIntervals' draws) of that difference. The draws' variance is added to the comparison's
 * sampling variance. Gamma-Gamma's spend parameters are held at their estimate. Without a covariance (the Hessian
 * is singular: a ridge) there is no such term, and the report says so.
 */

const DAYS_PER_MONTH = 365.25 / 12;
const HORIZON_MONTHS = 12;
/**
 * Parameter draws for the arm difference (seeded). Only its standard deviation is used (not the tails), which 60
 * draws give to about ±10%; each draw re-predicts every distinct member history, so this is the report's main cost.
 */
export const PREDICTION_DRAWS = 60;
const DAY_MS = 86_400_000;

interface MemberInput {
  memberId: string;
  arm: string;
  summary: CustomerSummary;
  /** Months between the member's window end and the scoring instant (≥ 0). */
  gapMonths: number;
  /** Expected spend per purchase times margin (currency units). */
  perPurchase: number;
}

export interface PredictionContext {
  modelId: string;
  scoredAt: Date;
  kind: PurchaseModelKind;
  logParams: number[];
  logCovariance: number[][] | null;
  timeUnit: "day" | "week";
  minorScale: number;
  grossMargin: number;
  annualDiscountRate: number;
  gg: GammaGammaParams | null;
  meanSpend: number;
  timeZone: string;
  transactions: Map<string, Transaction[]>;
}

/**
 * Results by model: everything here depends on the stored model and on purchases up to its calibration end, which a
 * new model replaces; the predictions also on the assignments (in their key). A few entries, so a summary refresh
 * (six windows) and the page reading it cost one computation per model and window.
 */
const CACHE_ENTRIES = 64;
const cache = new Map<string, Promise<unknown>>();

function cached<T>(key: string, load: () => Promise<T>): Promise<T> {
  let hit = cache.get(key) as Promise<T> | undefined;
  if (!hit) {
    hit = load();
    cache.set(key, hit);
    // A failed load is not kept (the next call retries it).
    hit.catch(() => cache.delete(key));
    if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  return hit;
}

/** The stored model and every purchase day of the merchant up to the model's calibration end. */
export async function predictionContext(trx: Trx, merchantId: string): Promise<PredictionContext | null> {
  const model = await latestStoredModel(trx, merchantId);
  if (!model) return null;
  return cached(`ctx:${merchantId}:${model.id}`, () => loadContext(trx, merchantId, model));
}

async function loadContext(trx: Trx, merchantId: string, model: NonNullable<Awaited<ReturnType<typeof latestStoredModel>>>): Promise<PredictionContext> {
  const merchant = await trx.selectFrom("merchants").select(["currency", "timezone"]).where("id", "=", merchantId).executeTakeFirstOrThrow();
  const kind: PurchaseModelKind = model.diagnostics.scoredWith?.kind ?? "bgnbd";
  const params = model.diagnostics.scoredWith?.params ?? { r: model.bgnbd_r, alpha: model.bgnbd_alpha, a: model.bgnbd_a, b: model.bgnbd_b };
  const spec = PURCHASE_MODELS[kind];
  const logParams = spec.names.map((n) => Math.log(Number(params[n])));
  const { transactions, scale } = await readPurchaseDays(trx, merchantId, { currency: merchant.currency.trim(), timezone: merchant.timezone });
  const byMember = new Map<string, Transaction[]>();
  for (const t of transactions) {
    const list = byMember.get(t.customerId);
    if (list) list.push(t);
    else byMember.set(t.customerId, [t]);
  }
  // The covariance of the fit the members were scored with: the same customers (every order to the calibration end).
  const calibrationEnd = String(model.calibration_end).slice(0, 10);
  const fitted = buildSummary(
    transactions.filter((t) => t.date <= calibrationEnd),
    { calibrationEnd, timeUnit: model.time_unit },
  );
  const rowsFitted = compress(fitted);
  const u = parameterUncertainty((v) => spec.negLogLikelihood(v, rowsFitted), logParams);
  let spendDays = 0;
  let spendTotal = 0;
  for (const t of transactions) {
    if (t.date > calibrationEnd) continue;
    spendDays++;
    spendTotal += t.amount;
  }
  const settings = model.diagnostics.settings;
  // The scores describe the end of the calibration day (their T runs to it), whenever the run itself happened.
  const dataEnd = Date.parse(`${calibrationEnd}T00:00:00Z`) + DAY_MS;
  return {
    modelId: model.id,
    scoredAt: new Date(Math.min(model.created_at.getTime(), dataEnd)),
    kind,
    logParams,
    logCovariance: u.logCovariance,
    timeUnit: model.time_unit,
    minorScale: scale,
    grossMargin: settings.grossMarginBps / 10_000,
    annualDiscountRate: settings.annualDiscountRateBps / 10_000,
    gg: model.gg_p !== null && model.gg_q !== null && model.gg_gamma !== null && model.gg_q > 1 ? { p: model.gg_p, q: model.gg_q, gamma: model.gg_gamma } : null,
    meanSpend: spendDays ? spendTotal / spendDays : 0,
    timeZone: merchant.timezone,
    transactions: byMember,
  };
}

/**
 * Expected margin (currency units) from the window's end to the horizon: E[Y(gap)] undiscounted for the predicted
 * past (window end → scoring), then monthly steps of E[Y(t) | x, t_x, T], month k after the scoring discounted by
 * (1 + d)^(−k/12) as in score.ts.
 */
function residual(model: Pick<PurchasePredictor, "expected">, m: MemberInput, ctx: PredictionContext): number {
  const monthUnits = DAYS_PER_MONTH / (ctx.timeUnit === "week" ? 7 : 1);
  const { x, tx, T } = m.summary;
  const gap = m.gapMonths;
  let before = gap > 0 ? model.expected(gap * monthUnits, x, tx, T) : 0;
  let value = before * m.perPurchase;
  for (let k = 1; k <= HORIZON_MONTHS; k++) {
    const e = model.expected((gap + k) * monthUnits, x, tx, T);
    value += (e - before) * m.perPurchase * Math.pow(1 + ctx.annualDiscountRate, -k / 12);
    before = e;
  }
  return value;
}

export interface ResidualPredictions {
  /** Predicted residual CLTV per member (minor units), members with a purchase before their window's end only. */
  memberIds: string[];
  predictedMinor: number[];
  /** Per non-control arm: variance of (mean predicted, arm) − (mean predicted, control) over the parameters (minor units²). */
  differenceVariance: Record<string, number>;
  draws: number;
}

/**
 * The predicted residual CLTV of every assigned member as of their window's end (assigned_at + windowDays, `to`,
 * capped at the scoring instant; without a window, the scoring instant itself), and the variance of each arm's
 * difference to the control from the model's parameter uncertainty. Null without a stored model.
 */
export async function residualPredictions(
  trx: Trx,
  merchantId: string,
  experimentId: string,
  w: { windowDays?: number | null; to?: Date | null },
): Promise<ResidualPredictions | null> {
  const ctx = await predictionContext(trx, merchantId);
  if (!ctx) return null;
  const stamp = await sql<{ n: string; last: Date | null }>`
    select count(*) as n, max(assigned_at) as last from experiment_assignments where merchant_id = ${merchantId} and experiment_id = ${experimentId}`.execute(trx);
  const key = `pred:${merchantId}:${ctx.modelId}:${experimentId}:${w.windowDays ?? ""}:${w.to?.toISOString() ?? ""}:${stamp.rows[0]!.n}:${stamp.rows[0]!.last?.toISOString() ?? ""}`;
  return cached(key, () => computePredictions(trx, merchantId, experimentId, w, ctx));
}

async function computePredictions(
  trx: Trx,
  merchantId: string,
  experimentId: string,
  w: { windowDays?: number | null; to?: Date | null },
  ctx: PredictionContext,
): Promise<ResidualPredictions> {
  const rows = await sql<{ member_id: string; arm: string; assigned_at: Date; is_control: boolean }>`
    select a.member_id, a.arm, a.assigned_at, r.is_control
    from experiment_assignments a
    join experiment_arms r on r.merchant_id = a.merchant_id and r.experiment_id = a.experiment_id and r.arm = a.arm
    where a.merchant_id = ${merchantId} and a.experiment_id = ${experimentId}`.execute(trx);
  const scoredAt = ctx.scoredAt.getTime();
  // Members grouped by the calendar day their window ends (the summary is per day, in the merchant's zone).
  const byDay = new Map<string, { rows: typeof rows.rows; end: number }>();
  for (const r of rows.rows) {
    let end = scoredAt;
    if (w.windowDays != null) end = Math.min(end, r.assigned_at.getTime() + w.windowDays * DAY_MS);
    if (w.to) end = Math.min(end, w.to.getTime());
    // The window's end is exclusive: the summary's last day is the day before it when it falls on midnight.
    const day = localDay(new Date(end - 1), ctx.timeZone);
    const g = byDay.get(day);
    if (g) g.rows.push(r);
    else byDay.set(day, { rows: [r], end });
  }
  const members: MemberInput[] = [];
  const controlArm = rows.rows.find((r) => r.is_control)?.arm ?? null;
  for (const [day, g] of byDay) {
    const tx: Transaction[] = [];
    for (const r of g.rows) for (const t of ctx.transactions.get(r.member_id) ?? []) if (t.date <= day) tx.push(t);
    const arms = new Map(g.rows.map((r) => [r.member_id, r.arm]));
    const gapMonths = Math.max(0, (scoredAt - g.end) / DAY_MS / DAYS_PER_MONTH);
    for (const s of buildSummary(tx, { calibrationEnd: day, timeUnit: ctx.timeUnit })) {
      const spend = ctx.gg ? conditionalExpectedSpend(ctx.gg, s.x, s.x > 0 ? s.zbar : 0) : ctx.meanSpend;
      members.push({ memberId: s.customerId, arm: arms.get(s.customerId)!, summary: s, gapMonths, perPurchase: spend * ctx.grossMargin });
    }
  }
  const model = predictorFromParams(ctx.kind, Object.fromEntries(PURCHASE_MODELS[ctx.kind].names.map((n, i) => [n, Math.exp(ctx.logParams[i]!)])));
  // The residual is linear in the spend per purchase: members with the same (x, t_x, T, gap) — the compressed
  // summary the fit uses — share one evaluation per parameter vector (at the estimate here, at each draw below),
  // scaled per member by their spend (weighted per arm), instead of 13 model evaluations per member.
  const groups = new Map<string, { m: MemberInput; estimate: number; weight: Map<string, number> }>();
  const predictedMinor = members.map((m) => {
    const key = `${m.summary.x}|${m.summary.tx}|${m.summary.T}|${m.gapMonths}`;
    let g = groups.get(key);
    if (!g) {
      const unit = { ...m, perPurchase: 1 };
      groups.set(key, (g = { m: unit, estimate: residual(model, unit, ctx), weight: new Map() }));
    }
    g.weight.set(m.arm, (g.weight.get(m.arm) ?? 0) + m.perPurchase);
    return g.estimate * m.perPurchase * ctx.minorScale;
  });

  const differenceVariance: Record<string, number> = {};
  let draws = 0;
  const n = new Map<string, number>();
  for (const r of rows.rows) n.set(r.arm, (n.get(r.arm) ?? 0) + 1);
  const arms = [...n.keys()].filter((a) => a !== controlArm).sort();
  if (controlArm && arms.length && ctx.logCovariance && members.length) {
    const spec = PURCHASE_MODELS[ctx.kind];
    const differences = (v: readonly number[]) => {
      const p = spec.predictor(v);
      const sums = new Map<string, number>();
      for (const g of groups.values()) {
        const r = residual(p, g.m, ctx) * ctx.minorScale;
        for (const [arm, wgt] of g.weight) sums.set(arm, (sums.get(arm) ?? 0) + r * wgt);
      }
      const mean = (arm: string) => (sums.get(arm) ?? 0) / (n.get(arm) ?? 1);
      return arms.map((a) => mean(a) - mean(controlArm));
    };
    // bootstrapIntervals evaluates the estimate first, then each draw: the draws' values are kept for their variance.
    const seen: (readonly number[])[] = [];
    const boot = bootstrapIntervals(ctx.logParams, ctx.logCovariance, (v) => {
      const d = differences(v);
      seen.push(d);
      return d;
    }, { draws: PREDICTION_DRAWS, seed: 16 });
    draws = boot.draws;
    const kept = seen.slice(1).filter((d) => d.every(Number.isFinite));
    arms.forEach((a, i) => {
      const vals = kept.map((d) => d[i]!);
      const mean = vals.reduce((s, v) => s + v, 0) / Math.max(1, vals.length);
      differenceVariance[a] = vals.length > 1 ? vals.reduce((s, v) => s + (v - mean) ** 2, 0) / (vals.length - 1) : 0;
    });
  }
  return { memberIds: members.map((m) => m.memberId), predictedMinor, differenceVariance, draws };
}
