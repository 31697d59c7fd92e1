import { addMonths } from "~/domain/points/rules";
import { wallTimeIn, zonedTimeToUtc } from "~/lib/time-zone";
import type { TierBasis, TierDowngrade, TierWindow } from "~db/schema";

/**
 * The tier rules as pure functions (no database), shared by the server, the portal text and the unit tests.
 *
 * Qualification: the member's figure (points earned, or spend net of refunds) in the window qualifies for the
 * highest tier whose threshold it reaches.
 *  - calendar_year: the merchant's local year. A tier reached in a year is kept through the end of the next year;
 *    so a member qualifies at `at` for the better of this year's and last year's figures.
 *  - rolling_12m: the last 12 months up to `at`. A tier is kept 12 months after the member last qualified for it.
 *  - lifetime: everything up to `at`. A tier is kept for good while the figure holds; a refund that pulls it below
 *    the threshold starts a period that ends at the end of that calendar year.
 * Upgrades are immediate. A member who no longer qualifies keeps the tier until `validUntil` + grace days, then
 * drops one tier (one_step; the next step waits for the end of the following period) or straight to the tier
 * they qualify for (to_qualified). A staff pin is a floor until its end date.
 */

export interface TierDef {
  id: string;
  name: string;
  rank: number;
  threshold: number;
  earningPercent: number;
  exclusiveAccess: boolean;
  birthdayBonus: number;
  perks: string;
}

export interface TierSettings {
  basis: TierBasis;
  window: TierWindow;
  graceDays: number;
  downgrade: TierDowngrade;
}

export const DEFAULT_SETTINGS: TierSettings = { basis: "spend", window: "calendar_year", graceDays: 0, downgrade: "one_step" };
const DAY = 86_400_000;
/** "Tier at risk" goes out this long before a downgrade. */
export const AT_RISK_NOTICE_DAYS = 30;

export interface Span {
  from: Date | null;
  /** Exclusive. */
  to: Date;
}

export interface Windows {
  current: Span;
  /** Last calendar year (calendar_year only). */
  previous: Span | null;
  /** When the current window closes for "spend $38 more by 31 Dec" (calendar_year only). */
  periodEnd: Date | null;
}

/** The first instant of a local calendar year in a zone. */
export function startOfLocalYear(year: number, timezone: string): Date {
  return zonedTimeToUtc({ year, month: 1, day: 1, hour: 0, minute: 0, second: 0 }, timezone);
}

export function qualificationWindows(window: TierWindow, at: Date, timezone: string): Windows {
  const end = new Date(at.getTime() + 1);
  if (window === "calendar_year") {
    const y = wallTimeIn(at, timezone).year;
    const start = startOfLocalYear(y, timezone);
    return {
      current: { from: start, to: end },
      previous: { from: startOfLocalYear(y - 1, timezone), to: start },
      periodEnd: startOfLocalYear(y + 1, timezone),
    };
  }
  if (window === "rolling_12m") return { current: { from: new Date(addMonths(at, -12).getTime() + 1), to: end }, previous: null, periodEnd: null };
  return { current: { from: null, to: end }, previous: null, periodEnd: null };
}

/** The highest tier a figure reaches (tiers in any order), or null. */
export function tierFor(tiers: readonly TierDef[], figure: number): TierDef | null {
  let best: TierDef | null = null;
  for (const t of tiers) if (figure >= t.threshold && (!best || t.rank > best.rank)) best = t;
  return best;
}

export interface MemberTierState {
  tierId: string | null;
  earnedTierId: string | null;
  validUntil: Date | null;
  pinTierId: string | null;
  pinUntil: Date | null;
}

export interface Figures {
  current: number;
  previous: number;
}

export interface Decision {
  earnedTierId: string | null;
  validUntil: Date | null;
  tierId: string | null;
  pinTierId: string | null;
  pinUntil: Date | null;
  pinEnded: boolean;
  /** The member no longer qualifies: when they will drop, and to which tier (null: no tier). */
  atRisk: { downgradeAt: Date; toTierId: string | null; periodKey: string } | null;
}

const rankOf = (tiers: readonly TierDef[], id: string | null) => (id ? (tiers.find((t) => t.id === id)?.rank ?? 0) : 0);
const byRank = (tiers: readonly TierDef[], rank: number) => tiers.find((t) => t.rank === rank) ?? null;
const later = (a: Date | null, b: Date | null) => (a === null || b === null ? null : a > b ? a : b);

/** The tier directly below `rank` in the ladder (ranks may have gaps after edits), or null. */
function stepBelow(tiers: readonly TierDef[], rank: number): TierDef | null {
  let best: TierDef | null = null;
  for (const t of tiers) if (t.rank < rank && (!best || t.rank > best.rank)) best = t;
  return best;
}

/** Decides a member's tier at `at` from their figures and stored state. Deterministic: re-running it changes nothing. */
export function decide(input: {
  tiers: readonly TierDef[];
  settings: TierSettings;
  at: Date;
  timezone: string;
  figures: Figures;
  state: MemberTierState | null;
}): Decision {
  const { tiers, settings, at, timezone, figures } = input;
  const state = input.state ?? { tierId: null, earnedTierId: null, validUntil: null, pinTierId: null, pinUntil: null };
  const local = wallTimeIn(at, timezone).year;
  const endOfThisYear = startOfLocalYear(local + 1, timezone);
  const byCurrent = tierFor(tiers, figures.current);
  const byPrevious = settings.window === "calendar_year" ? tierFor(tiers, figures.previous) : null;
  const qualified = (byPrevious?.rank ?? 0) > (byCurrent?.rank ?? 0) ? byPrevious : byCurrent;
  const q = qualified?.rank ?? 0;
  // How long qualifying for a tier keeps it (see the module comment).
  const keepFor = (rank: number): Date | null => {
    if (settings.window === "lifetime") return null;
    if (settings.window === "rolling_12m") return addMonths(at, 12);
    return (byCurrent?.rank ?? 0) >= rank ? startOfLocalYear(local + 2, timezone) : endOfThisYear;
  };

  const r = rankOf(tiers, state.earnedTierId);
  let earned: TierDef | null = byRank(tiers, r);
  let validUntil = state.validUntil;
  let atRisk: Decision["atRisk"] = null;
  if (q > 0 && q >= r) {
    validUntil = q > r ? keepFor(q) : later(validUntil, keepFor(q));
    earned = qualified;
    // Held on last year's figure only: it ends with this year unless this year's figure reaches it too.
    const thisYear = byCurrent?.rank ?? 0;
    if (settings.window === "calendar_year" && thisYear < q && validUntil) {
      const to = settings.downgrade === "one_step" ? byRank(tiers, Math.max(stepBelow(tiers, q)?.rank ?? 0, thisYear)) : byCurrent;
      atRisk = { downgradeAt: new Date(validUntil.getTime() + settings.graceDays * DAY), toTierId: to?.id ?? null, periodKey: `${qualified!.id}:${validUntil.toISOString()}` };
    }
  } else if (q === 0 && r === 0) {
    earned = null;
    validUntil = null;
  } else {
    // Qualifies for less than they hold: nothing changes before the end of the period and the grace days. In a
    // calendar year, a tier neither this year's nor last year's figure reaches (a refund undid the qualifying
    // order) is kept to the end of this year at most.
    validUntil ??= endOfThisYear;
    if (settings.window === "calendar_year" && validUntil > endOfThisYear) validUntil = endOfThisYear;
    const downgradeAt = new Date(validUntil.getTime() + settings.graceDays * DAY);
    const target = settings.downgrade === "one_step" ? (stepBelow(tiers, r)?.rank ?? 0) : q;
    const to = byRank(tiers, Math.max(target, q));
    if (at >= downgradeAt) {
      earned = to;
      if (!to) validUntil = null;
      else if (to.rank <= q) validUntil = keepFor(to.rank);
      // one_step above what they qualify for: the next step waits for the end of the following period.
      else validUntil = settings.window === "rolling_12m" ? addMonths(at, 12) : endOfThisYear;
    } else {
      atRisk = { downgradeAt, toTierId: to?.id ?? null, periodKey: `${earned?.id ?? ""}:${validUntil.toISOString()}` };
    }
  }

  const pinActive = state.pinTierId !== null && state.pinUntil !== null && state.pinUntil > at && rankOf(tiers, state.pinTierId) > 0;
  const pinEnded = state.pinTierId !== null && !pinActive;
  const pinRank = pinActive ? rankOf(tiers, state.pinTierId) : 0;
  const effective = pinRank > (earned?.rank ?? 0) ? byRank(tiers, pinRank) : earned;
  // A pin that holds the member at or above the tier they would drop from hides the downgrade.
  if (atRisk && pinRank >= (earned?.rank ?? 0)) atRisk = null;
  return {
    earnedTierId: earned?.id ?? null,
    validUntil: earned ? validUntil : null,
    tierId: effective?.id ?? null,
    pinTierId: pinActive ? state.pinTierId : null,
    pinUntil: pinActive ? state.pinUntil : null,
    pinEnded,
    atRisk,
  };
}

/** Integer percent product (150% tier × 200% offer = 300%), rounded down like all points math. */
export function combinePercents(a: number, b: number): number {
  return Math.floor((a * b) / 100);
}

export interface Progress {
  next: TierDef;
  /** Points, or minor units of spend, still needed. */
  missing: number;
  figure: number;
  /** 0..100 for the progress bar, from the current tier's threshold to the next one's. */
  percent: number;
  /** "by" this instant (calendar year), else null. */
  by: Date | null;
}

/** How far the member is from the next tier above the one they hold, on the current window's figure. */
export function progressToNext(tiers: readonly TierDef[], currentTierId: string | null, figure: number, windows: Windows): Progress | null {
  const rank = rankOf(tiers, currentTierId);
  const next = [...tiers].sort((a, b) => a.rank - b.rank).find((t) => t.rank > rank && t.threshold > figure);
  if (!next) return null;
  const floor = byRank(tiers, rank)?.threshold ?? 0;
  const base = Math.min(floor, figure);
  const span = next.threshold - base;
  const percent = span <= 0 ? 100 : Math.max(0, Math.min(100, Math.floor(((figure - base) * 100) / span)));
  return { next, missing: next.threshold - figure, figure, percent, by: windows.periodEnd };
}
