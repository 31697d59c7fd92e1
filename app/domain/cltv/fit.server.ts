/**
 * On-demand fit of a merchant's CLTV models (issue 6, `npm run cli -- cltv fit`): the merchant's orders → per-member
 * summaries (purchase days in the merchant's time zone) → BG/NBD and Gamma-Gamma by maximum likelihood, and, with a
 * calibration end, predicted vs actual repeat purchases in the holdout as in Fader, Hardie & Lee (2005).
 */
import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import { DomainError } from "~/lib/errors";
import { minorDigits } from "~/lib/money";
import { wallTimeIn } from "~/lib/time-zone";
import { conditionalExpectedPurchases, fitBgNbd, type BgNbdFit } from "./bgnbd";
import { fitGammaGamma, type GammaGammaFit, type SpendRow } from "./gamma-gamma";
import { buildSummary, compress, dayNumber, type CustomerSummary, type TimeUnit, type Transaction } from "./summary";

export const MIN_CUSTOMERS = 10;
export const MIN_REPEAT_CUSTOMERS = 2;
export const MIN_GAMMA_GAMMA_CUSTOMERS = 10;
/** Holdout rows by calibration repeat purchases x = 0 … 6 and 7+ (FHL 2005, figure 4). */
export const HOLDOUT_GROUPS = 8;

export interface FitOptions {
  /** Last calibration day (YYYY-MM-DD, inclusive, in the merchant's zone); default today: every order is calibration. */
  calibrationEnd?: string;
  /** Last holdout day; default the last purchase day in the data. */
  holdoutEnd?: string;
  timeUnit?: TimeUnit;
  /** lifetimes' L2 penalizer for the BG/NBD (Settings › CLTV; 0 = plain MLE). */
  penalizer?: number;
}

export interface HoldoutGroup {
  /** "0" … "6", "7+". */
  x: string;
  customers: number;
  actualMean: number;
  predictedMean: number;
}

export interface FitResult {
  merchantId: string;
  currency: string;
  timeZone: string;
  timeUnit: TimeUnit;
  calibrationEnd: string;
  /** Orders read (calibration and holdout, fully refunded ones and other currencies left out). */
  orders: number;
  customers: { total: number; repeat: number };
  bgnbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number; converged: boolean; iterations: number };
  /** Null when there are too few repeat customers with spend (see gammaGammaNote). */
  gammaGamma: { p: number; q: number; gamma: number; logLikelihood: number; customers: number; converged: boolean } | null;
  gammaGammaNote: string | null;
  holdout: {
    start: string;
    end: string;
    /** Holdout length in time units. */
    length: number;
    actual: number;
    predicted: number;
    byX: HoldoutGroup[];
  } | null;
  elapsedMs: number;
}

export function isCalendarDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  try {
    dayNumber(value);
    return true;
  } catch {
    return false;
  }
}

const dayString = (n: number) => new Date(n * 86_400_000).toISOString().slice(0, 10);

/** The calendar day (YYYY-MM-DD) of `at` in the zone. */
export function localDay(at: Date, timeZone: string): string {
  const w = wallTimeIn(at, timeZone);
  return `${w.year}-${String(w.month).padStart(2, "0")}-${String(w.day).padStart(2, "0")}`;
}

/** Gamma-Gamma's input: repeat customers with spend, compressed to unique (x, zbar). */
export function spendRows(summaries: readonly CustomerSummary[]): (SpendRow & { weight: number })[] {
  const spend = new Map<string, SpendRow & { weight: number }>();
  for (const s of summaries) {
    if (s.x <= 0 || !(s.zbar > 0)) continue;
    const key = `${s.x}|${s.zbar}`;
    const hit = spend.get(key);
    if (hit) hit.weight++;
    else spend.set(key, { x: s.x, m: s.zbar, weight: 1 });
  }
  return [...spend.values()];
}

export async function fitMerchantModels(trx: Trx, merchantId: string, opts: FitOptions = {}): Promise<FitResult> {
  return (await fitMerchantModelsDetailed(trx, merchantId, opts)).result;
}

/** The fit with what scoring needs besides the printed result: the members' summaries and the full fits. */
export interface DetailedFit {
  result: FitResult;
  summaries: CustomerSummary[];
  bg: BgNbdFit;
  gg: GammaGammaFit | null;
  /** Mean spend per purchase day in calibration (currency units): the fallback expected order value. */
  meanSpend: number;
  /** Minor units per currency unit. */
  minorScale: number;
  firstDay: string | null;
  /** One per member per purchase day, every day read (BG/BB summarises them into opportunities). */
  transactions: Transaction[];
  /** Gamma-Gamma's input (spendRows of the summaries), also what the scoring's uncertainty and independence check read. */
  spend: (SpendRow & { weight: number })[];
}

/**
 * The merchant's purchases as one transaction per member per local purchase day (amounts in currency units), with the
 * order count, the last purchase day and the currency's minor-unit scale.
 */
export async function readPurchaseDays(
  trx: Trx,
  merchantId: string,
  merchant: { currency: string; timezone: string },
): Promise<{ transactions: Transaction[]; orders: number; lastDay: string; scale: number }> {
  // One row per member per local purchase day, aggregated by PostgreSQL (it scales to hundreds of thousands of orders).
  // Fully refunded orders are not purchases; zero-amount orders that were never refunded still are.
  const dayOfOrder = sql<string>`to_char(occurred_at at time zone ${merchant.timezone}, 'YYYY-MM-DD')`;
  const rows = await trx
    .selectFrom("orders")
    .select(["member_id", dayOfOrder.as("day"), sql<number>`sum(amount_minor)::bigint`.as("amount_minor"), sql<number>`count(*)::int`.as("orders")])
    .where("merchant_id", "=", merchantId)
    .where("currency", "=", merchant.currency)
    .where((eb) => eb.or([eb("refunded_minor", "=", 0), eb("refunded_minor", "<", eb.ref("amount_minor"))]))
    // By position: the zone is a bound parameter, so a repeated expression would not count as the same one.
    .groupBy(["member_id", sql`2`])
    .orderBy("member_id")
    .orderBy(sql`2`)
    .execute();

  const scale = 10 ** minorDigits(merchant.currency);
  let orders = 0;
  let lastDay = "";
  const transactions: Transaction[] = rows.map((r) => {
    orders += r.orders;
    if (r.day > lastDay) lastDay = r.day;
    return { customerId: r.member_id, date: r.day, amount: Number(r.amount_minor) / scale };
  });

  return { transactions, orders, lastDay, scale };
}

export async function fitMerchantModelsDetailed(trx: Trx, merchantId: string, opts: FitOptions = {}): Promise<DetailedFit> {
  const started = performance.now();
  const timeUnit = opts.timeUnit ?? "week";
  if (timeUnit !== "week" && timeUnit !== "day") throw new DomainError("validation_failed", "Time unit must be day or week", { field: "timeUnit" });
  const merchant = await trx.selectFrom("merchants").select(["currency", "timezone"]).where("id", "=", merchantId).executeTakeFirst();
  if (!merchant) throw new DomainError("not_found", "Merchant not found", { field: "merchant" });

  const today = localDay(now(), merchant.timezone);
  if (opts.calibrationEnd !== undefined) {
    if (!isCalendarDay(opts.calibrationEnd)) throw new DomainError("validation_failed", "Calibration end must be a date like 2026-06-30", { field: "calibrationEnd" });
    if (opts.calibrationEnd > today) throw new DomainError("validation_failed", "Calibration end must not be in the future", { field: "calibrationEnd" });
  }
  if (opts.holdoutEnd !== undefined && !isCalendarDay(opts.holdoutEnd)) {
    throw new DomainError("validation_failed", "Holdout end must be a date like 2026-06-30", { field: "holdoutEnd" });
  }
  const calibrationEnd = opts.calibrationEnd ?? today;

  const { transactions, orders, lastDay, scale } = await readPurchaseDays(trx, merchantId, merchant);

  const holdoutEnd = opts.calibrationEnd === undefined ? undefined : (opts.holdoutEnd ?? (lastDay > calibrationEnd ? lastDay : calibrationEnd));
  const summaries = buildSummary(transactions, { calibrationEnd, holdoutEnd, timeUnit });
  const repeat = summaries.filter((s) => s.x > 0).length;
  if (summaries.length < MIN_CUSTOMERS || repeat < MIN_REPEAT_CUSTOMERS) {
    throw new DomainError(
      "insufficient_data",
      `Too few orders to fit the models: ${summaries.length} customer(s), ${repeat} with repeat purchases, by ${calibrationEnd}; ` +
        `need at least ${MIN_CUSTOMERS} customers of whom ${MIN_REPEAT_CUSTOMERS} repeat`,
    );
  }

  const compressed = compress(summaries);
  const bg = fitBgNbd(compressed, { penalizer: opts.penalizer ?? 0 });
  const bgnbd = { r: bg.r, alpha: bg.alpha, a: bg.a, b: bg.b, logLikelihood: bg.logLikelihood, converged: bg.converged, iterations: bg.iterations };

  const spend = spendRows(summaries);
  const spenders = spend.reduce((n, r) => n + r.weight, 0);
  let gammaGamma: FitResult["gammaGamma"] = null;
  let gammaGammaNote: string | null = null;
  let gg: GammaGammaFit | null = null;
  if (spenders < MIN_GAMMA_GAMMA_CUSTOMERS) {
    gammaGammaNote = `too few repeat customers with spend to fit Gamma-Gamma (${spenders}, need ${MIN_GAMMA_GAMMA_CUSTOMERS})`;
  } else {
    gg = fitGammaGamma(spend);
    gammaGamma = { p: gg.p, q: gg.q, gamma: gg.gamma, logLikelihood: gg.logLikelihood, customers: gg.customers, converged: gg.converged };
  }

  let holdout: FitResult["holdout"] = null;
  if (holdoutEnd !== undefined) {
    const unitDays = timeUnit === "week" ? 7 : 1;
    const length = Math.max(0, dayNumber(holdoutEnd) - dayNumber(calibrationEnd)) / unitDays;
    const groups = Array.from({ length: HOLDOUT_GROUPS }, () => ({ customers: 0, actual: 0, predicted: 0 }));
    let actual = 0;
    let predicted = 0;
    for (const s of summaries) {
      const e = conditionalExpectedPurchases(bg, length, s.x, s.tx, s.T);
      const g = groups[Math.min(s.x, HOLDOUT_GROUPS - 1)]!;
      g.customers++;
      g.actual += s.holdoutPurchases;
      g.predicted += e;
      actual += s.holdoutPurchases;
      predicted += e;
    }
    holdout = {
      start: dayString(dayNumber(calibrationEnd) + 1),
      end: holdoutEnd,
      length,
      actual,
      predicted,
      byX: groups.map((g, i) => ({
        x: i === HOLDOUT_GROUPS - 1 ? `${i}+` : String(i),
        customers: g.customers,
        actualMean: g.customers ? g.actual / g.customers : 0,
        predictedMean: g.customers ? g.predicted / g.customers : 0,
      })),
    };
  }

  let purchaseDays = 0;
  let totalSpend = 0;
  for (const s of summaries) {
    purchaseDays += s.x + 1;
    totalSpend += s.spend;
  }
  let firstDay: string | null = null;
  for (const t of transactions) if (firstDay === null || t.date < firstDay) firstDay = t.date;
  const result: FitResult = {
    merchantId,
    currency: merchant.currency,
    timeZone: merchant.timezone,
    timeUnit,
    calibrationEnd,
    orders,
    customers: { total: summaries.length, repeat },
    bgnbd,
    gammaGamma,
    gammaGammaNote,
    holdout,
    elapsedMs: Math.round(performance.now() - started),
  };
  return { result, summaries, bg, gg, meanSpend: purchaseDays ? totalSpend / purchaseDays : 0, minorScale: scale, firstDay, transactions, spend };
}

const fmt = (v: number, digits: number) => v.toFixed(digits);

/** The human-readable report `cltv fit` prints. */
export function formatFitResult(r: FitResult, slug: string): string {
  const lines = [
    `CLTV fit for ${slug} (${r.currency}, ${r.timeZone}), time unit ${r.timeUnit}, calibration through ${r.calibrationEnd}`,
    `orders: ${r.orders}; customers: ${r.customers.total} (repeat ${r.customers.repeat})`,
    `bgnbd: {r: ${fmt(r.bgnbd.r, 4)}, alpha: ${fmt(r.bgnbd.alpha, 4)}, a: ${fmt(r.bgnbd.a, 4)}, b: ${fmt(r.bgnbd.b, 4)}, logLikelihood: ${fmt(r.bgnbd.logLikelihood, 2)}}` +
      (r.bgnbd.converged ? "" : " (did not converge)"),
    r.gammaGamma
      ? `gammaGamma: {p: ${fmt(r.gammaGamma.p, 4)}, q: ${fmt(r.gammaGamma.q, 4)}, gamma: ${fmt(r.gammaGamma.gamma, 4)}, logLikelihood: ${fmt(r.gammaGamma.logLikelihood, 2)}} on ${r.gammaGamma.customers} repeat customers` +
        (r.gammaGamma.converged ? "" : " (did not converge)")
      : `gammaGamma: not fitted: ${r.gammaGammaNote}`,
  ];
  if (r.holdout) {
    const h = r.holdout;
    lines.push(
      "",
      `holdout ${h.start} .. ${h.end} (${fmt(h.length, 2)} ${r.timeUnit}s): repeat purchases actual ${h.actual}, predicted ${fmt(h.predicted, 1)}`,
      "  x (calibration repeats)  customers  actual mean  predicted mean",
      ...h.byX.map((g) => `  ${g.x.padEnd(23)}  ${String(g.customers).padStart(9)}  ${fmt(g.actualMean, 3).padStart(11)}  ${fmt(g.predictedMean, 3).padStart(14)}`),
    );
  }
  lines.push(`took ${(r.elapsedMs / 1000).toFixed(2)} s`);
  return lines.join("\n");
}
