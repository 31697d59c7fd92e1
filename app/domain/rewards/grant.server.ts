import type { Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";

/**
 * CONTRACT (the Rewards helper replaces this body; the signature is fixed because offers, surprise gifts and
 * referrals call it).
 *
 * Grants one catalog reward to one member as a single atomic, idempotent operation inside the caller's tenant
 * transaction: check eligibility (active window, tier restriction, loyalty holdout, per-member limit per period),
 * debit points through the ledger's spend path when `chargePoints`, take stock, issue a unique code (or enqueue the
 * Stripe promotion code / customer balance credit through the outbox) and record the redemption.
 * Replaying the same `idempotencyKey` returns the first result with `replayed: true`.
 * Errors (DomainError codes): insufficient_points, out_of_stock, limit_reached, not_eligible, inactive, not_found.
 */
export interface GrantRewardInput {
  memberId: string;
  rewardId: string;
  idempotencyKey: string;
  /** redeem: the member spends points in the portal / API; offer, gift, referral: granted by a program. */
  source: "redeem" | "offer" | "gift" | "referral";
  /** Debit the reward's points cost (true for redeem; false for grants). */
  chargePoints: boolean;
  actor: Actor;
  /** Offer / gift / referral id this grant came from, stored on the redemption. */
  sourceId?: string | null;
}

export interface GrantRewardResult {
  redemptionId: string;
  rewardId: string;
  /** The code to show the member (Perennial's own, or the Stripe promotion code once created); null for gifts and store credit. */
  code: string | null;
  status: "issued" | "pending" | "fulfilled" | "used" | "void";
  pointsSpent: number;
  replayed: boolean;
}

export async function grantReward(_trx: Trx, _merchantId: string, _input: GrantRewardInput): Promise<GrantRewardResult> {
  throw new Error("grantReward is being built by the Rewards helper");
}
