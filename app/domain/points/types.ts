import type { JournalKind } from "~db/schema";

/**
 * The shapes the points read models return, in a pure module so the server code that builds them and the
 * components that show them share one definition.
 */

export interface MemberPointsBalance {
  available: number;
  pending: number;
  clawbackDebt: number;
  lifetimeEarned: number;
  lifetimeRedeemed: number;
  pendingLots: { points: number; releasesAt: Date | null }[];
  /** The next expiry: how many points on which date (null when nothing is due to expire). */
  expiringNext: { points: number; at: Date } | null;
  lastActivityAt: Date | null;
}

export interface LedgerLine {
  journalId: string;
  seq: number;
  kind: JournalKind;
  source: string;
  description: string;
  /** The member's net change (available + pending − new debt). */
  points: number;
  availableChange: number;
  pendingChange: number;
  debtChange: number;
  /** Available points right after this line. */
  availableAfter: number;
  pendingAfter: number;
  orderId: string | null;
  reason: string | null;
  note: string | null;
  actorType: string;
  actorId: string | null;
  createdAt: Date;
  /** When it happened for the member (an order's date for its points); createdAt is when it was recorded. */
  effectiveAt: Date;
}

export interface ProgramStats {
  /** Net of reversals (refunds, disputes). */
  issued: number;
  redeemed: number;
  expired: number;
  /** Removed by negative manual adjustments. */
  adjustedOut: number;
  /** Clawback debt the merchant wrote off. */
  forgiven: number;
  /** available + pending: what members hold and may still spend. */
  outstanding: number;
  available: number;
  pending: number;
  /** Points members owe after refunds of points they had already spent. */
  clawbackDebt: number;
  /** Members holding points (available or pending). */
  members: number;
  /** outstanding × the merchant's point value, in minor units of `currency`. */
  liabilityMinor: number;
  currency: string;
}
