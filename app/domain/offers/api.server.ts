import type { z } from "zod";
import type { MemberOfferSchema, OfferClaimSchema } from "./api-schemas";
import type { ClaimResult, MemberOffer } from "./member-offers.server";

/** Domain results → the offers API's JSON shapes (snake_case, ISO dates). */

export function toApiOffer(o: MemberOffer): z.infer<typeof MemberOfferSchema> {
  return {
    id: o.id,
    title: o.title,
    description: o.description,
    image_url: o.imageUrl,
    kind: o.kind,
    reward_id: o.rewardId,
    reward_name: o.rewardName,
    multiplier_percent: o.multiplierPercent,
    multiplier_days: o.multiplierDays,
    starts_at: o.startsAt.toISOString(),
    ends_at: o.endsAt.toISOString(),
    sold_out: o.soldOut,
    claimed_at: o.claimed?.at.toISOString() ?? null,
    code: o.claimed?.code ?? null,
  };
}

export function toApiClaim(c: ClaimResult): z.infer<typeof OfferClaimSchema> {
  return {
    offer_id: c.offerId,
    member_id: c.memberId,
    claimed_at: c.claimedAt.toISOString(),
    kind: c.kind,
    redemption_id: c.redemptionId,
    code: c.code,
    multiplier_percent: c.multiplierPercent,
    multiplier_until: c.multiplierUntil?.toISOString() ?? null,
  };
}
