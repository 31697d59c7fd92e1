import { sql } from "kysely";
import type { Trx } from "~/db.server";

/**
 * The outstanding-points liability (issue 16 §1): points a member holds at report time (available + pending: earned,
 * not yet redeemed, expired or reversed) will cost the merchant point value × (1 − expected breakage) when redeemed.
 *
 * Expected breakage is the merchant's own history: over lots whose fate is settled — their expiry date has passed, or
 * they expired (the inactivity policy) — the share of their points that expired unredeemed:
 *   breakage = Σ (expired + still remaining) / Σ (consumed + expired + still remaining)   (reversed points left out;
 *   "still remaining" on a lot past its date is what the next expiry run takes).
 * Lots that never expire never settle, so a program without expiry has no history and uses the default. With fewer
 * than MIN_SETTLED_LOTS settled lots or MIN_SETTLED_POINTS settled points the history is too thin, and the default
 * (DEFAULT_BREAKAGE_BPS: none, i.e. every outstanding point counted at full value — the cautious choice) is used;
 * the report says which.
 */

export const DEFAULT_BREAKAGE_BPS = 0;
export const MIN_SETTLED_LOTS = 20;
export const MIN_SETTLED_POINTS = 1000;

export interface BreakageEstimate {
  /** Expected breakage in basis points (0 … 10,000). */
  breakageBps: number;
  source: "history" | "default";
  settledLots: number;
  settledPoints: number;
  expiredPoints: number;
}

/** Breakage from the merchant's settled lots at `at` (see above). */
export async function estimateBreakage(trx: Trx, merchantId: string, at: Date): Promise<BreakageEstimate> {
  const r = await sql<{ lots: string; settled: number | null; expired: number | null }>`
    select count(*) as lots,
      sum(consumed + expired + remaining)::float8 as settled,
      sum(expired + remaining)::float8 as expired
    from point_lots
    where merchant_id = ${merchantId}
      and ((expires_at is not null and expires_at <= ${at}::timestamptz) or expired_at is not null)`.execute(trx);
  return breakageFrom(Number(r.rows[0]?.lots ?? 0), r.rows[0]?.settled ?? 0, r.rows[0]?.expired ?? 0);
}

/** The estimate from the settled lots' counts (pure). */
export function breakageFrom(settledLots: number, settledPoints: number, expiredPoints: number): BreakageEstimate {
  if (settledLots < MIN_SETTLED_LOTS || settledPoints < MIN_SETTLED_POINTS) {
    return { breakageBps: DEFAULT_BREAKAGE_BPS, source: "default", settledLots, settledPoints, expiredPoints };
  }
  return { breakageBps: Math.round((expiredPoints / settledPoints) * 10_000), source: "history", settledLots, settledPoints, expiredPoints };
}

/** What one outstanding point is expected to cost, in minor units. */
export function liabilityPerPoint(pointValue: { points: number; minor: number }, breakageBps: number): number {
  return (pointValue.minor / pointValue.points) * (1 - breakageBps / 10_000);
}
