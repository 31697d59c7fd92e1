import { z } from "zod";
import { emailSchema, externalIdSchema } from "~/domain/members/schemas";
import type { AttributionResult } from "~/domain/referrals/attribution.server";
import type { ReviewItem } from "~/domain/referrals/fraud.server";
import type { NetworkValue } from "~/domain/referrals/tree.server";

/** Request and response shapes of the referrals API (issue 5); they also generate its OpenAPI operations. */

const codeSchema = z
  .string({ error: "code is required" })
  .trim()
  .regex(/^[A-Za-z0-9]{4,16}$/, "A referral code is 4 to 16 letters or digits")
  .meta({ description: "The referrer's code (case-insensitive)", example: "K7QM9XW" });

const REFERRAL_STATUSES = ["pending", "flagged", "qualified", "rewarded", "rejected", "void"] as const;

export const AttributeBody = z
  .strictObject({
    member: z
      .strictObject({
        id: z.string().max(64).optional(),
        external_id: externalIdSchema.optional(),
        email: emailSchema.optional(),
      })
      .refine((m) => m.id !== undefined || m.external_id !== undefined || m.email !== undefined, { message: "Identify the member by id, external_id or email" })
      .meta({ description: "An existing member, by id, external_id or email (first given wins)" }),
    code: codeSchema,
  })
  .meta({ id: "AttributeReferralRequest" });

export const AttributionSchema = z
  .object({
    referral_id: z.string().meta({ example: "ref_b3zq4k5m7n2p4r6s8t2v4x6z2a" }),
    member_id: z.string(),
    referrer_id: z.string(),
    status: z.enum(REFERRAL_STATUSES),
    reasons: z.array(z.string()).meta({ description: "Fraud reason codes (self_email, disposable_email, same_device, same_card, same_ip_ua, velocity, refunded, staff)" }),
    created: z.boolean().meta({ description: "False when the member already had this referral (nothing changed)" }),
  })
  .meta({ id: "ReferralAttribution" });

export function toApiAttribution(memberId: string, r: AttributionResult): z.infer<typeof AttributionSchema> {
  return { referral_id: r.referralId, member_id: memberId, referrer_id: r.referrerId, status: r.status, reasons: r.reasons, created: r.created };
}

const LevelSchema = z.object({
  level: z.number().int(),
  count: z.number().int(),
  revenue_minor: z.number().int(),
  predicted_minor: z.number().int().nullable(),
  value_minor: z.number().int(),
});

export const NetworkValueSchema = z
  .object({
    own: z.object({ revenue_minor: z.number().int(), predicted_minor: z.number().int().nullable(), value_minor: z.number().int() }),
    levels: z.array(LevelSchema),
    size: z.number().int(),
    total_minor: z.number().int(),
  })
  .meta({ id: "ReferralNetworkValue", description: "Own value plus everyone below, by level (predicted CLTV where scored, else revenue to date)" });

export function toApiNetwork(n: NetworkValue): z.infer<typeof NetworkValueSchema> {
  return {
    own: { revenue_minor: n.own.revenueMinor, predicted_minor: n.own.predictedMinor, value_minor: n.own.valueMinor },
    levels: n.levels.map((l) => ({ level: l.level, count: l.count, revenue_minor: l.revenueMinor, predicted_minor: l.predictedMinor, value_minor: l.valueMinor })),
    size: n.size,
    total_minor: n.totalMinor,
  };
}

export const MemberReferralSchema = z
  .object({
    member_id: z.string(),
    code: z.string().nullable().meta({ description: "Null when the member has no link (program off, held out or blocked)" }),
    link: z.string().nullable(),
    referred_by: z.string().nullable().meta({ description: "The member's referrer (member id)" }),
    referral_count: z.number().int(),
    qualified_count: z.number().int(),
    points_earned: z.number().int().meta({ description: "Referral points credited to this member and not reversed" }),
  })
  .meta({ id: "MemberReferral" });

export const ReferralListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});

export const ReferralRowSchema = z.object({
  referral_id: z.string(),
  member_id: z.string(),
  status: z.enum(REFERRAL_STATUSES),
  via: z.string(),
  reasons: z.array(z.string()),
  qualified_at: z.string().nullable(),
  hold_until: z.string().nullable(),
  created_at: z.string(),
  referrer_points: z.number().int().meta({ description: "Points paid to the referrer for this referral (0 when reversed or capped)" }),
});

export const MemberReferralsSchema = z
  .object({ data: z.array(ReferralRowSchema), network: NetworkValueSchema })
  .meta({ id: "MemberReferralList" });

export const ReviewListQuery = z.object({
  status: z.enum(["open", "decided"]).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});

export const ReviewSchema = z
  .object({
    id: z.string(),
    referral_id: z.string(),
    friend_id: z.string(),
    referrer_id: z.string(),
    referral_status: z.enum(REFERRAL_STATUSES),
    reasons: z.array(z.string()),
    status: z.enum(["open", "decided"]),
    decision: z.enum(["approve", "reject", "block_referrer"]).nullable(),
    note: z.string().nullable(),
    decided_at: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: "ReferralReview" });

export function toApiReview(r: ReviewItem): z.infer<typeof ReviewSchema> {
  return {
    id: r.id,
    referral_id: r.referralId,
    friend_id: r.friendId,
    referrer_id: r.referrerId,
    referral_status: r.referralStatus,
    reasons: r.reasons,
    status: r.status,
    decision: r.decision,
    note: r.note,
    decided_at: r.decidedAt?.toISOString() ?? null,
    created_at: r.createdAt.toISOString(),
  };
}

export const ReviewListSchema = z.object({ data: z.array(ReviewSchema) }).meta({ id: "ReferralReviewList" });

export const ReviewIdParams = z.object({ id: z.string().meta({ description: "Review item id", example: "rrv_b3zq4k5m7n2p4r6s8t2v4x6z2a" }) });

export const DecideReviewBody = z
  .strictObject({
    decision: z.enum(["approve", "reject", "block_referrer"]).meta({ description: "approve pays (when qualified); reject never pays; block_referrer also stops the referrer's links" }),
    note: z.string().trim().max(1000).optional(),
  })
  .meta({ id: "DecideReferralReviewRequest" });
