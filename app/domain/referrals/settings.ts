import { z } from "zod";

/**
 * The merchant's referral program. Stored as JSON in referral_programs.settings and validated here on every read
 * and write. Level 1 of the tree is the direct referrer (paid `referrerReward`); `levelPoints` credits the ancestors
 * above, keyed by level "2".."10", up to `depthCap` levels in total.
 */
const points = z.number().int("Points must be a whole number").min(1, "Points must be at least 1").max(1_000_000, "At most 1,000,000 points");

export const ReferralRewardSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("none") }),
  z.object({ kind: z.literal("points"), points }),
  z.object({ kind: z.literal("reward"), rewardId: z.string().trim().min(1).max(64) }),
]);
export type ReferralReward = z.infer<typeof ReferralRewardSchema>;

export const QualifyingEventSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("signup") }),
  z.object({ kind: z.literal("first_order") }),
  z.object({ kind: z.literal("first_order_above"), minAmountMinor: z.number().int().min(1).max(1_000_000_000_00) }),
  z.object({ kind: z.literal("n_orders_within_days"), orders: z.number().int().min(1).max(100), days: z.number().int().min(1).max(3650) }),
]);
export type QualifyingEvent = z.infer<typeof QualifyingEventSchema>;

const cap = z.number().int().min(1).max(1_000_000).nullable();

export const ReferralSettingsSchema = z.object({
  enabled: z.boolean(),
  qualifyingEvent: QualifyingEventSchema,
  /** Matches the return window: rewards stay pending (and reversible) this long after qualification. */
  holdDays: z.number().int().min(0).max(365),
  friendReward: ReferralRewardSchema,
  referrerReward: ReferralRewardSchema,
  /** Referrer rewards per referrer per calendar month (merchant time zone) and in total; null = no cap. */
  referrerCapPerMonth: cap,
  referrerCapLifetime: cap,
  /** Levels paid in total, counting the direct referrer as level 1 (1 = single-level program). */
  depthCap: z.number().int().min(1).max(10),
  levelPoints: z
    .record(z.string().regex(/^(?:[2-9]|10)$/, "Levels above the referrer are 2 to 10"), points)
    .refine((r) => Object.keys(r).length <= 9, "At most 9 levels"),
  cookieDays: z.number().int().min(1).max(365),
  disposableDomains: z.array(z.string().trim().toLowerCase().regex(/^[a-z0-9.-]{1,253}$/, "Not a domain")).max(5000),
  /** More sign-ups than this per hour for one referrer are flagged for review. */
  velocityPerHour: z.number().int().min(1).max(10_000),
  /** Sign-ups from the same IP address and user agent as another referral within this many hours are flagged. */
  ipWindowHours: z.number().int().min(1).max(24 * 90),
  /** E-mail invites a member may send per day. */
  invitesPerDay: z.number().int().min(0).max(100),
  /**
   * Share (%) of landing devices shown the plain join page without the friend's incentive, to measure how many
   * referred friends would have come anyway (the incrementality report's referral section). 0 = no friend holdout.
   */
  friendHoldoutPercent: z.number().int("A whole percentage").min(0, "At least 0%").max(50, "At most 50%").default(0),
});
export type ReferralSettings = z.infer<typeof ReferralSettingsSchema>;

export const DEFAULT_REFERRAL_SETTINGS: ReferralSettings = Object.freeze({
  enabled: false,
  qualifyingEvent: { kind: "first_order" },
  holdDays: 30,
  friendReward: { kind: "points", points: 500 },
  referrerReward: { kind: "points", points: 500 },
  referrerCapPerMonth: null,
  referrerCapLifetime: null,
  depthCap: 1,
  levelPoints: {},
  cookieDays: 30,
  disposableDomains: ["mailinator.com", "guerrillamail.com", "10minutemail.com", "tempmail.com", "yopmail.com", "trashmail.com"],
  velocityPerHour: 10,
  ipWindowHours: 24,
  invitesPerDay: 20,
  friendHoldoutPercent: 0,
}) as ReferralSettings;

/** Points for an ancestor at `level` (≥ 2), or 0 when the level is beyond the depth cap or unpaid. */
export function ancestorPoints(settings: ReferralSettings, level: number): number {
  if (level < 2 || level > settings.depthCap) return 0;
  return settings.levelPoints[String(level)] ?? 0;
}
