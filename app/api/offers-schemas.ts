import { z } from "zod";
import type { ClaimResult, MemberOffer } from "~/domain/offers/member-offers.server";

/** The offers API's response shapes (Zod, for the OpenAPI document and the routes' types). */

export const OfferIdParams = z.object({
  id: z.string().meta({ description: "The member's id (`mbr_…`)" }),
  offerId: z.string().meta({ description: "The offer's id (`ofr_…`)" }),
});

export const MemberOfferSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    description: z.string(),
    image_url: z.string().nullable(),
    kind: z.enum(["reward", "multiplier"]),
    reward_id: z.string().nullable(),
    reward_name: z.string().nullable(),
    multiplier_percent: z.number().int().nullable().meta({ description: "200 = double points, for `multiplier_days` days from the claim" }),
    multiplier_days: z.number().int().nullable(),
    starts_at: z.string(),
    ends_at: z.string(),
    sold_out: z.boolean(),
    claimed_at: z.string().nullable(),
    code: z.string().nullable(),
  })
  .meta({ id: "MemberOffer" });

export const MemberOffersSchema = z.object({ data: z.array(MemberOfferSchema) }).meta({ id: "MemberOffers" });

export const OfferClaimSchema = z
  .object({
    offer_id: z.string(),
    member_id: z.string(),
    claimed_at: z.string(),
    kind: z.enum(["reward", "multiplier"]),
    redemption_id: z.string().nullable(),
    code: z.string().nullable(),
    multiplier_percent: z.number().int().nullable(),
    multiplier_until: z.string().nullable(),
  })
  .meta({ id: "OfferClaim" });

export const SegmentApiSchema = z
  .object({ id: z.string(), name: z.string(), description: z.string().nullable(), rule: z.unknown(), member_count: z.number().int() })
  .meta({ id: "Segment" });
export const SegmentsSchema = z.object({ data: z.array(SegmentApiSchema) }).meta({ id: "Segments" });

// Domain results → these shapes (snake_case, ISO dates).

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
