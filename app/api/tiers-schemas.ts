import { z } from "zod";
import type { MemberTierView } from "~/domain/tiers/types";

/** GET /api/v1/members/{id}/tier: the wire shape and its serialisation (issue 4); the operation is in tiers-openapi.ts. */

const TierSchema = z
  .object({
    id: z.string().meta({ example: "tie_3kq7yq2hmnxl5qmy4srpx6sq4e" }),
    name: z.string().meta({ example: "Roast" }),
    rank: z.number().int().meta({ description: "1 is the lowest tier" }),
    threshold: z.number().int().meta({ description: "Points, or minor units of spend (see `basis`)" }),
    earning_percent: z.number().int().meta({ description: "Earning multiplier in percent (150 = 1.5× points)" }),
    exclusive_access: z.boolean(),
    birthday_bonus: z.number().int(),
    perks: z.array(z.string()),
  })
  .meta({ id: "Tier" });

export const MemberTierSchema = z
  .object({
    member_id: z.string(),
    held_out: z.boolean().meta({ description: "The member is in the loyalty program's holdout group: no tier" }),
    basis: z.enum(["points", "spend"]),
    window: z.enum(["rolling_12m", "calendar_year", "lifetime"]),
    tier: TierSchema.nullable(),
    qualifying_figure: z.number().int().meta({ description: "Points earned or spend (minor units) in the current window, net of refunds" }),
    valid_until: z.string().nullable().meta({ description: "The tier is kept at least until this instant (null: no end)" }),
    pinned_until: z.string().nullable().meta({ description: "Staff pinned the member at this tier until this instant" }),
    next_tier: z
      .object({ name: z.string(), missing: z.number().int(), by: z.string().nullable() })
      .nullable()
      .meta({ description: "What is still missing (points or minor units) to reach the next tier, and by when (calendar year)" }),
    downgrade: z
      .object({ at: z.string(), to_tier: z.string().nullable() })
      .nullable()
      .meta({ description: "A scheduled downgrade: the member no longer qualifies and will move to `to_tier` at `at`" }),
    tiers: z.array(TierSchema),
  })
  .meta({ id: "MemberTier" });

const tierOut = (t: MemberTierView["tiers"][number]) => ({
  id: t.id,
  name: t.name,
  rank: t.rank,
  threshold: t.threshold,
  earning_percent: t.earningPercent,
  exclusive_access: t.exclusiveAccess,
  birthday_bonus: t.birthdayBonus,
  perks: t.perks.split("\n").map((p) => p.trim()).filter(Boolean),
});

export function toApiMemberTier(memberId: string, v: MemberTierView): z.infer<typeof MemberTierSchema> {
  return {
    member_id: memberId,
    held_out: v.heldOut,
    basis: v.basis,
    window: v.window,
    tier: v.tier ? tierOut(v.tier) : null,
    qualifying_figure: v.figure,
    valid_until: v.validUntil,
    pinned_until: v.pin?.until ?? null,
    next_tier: v.progress ? { name: v.progress.nextName, missing: v.progress.missing, by: v.progress.by } : null,
    downgrade: v.atRisk ? { at: v.atRisk.downgradeAt, to_tier: v.atRisk.toTierName } : null,
    tiers: v.tiers.map(tierOut),
  };
}
