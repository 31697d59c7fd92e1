import type { Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { claimOffer as claimOfferWith, type ClaimResult } from "~/domain/offers/member-offers.server";
import { grantReward } from "~/domain/rewards/grant.server";

/**
 * "A member claims an offer": links the offers program (visibility, claim row, stock, experiment events) to the
 * rewards program (the granted reward). Every entry point (portal, API, tests) calls this, not offers directly.
 */
export function claimOffer(trx: Trx, merchantId: string, memberId: string, offerId: string, actor: Actor, at: Date): Promise<ClaimResult> {
  return claimOfferWith(trx, merchantId, memberId, offerId, actor, at, grantReward);
}
