import { z } from "zod";
import { LIMIT_PERIODS, REWARD_KINDS } from "~/domain/rewards/schemas";
import type { CodeCheck } from "~/domain/rewards/codes.server";
import type { Reward, RewardRedemption } from "~db/schema";
import { MAX_AMOUNT_MINOR, MAX_POINTS } from "./points-schemas";

/**
 * Request and response shapes of the rewards API (catalog, redemptions, checkout codes). Bodies are strict (an
 * unknown field is a 422 naming it); amounts are integers in minor units, points integers.
 */

const whole = (label: string, min: number, max: number) =>
  z
    .number({ error: (iss) => (iss.input === undefined ? `${label} is required` : `${label} must be a number (not a string)`) })
    .min(min, `${label} must be at least ${min}`)
    .max(max, `${label} must be at most ${max}`)
    .int(`${label} must be a whole number`);

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const reference = (label: string) => z.string({ error: `${label} must be a string` }).trim().min(1, `${label} is required`).max(200, `${label} must be at most 200 characters`).regex(/^[^\x00-\x1f\x7f]+$/, `${label} must not contain control characters`);
const codeField = z.string({ error: "code must be a string" }).trim().min(1, "code is required").max(40, "code must be at most 40 characters");

export const RewardIdParams = z.object({ id: z.string().meta({ description: "Reward id", example: "rwd_tt3gadndsmzdpsn24id347kc4f" }) });

export const RewardSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    kind: z.enum(REWARD_KINDS),
    points_cost: z.number().int().meta({ description: "Points per redemption (for points_discount: points per step)" }),
    discount_minor: z.number().int().nullable(),
    percent_off: z.number().int().nullable(),
    min_order_minor: z.number().int().nullable(),
    max_discount_minor: z.number().int().nullable(),
    product_name: z.string().nullable(),
    cost_minor: z.number().int().nullable().meta({ description: "What one unit costs the merchant (minor units); the incrementality report counts it when a free product or gift is used" }),
    min_tier_id: z.string().nullable(),
    stock_total: z.number().int().nullable().meta({ description: "null = unlimited" }),
    stock_remaining: z.number().int().nullable(),
    limit_count: z.number().int().nullable(),
    limit_period: z.enum(LIMIT_PERIODS).nullable(),
    code_valid_days: z.number().int().nullable(),
    starts_at: z.string().nullable(),
    ends_at: z.string().nullable(),
    status: z.enum(["active", "archived"]),
  })
  .meta({ id: "Reward" });

export const RewardListSchema = z.object({ data: z.array(RewardSchema) }).meta({ id: "RewardList" });

export function toApiReward(r: Reward): z.infer<typeof RewardSchema> {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    kind: r.kind,
    points_cost: r.points_cost,
    discount_minor: r.discount_minor,
    percent_off: r.percent_off,
    min_order_minor: r.min_order_minor,
    max_discount_minor: r.max_discount_minor,
    product_name: r.product_name,
    cost_minor: r.cost_minor,
    min_tier_id: r.min_tier_id,
    stock_total: r.stock_total,
    stock_remaining: r.stock_remaining,
    limit_count: r.limit_count,
    limit_period: r.limit_period,
    code_valid_days: r.code_valid_days,
    starts_at: r.starts_at?.toISOString() ?? null,
    ends_at: r.ends_at?.toISOString() ?? null,
    status: r.status,
  };
}

export const CreateRewardBody = z
  .strictObject({
    name: z.string(),
    description: z.string().optional(),
    kind: z.enum(REWARD_KINDS),
    points_cost: z.number(),
    discount_minor: z.number().nullable().optional(),
    percent_off: z.number().nullable().optional(),
    min_order_minor: z.number().nullable().optional(),
    max_discount_minor: z.number().nullable().optional(),
    product_name: z.string().nullable().optional(),
    cost_minor: z.number().nullable().optional().meta({ description: "What one unit costs you, minor units (a free product's or gift's cost)" }),
    min_tier_id: z.string().nullable().optional(),
    stock_total: z.number().nullable().optional(),
    limit_count: z.number().nullable().optional(),
    limit_period: z.enum(LIMIT_PERIODS).nullable().optional(),
    code_valid_days: z.number().nullable().optional(),
    starts_at: z.iso.datetime({ offset: true }).nullable().optional(),
    ends_at: z.iso.datetime({ offset: true }).nullable().optional(),
  })
  .meta({ id: "CreateRewardBody" });

/** API body → the domain's camelCase input (the domain schema validates and names fields in camelCase). */
export function toRewardInput(b: z.infer<typeof CreateRewardBody>) {
  return {
    name: b.name,
    description: b.description,
    kind: b.kind,
    pointsCost: b.points_cost,
    discountMinor: b.discount_minor ?? null,
    percentOff: b.percent_off ?? null,
    minOrderMinor: b.min_order_minor ?? null,
    maxDiscountMinor: b.max_discount_minor ?? null,
    productName: b.product_name ?? null,
    costMinor: b.cost_minor ?? null,
    minTierId: b.min_tier_id ?? null,
    stockTotal: b.stock_total ?? null,
    limitCount: b.limit_count ?? null,
    limitPeriod: b.limit_period ?? null,
    codeValidDays: b.code_valid_days ?? null,
    startsAt: b.starts_at ? new Date(b.starts_at) : null,
    endsAt: b.ends_at ? new Date(b.ends_at) : null,
  };
}

export const RedeemBody = z
  .strictObject({
    reward_id: z.string({ error: "reward_id is required" }).min(1, "reward_id is required").max(64, "reward_id is too long"),
    points: whole("points", 1, MAX_POINTS).optional().meta({ description: "points_discount rewards only: points to turn into a discount" }),
    order_amount_minor: whole("order_amount_minor", 0, MAX_AMOUNT_MINOR).optional().meta({ description: "points_discount rewards only: caps the discount" }),
  })
  .meta({ id: "RedeemBody" });

export const RedemptionSchema = z
  .object({
    id: z.string(),
    reward_id: z.string(),
    member_id: z.string(),
    reward_name: z.string(),
    kind: z.enum(REWARD_KINDS),
    source: z.enum(["redeem", "offer", "gift", "referral"]),
    status: z.enum(["pending", "issued", "fulfilled", "used", "void"]).meta({ description: "pending: being created at Stripe" }),
    code: z.string().nullable(),
    points_spent: z.number().int(),
    discount_minor: z.number().int().nullable(),
    percent_off: z.number().int().nullable(),
    min_order_minor: z.number().int().nullable(),
    applied_minor: z.number().int().nullable().meta({ description: "What the merchant gave up when the code was used (the discount on that order; a free product's or gift's cost); null until used" }),
    expires_at: z.string().nullable(),
    used_order_id: z.string().nullable(),
    created_at: z.string(),
  })
  .meta({ id: "Redemption" });

export const RedemptionListSchema = z.object({ data: z.array(RedemptionSchema) }).meta({ id: "RedemptionList" });

export function toApiRedemption(r: RewardRedemption): z.infer<typeof RedemptionSchema> {
  return {
    id: r.id,
    reward_id: r.reward_id,
    member_id: r.member_id,
    reward_name: r.reward_name,
    kind: r.kind,
    source: r.source,
    status: r.status,
    code: r.status === "pending" || r.status === "void" ? null : r.code,
    points_spent: r.points_spent,
    discount_minor: r.discount_minor,
    percent_off: r.percent_off,
    min_order_minor: r.min_order_minor,
    applied_minor: r.applied_minor,
    expires_at: r.expires_at?.toISOString() ?? null,
    used_order_id: r.used_order_id,
    created_at: r.created_at.toISOString(),
  };
}

export const ValidateCodeBody = z
  .strictObject({
    code: codeField,
    order_amount_minor: whole("order_amount_minor", 0, MAX_AMOUNT_MINOR),
    member_id: z.string().max(64).optional().meta({ description: "When given, a code of another member is refused (`wrong_member`)" }),
  })
  .meta({ id: "ValidateCodeBody" });

export const UseCodeBody = z
  .strictObject({
    code: codeField,
    order_id: reference("order_id").meta({ description: "Your order id; using the same code for the same order again is a no-op" }),
    order_amount_minor: whole("order_amount_minor", 0, MAX_AMOUNT_MINOR),
    member_id: z.string().max(64).optional(),
  })
  .meta({ id: "UseCodeBody" });

export const ReleaseCodeBody = z.strictObject({ code: codeField, order_id: reference("order_id") }).meta({ id: "ReleaseCodeBody" });

export const CodeCheckSchema = z
  .object({
    code: z.string(),
    redemption_id: z.string(),
    member_id: z.string(),
    reward_id: z.string(),
    kind: z.enum(REWARD_KINDS),
    discount_minor: z.number().int().meta({ description: "The discount for this order (0 for a free product)" }),
    product_name: z.string().nullable(),
    expires_at: z.string().nullable(),
    status: z.enum(["pending", "issued", "fulfilled", "used", "void"]),
    used_order_id: z.string().nullable(),
  })
  .meta({ id: "CodeCheck" });

export const ReleasedSchema = z.object({ code: z.string(), status: z.enum(["issued"]), released: z.boolean() }).meta({ id: "CodeRelease" });

export function toApiCodeCheck(c: CodeCheck): z.infer<typeof CodeCheckSchema> {
  return {
    code: c.code,
    redemption_id: c.redemptionId,
    member_id: c.memberId,
    reward_id: c.rewardId,
    kind: c.kind,
    discount_minor: c.discountMinor,
    product_name: c.productName,
    expires_at: c.expiresAt?.toISOString() ?? null,
    status: c.status,
    used_order_id: c.usedOrderId,
  };
}
