import { z } from "zod";

/**
 * The reward definition as the domain stores it (minor units, integers). Shared by the admin form (after it turns
 * typed amounts into minor units), the API and the seed; pure so the browser may import it.
 */

export const REWARD_KINDS = ["fixed_discount", "percent_discount", "free_product", "store_credit", "gift", "points_discount"] as const;
export const LIMIT_PERIODS = ["day", "week", "month", "year", "lifetime"] as const;

export const REWARD_KIND_LABELS: Record<(typeof REWARD_KINDS)[number], string> = {
  fixed_discount: "Fixed amount off",
  percent_discount: "Percent off",
  free_product: "Free product",
  store_credit: "Store credit",
  gift: "Gift (fulfilled by staff)",
  points_discount: "Points as money at checkout",
};

const minor = (label: string) =>
  z.number({ error: `${label} must be a whole number of minor units` }).int(`${label} must be a whole number of minor units`).min(1, `${label} must be positive`).max(100_000_000, `${label} is too large`);

export const RewardInputSchema = z
  .object({
    name: z.string({ error: "Name is required" }).trim().min(1, "Name is required").max(120, "Name must be at most 120 characters"),
    description: z.string().trim().max(1000, "Description must be at most 1000 characters").default(""),
    kind: z.enum(REWARD_KINDS, { error: "Choose a reward type" }),
    pointsCost: z.number({ error: "Points cost is required" }).int("Points cost must be a whole number").min(1, "Points cost must be at least 1").max(100_000_000, "Points cost is too large"),
    discountMinor: minor("Amount").nullable().default(null),
    percentOff: z.number().int("Percent must be a whole number").min(1, "Percent must be between 1 and 100").max(100, "Percent must be between 1 and 100").nullable().default(null),
    minOrderMinor: z.number().int("Minimum order must be a whole number").min(0, "Minimum order cannot be negative").max(100_000_000, "Minimum order is too large").nullable().default(null),
    maxDiscountMinor: minor("Cap").nullable().default(null),
    productName: z.string().trim().min(1, "Product is required").max(200, "Product must be at most 200 characters").nullable().default(null),
    /** What one unit costs the merchant (a free product's or a gift's cost); counted as the cost when used (issue 16). */
    costMinor: z.number({ error: "Cost must be a whole number of minor units" }).int("Cost must be a whole number of minor units").min(0, "Cost cannot be negative").max(100_000_000, "Cost is too large").nullable().default(null),
    minTierId: z.string().trim().min(1).max(64).nullable().default(null),
    stockTotal: z.number().int("Stock must be a whole number").min(0, "Stock cannot be negative").max(10_000_000, "Stock is too large").nullable().default(null),
    limitCount: z.number().int("Limit must be a whole number").min(1, "Limit must be at least 1").max(10_000, "Limit is too large").nullable().default(null),
    limitPeriod: z.enum(LIMIT_PERIODS, { error: "Choose a period" }).nullable().default(null),
    codeValidDays: z.number().int("Validity must be a whole number of days").min(1, "Validity must be at least 1 day").max(3650, "Validity must be at most 3650 days").nullable().default(null),
    startsAt: z.date().nullable().default(null),
    endsAt: z.date().nullable().default(null),
  })
  .superRefine((r, ctx) => {
    for (const issue of crossFieldIssues(r)) ctx.addIssue({ code: "custom", path: [issue.path], message: issue.message });
  });

/**
 * What one reward type needs from the others' fields. Separate from the schema so the admin form can report these
 * next to the per-field errors (Zod skips an object's refinements while any field is invalid).
 */
export function crossFieldIssues(r: {
  kind?: string;
  discountMinor?: number | null;
  percentOff?: number | null;
  productName?: string | null;
  maxDiscountMinor?: number | null;
  limitCount?: number | null;
  limitPeriod?: string | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
}): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  const need = (cond: boolean, path: string, message: string) => {
    if (!cond) out.push({ path, message });
  };
  if (r.kind === "fixed_discount" || r.kind === "store_credit" || r.kind === "points_discount") need(r.discountMinor != null, "discountMinor", "Enter the amount");
  if (r.kind === "percent_discount") need(r.percentOff != null, "percentOff", "Enter the percent off");
  if (r.kind === "free_product") need(r.productName != null, "productName", "Enter the product");
  if (r.kind === "points_discount") need(r.maxDiscountMinor != null, "maxDiscountMinor", "Enter the cap per order");
  need((r.limitCount == null) === (r.limitPeriod == null), r.limitCount == null ? "limitCount" : "limitPeriod", "Enter both the limit and its period, or neither");
  if (r.startsAt && r.endsAt) need(r.endsAt > r.startsAt, "endsAt", "The end must be after the start");
  return out;
}

export type RewardInput = z.output<typeof RewardInputSchema>;

/** Readable code alphabet: no 0/O, 1/I/L. */
export const CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/** Codes are case-insensitive and people type them with spaces; compare on this form. */
export function normaliseCode(raw: string): string {
  return raw.trim().toUpperCase().replace(/\s+/g, "");
}

/** "points as money": the discount for spending `points` (a multiple of the step), or an error message. */
export function pointsDiscountFor(reward: { points_cost: number; discount_minor: number | null; max_discount_minor: number | null }, points: number): { discountMinor: number } | { error: string } {
  if (!Number.isSafeInteger(points) || points <= 0) return { error: "Points must be a positive whole number" };
  if (points % reward.points_cost !== 0) return { error: `Points must be a multiple of ${reward.points_cost}` };
  const discountMinor = (points / reward.points_cost) * (reward.discount_minor ?? 0);
  if (reward.max_discount_minor !== null && discountMinor > reward.max_discount_minor) {
    return { error: `At most ${Math.floor(reward.max_discount_minor / (reward.discount_minor ?? 1)) * reward.points_cost} points can be spent on one order` };
  }
  return { discountMinor };
}
