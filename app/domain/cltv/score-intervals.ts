/**
 * Per-member 90% intervals on the scores (issue 16 §4; pure). One set of parameter draws (the fit's log-parameters
 * ~ N(v̂, Σ), Σ the inverse Hessian; Gamma-Gamma's drawn the same way and independently, its likelihood being separate)
 * is shared by every member, and members are taken a (x, T) group at a time: the 12 monthly expectations E[Y(k)]·D of
 * a draw depend on (x, T) only (as in scoreMembers), so a group costs draws × 4 expectations however many members it
 * holds, and memory stays one group's draws. What a member gets is the percentile interval of its draws.
 *
 * The draws discount by quarter (E[Y] at 3, 6, 9 and 12 months, each quarter's purchases at its middle month's factor)
 * where the point score discounts by month: 3× fewer ₂F₁ evaluations, and at a 10% yearly rate the two differ by
 * under 0.05% of the CLTV beyond rounding (the discount factor varies by < 1% within a quarter; the test measures it).
 */
import { conditionalExpectedSpend, type GammaGammaParams } from "./gamma-gamma";
import type { PurchasePredictor } from "./model-choice";
import type { MemberHistory } from "./score";
import type { TimeUnit } from "./summary";
import { quantile } from "./uncertainty";

export const INTERVAL_LEVEL = 0.9;
/**
 * Draws shared by every member. 100 keeps the intervals' cost near the point scores' (about 0.3 s CPU for the demo's
 * 1,771 members, tests/bench/cltv-choice.bench.ts); the 5% and 95% quantiles of 100 draws are themselves uncertain by
 * roughly ±2 percentile points, which is fine for a displayed range and not for a test statistic.
 */
export const INTERVAL_DRAWS = 100;
const DAYS_PER_MONTH = 365.25 / 12;

/** A member's stored 90% intervals (member_stats' *_low / *_high columns), as the page, the API and the CSV show them. */
export interface StoredIntervals {
  level: number;
  predictedPurchases12m: [number, number];
  pAlive: [number, number];
  cltv12mMinor: [number, number];
}

/** The stored intervals of a member_stats row, or null when any bound is missing (a ridge, or scored before them). */
export function storedIntervals(r: {
  predicted_purchases_12m_low: number | null;
  predicted_purchases_12m_high: number | null;
  p_alive_low: number | null;
  p_alive_high: number | null;
  cltv_12m_low_minor: number | null;
  cltv_12m_high_minor: number | null;
}): StoredIntervals | null {
  const { predicted_purchases_12m_low: pl, predicted_purchases_12m_high: ph, p_alive_low: al, p_alive_high: ah, cltv_12m_low_minor: cl, cltv_12m_high_minor: ch } = r;
  if (pl === null || ph === null || al === null || ah === null || cl === null || ch === null) return null;
  return { level: INTERVAL_LEVEL, predictedPurchases12m: [pl, ph], pAlive: [al, ah], cltv12mMinor: [Number(cl), Number(ch)] };
}

export const INTERVAL_COLUMNS = ["predicted_purchases_12m_low", "predicted_purchases_12m_high", "p_alive_low", "p_alive_high", "cltv_12m_low_minor", "cltv_12m_high_minor"] as const;

export interface MemberInterval {
  memberId: string;
  predictedPurchases12m: [number, number];
  pAlive: [number, number];
  /** Minor units. */
  cltv12mMinor: [number, number];
}

export interface IntervalInput {
  /** One predictor per draw of the purchase model's parameters. */
  purchaseDraws: readonly Pick<PurchasePredictor, "expected" | "pAlive">[];
  /** Gamma-Gamma per draw (same length), or null: spend is then the fixed fallback `meanSpend` in every draw. */
  spendDraws: readonly GammaGammaParams[] | null;
  meanSpend: number;
  timeUnit: TimeUnit;
  /** Days per time unit for BG/BB's opportunities (as ScoringInput.unitDays). */
  unitDays?: number;
  grossMargin: number;
  annualDiscountRate: number;
  minorScale: number;
  level?: number;
}

/** The interval of each member, in the members' order. A member whose every draw is non-finite gets NaN bounds. */
export function memberIntervals(members: readonly MemberHistory[], input: IntervalInput): MemberInterval[] {
  const draws = input.purchaseDraws.length;
  const unitDays = input.unitDays ?? (input.timeUnit === "week" ? 7 : 1);
  const monthUnits = DAYS_PER_MONTH / unitDays;
  // Quarter j (months 3j−2 … 3j) at the mean of its three months' monthly factors.
  const monthly = Array.from({ length: 13 }, (_, k) => Math.pow(1 + input.annualDiscountRate, -k / 12));
  const quarterly = [0, 1, 2, 3, 4].map((j) => (j === 0 ? 1 : (monthly[3 * j - 2]! + monthly[3 * j - 1]! + monthly[3 * j]!) / 3));
  const tail = (1 - (input.level ?? INTERVAL_LEVEL)) / 2;
  const spendDraws = input.spendDraws?.map((g) => (g.q > 1 ? g : null)) ?? null;

  // Sorted by (x, T, t_x): a group's curves, and P(alive) for members with the same t_x too (BG/BB's integer
  // summaries share them a lot), are computed once.
  const order = members.map((_, i) => i).sort((i, j) => members[i]!.x - members[j]!.x || members[i]!.T - members[j]!.T || members[i]!.tx - members[j]!.tx);
  const out = new Array<MemberInterval>(members.length);
  // Per draw, for the current (x, T): E[Y(12 months)]·D and the discounted Σ_j ΔE[Y(3j months)]·D·d_j.
  const purchasesD = new Float64Array(draws);
  const discountedD = new Float64Array(draws);
  const pp = new Float64Array(draws);
  const pa = new Float64Array(draws);
  const cl = new Float64Array(draws);
  const aliveD = new Float64Array(draws);
  let groupX = Number.NaN;
  let groupT = Number.NaN;
  let groupTx = Number.NaN;
  for (const i of order) {
    const m = members[i]!;
    const newGroup = m.x !== groupX || m.T !== groupT;
    if (newGroup || m.tx !== groupTx) {
      groupTx = m.tx;
      input.purchaseDraws.forEach((model, d) => (aliveD[d] = model.pAlive(m.x, m.tx, m.T)));
    }
    if (newGroup) {
      groupX = m.x;
      groupT = m.T;
      input.purchaseDraws.forEach((model, d) => {
        const invD = 1 / model.pAlive(m.x, m.T, m.T);
        let prev = 0;
        let disc = 0;
        for (let j = 1; j <= 4; j++) {
          const c = model.expected(3 * j * monthUnits, m.x, m.T, m.T) * invD;
          disc += (c - prev) * quarterly[j]!;
          prev = c;
        }
        purchasesD[d] = prev;
        discountedD[d] = disc;
      });
    }
    let kept = 0;
    input.purchaseDraws.forEach((_, d) => {
      const alive = aliveD[d]!;
      const gg = spendDraws?.[d];
      const spend = gg ? conditionalExpectedSpend(gg, m.x, m.x > 0 ? m.zbar : 0) : input.meanSpend;
      const purchases = purchasesD[d]! * alive;
      const cltv = discountedD[d]! * alive * spend * input.grossMargin * input.minorScale;
      if (!Number.isFinite(purchases) || !Number.isFinite(alive) || !Number.isFinite(cltv)) return;
      pp[kept] = purchases;
      pa[kept] = alive;
      cl[kept] = cltv;
      kept++;
    });
    const bounds = (v: Float64Array): [number, number] => {
      if (kept === 0) return [Number.NaN, Number.NaN];
      const s = v.subarray(0, kept).sort();
      return [quantile(s, tail), quantile(s, 1 - tail)];
    };
    const [cLow, cHigh] = bounds(cl);
    out[i] = { memberId: m.memberId, predictedPurchases12m: bounds(pp), pAlive: bounds(pa), cltv12mMinor: [Math.round(cLow), Math.round(cHigh)] };
  }
  return out;
}
