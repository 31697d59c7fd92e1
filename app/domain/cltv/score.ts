/**
 * Per-member CLTV from fitted models (pure; the database side is score.server.ts).
 *
 *  expected purchases next 12 months   E[Y(12 months) | x, t_x, T] (BG/NBD)
 *  P(alive)                             1/D (BG/NBD)
 *  expected spend per order             E[M | x, zbar] (Gamma-Gamma); the population mean pγ/(q−1) for x = 0;
 *                                       the merchant's mean order-day value when Gamma-Gamma could not be fitted
 *  discounted CLTV over h months        Σ_{k=1..h} (E[Y(k)] − E[Y(k−1)]) · spend · margin / (1 + d)^(k/12),
 *                                       month k's expected purchases discounted to today at the annual rate d
 *  percentile, value segment, at-risk   ranks within the merchant (see rankMembers)
 */
import { conditionalExpectedPurchases, probabilityAlive, type BgNbdParams } from "./bgnbd";
import { conditionalExpectedSpend, type GammaGammaParams } from "./gamma-gamma";
import type { PurchasePredictor } from "./model-choice";
import type { TimeUnit } from "./summary";

export const HORIZON_MONTHS = 36;
const DAYS_PER_MONTH = 365.25 / 12;
/** Value segments by predicted 12-month CLTV: the top and bottom 20% of scored members, the 60% between. */
export const SEGMENT_SHARE = 0.2;
/** At risk: past value in the merchant's top 30% and P(alive) below one half. */
export const AT_RISK_PAST_VALUE_SHARE = 0.3;
export const AT_RISK_P_ALIVE = 0.5;

export interface ScoringInput {
  bgnbd: BgNbdParams;
  /** The merchant's chosen purchase model (model-choice.ts); the BG/NBD above when absent. */
  purchaseModel?: Pick<PurchasePredictor, "expected" | "pAlive">;
  gammaGamma: GammaGammaParams | null;
  timeUnit: TimeUnit;
  /** Days per time unit when it is neither a day nor a week: BG/BB's opportunity period. */
  unitDays?: number;
  /** Fallback spend per purchase day (currency units) when there is no usable Gamma-Gamma fit. */
  meanSpend: number;
  /** 0..1 */
  grossMargin: number;
  /** 0..1, per year */
  annualDiscountRate: number;
  /** Currency minor units per unit (100 for USD). */
  minorScale: number;
}

export interface MemberHistory {
  memberId: string;
  x: number;
  tx: number;
  T: number;
  zbar: number;
  /** Past spend in currency units. */
  spend: number;
}

export interface MemberScore {
  memberId: string;
  predictedPurchases12m: number;
  pAlive: number;
  expectedOrderMinor: number;
  cltv12mMinor: number;
  cltv24mMinor: number;
  cltv36mMinor: number;
  /** Past spend, for the at-risk rule. */
  pastValue: number;
  percentile: number;
  segment: "top" | "middle" | "bottom";
  atRisk: boolean;
}

/**
 * Scores every member. E[Y(t)|·]·D depends only on (x, T) and t, so the 36 monthly ₂F₁ evaluations are shared by
 * members with the same (x, T) and only divided by each member's D: that is what keeps 100,000 members at about a
 * second.
 */
export function scoreMembers(members: readonly MemberHistory[], input: ScoringInput): MemberScore[] {
  const { bgnbd, timeUnit, grossMargin, annualDiscountRate, minorScale } = input;
  const unitDays = input.unitDays ?? (timeUnit === "week" ? 7 : 1);
  const monthUnits = DAYS_PER_MONTH / unitDays;
  const discount = Array.from({ length: HORIZON_MONTHS + 1 }, (_, k) => Math.pow(1 + annualDiscountRate, -k / 12));
  const gg = input.gammaGamma && input.gammaGamma.q > 1 ? input.gammaGamma : null;
  // Every model here has E[Y(t) | x, t_x, T] = g(x, T, t)·P(alive | x, t_x, T), which is what the shared curves use.
  const model = input.purchaseModel ?? {
    expected: (t: number, x: number, tx: number, T: number) => conditionalExpectedPurchases(bgnbd, t, x, tx, T),
    pAlive: (x: number, tx: number, T: number) => probabilityAlive(bgnbd, x, tx, T),
  };

  // Cumulative E[Y(k months)]·D for k = 0..36, per (x, T).
  const curves = new Map<string, Float64Array>();
  const curveFor = (x: number, T: number) => {
    const key = `${x}|${T}`;
    let c = curves.get(key);
    if (!c) {
      c = new Float64Array(HORIZON_MONTHS + 1);
      // With t_x = T the denominator D is computed, then multiplied back out: E·D is independent of t_x.
      const d = 1 / model.pAlive(x, T, T);
      for (let k = 1; k <= HORIZON_MONTHS; k++) c[k] = model.expected(k * monthUnits, x, T, T) * d;
      curves.set(key, c);
    }
    return c;
  };

  const scored = members.map((m) => {
    const pAlive = model.pAlive(m.x, m.tx, m.T);
    const curve = curveFor(m.x, m.T);
    const spend = gg ? conditionalExpectedSpend(gg, m.x, m.x > 0 ? m.zbar : 0) : input.meanSpend;
    const perPurchase = spend * grossMargin;
    let cum = 0;
    const cltv = [0, 0, 0];
    for (let k = 1; k <= HORIZON_MONTHS; k++) {
      cum += (((curve[k] ?? 0) - (curve[k - 1] ?? 0)) * pAlive * perPurchase) * (discount[k] ?? 1);
      if (k === 12) cltv[0] = cum;
      if (k === 24) cltv[1] = cum;
      if (k === 36) cltv[2] = cum;
    }
    return {
      memberId: m.memberId,
      predictedPurchases12m: (curve[12] ?? 0) * pAlive,
      pAlive,
      expectedOrderMinor: Math.round(spend * minorScale),
      cltv12mMinor: Math.round((cltv[0] ?? 0) * minorScale),
      cltv24mMinor: Math.round((cltv[1] ?? 0) * minorScale),
      cltv36mMinor: Math.round((cltv[2] ?? 0) * minorScale),
      pastValue: m.spend,
      percentile: 0,
      segment: "middle" as MemberScore["segment"],
      atRisk: false,
    };
  });
  rankMembers(scored);
  return scored;
}

/**
 * percentile = share of members with a strictly lower 12-month CLTV (ties share a percentile); segments by position
 * in the order of predicted CLTV (member id breaks ties, so the split is exactly 20/60/20 and stable between runs);
 * at-risk = past value in the top 30% and P(alive) < ½.
 */
export function rankMembers(scores: MemberScore[]): void {
  const n = scores.length;
  if (n === 0) return;
  const byValue = scores.slice().sort((p, q) => p.cltv12mMinor - q.cltv12mMinor || (p.memberId < q.memberId ? -1 : p.memberId > q.memberId ? 1 : 0));
  const edge = Math.round(n * SEGMENT_SHARE);
  let lower = 0;
  byValue.forEach((s, i) => {
    if (i > 0 && s.cltv12mMinor !== byValue[i - 1]!.cltv12mMinor) lower = i;
    s.percentile = (100 * lower) / n;
    s.segment = i >= n - edge ? "top" : i < edge ? "bottom" : "middle";
  });
  const past = scores.map((s) => s.pastValue).sort((p, q) => p - q);
  const threshold = past[Math.min(n - 1, Math.floor(n * (1 - AT_RISK_PAST_VALUE_SHARE)))]!;
  for (const s of scores) s.atRisk = s.pastValue >= threshold && s.pastValue > 0 && s.pAlive < AT_RISK_P_ALIVE;
}
