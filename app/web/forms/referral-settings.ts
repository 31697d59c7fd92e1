import { z } from "zod";
import { formatMajorAmount, parseMajorAmount } from "./fields";
import { ReferralSettingsSchema, type ReferralReward, type ReferralSettings } from "~/domain/referrals/settings";
import { minorDigits } from "~/lib/money";

/**
 * The referral program settings form ⇄ ReferralSettings. Pure, shared by the route action (authoritative) and the
 * browser. The form is flat (one input per value) and speaks what people type: the minimum order in major units,
 * empty caps for "no cap", disposable domains one per line; the result is validated again by the domain's schema.
 */

export const QUALIFYING_KINDS = ["signup", "first_order", "first_order_above", "n_orders_within_days"] as const;
export const QUALIFYING_LABEL: Record<(typeof QUALIFYING_KINDS)[number], string> = {
  signup: "The friend signs up",
  first_order: "The friend's first order",
  first_order_above: "A first order above an amount",
  n_orders_within_days: "A number of orders within a number of days",
};
export const REWARD_KIND_OPTIONS = ["none", "points", "reward"] as const;
export const LEVELS = [2, 3, 4, 5, 6, 7, 8, 9, 10] as const;
export type LevelField = `level${(typeof LEVELS)[number]}`;

const int = (label: string, min: number, max: number) =>
  z
    .number({ error: `${label} must be a whole number` })
    .int(`${label} must be a whole number`)
    .min(min, `${label} must be at least ${min.toLocaleString("en-US")}`)
    .max(max, `${label} must be at most ${max.toLocaleString("en-US")}`);

const POINTS_MAX = 1_000_000;
const levelFields = Object.fromEntries(LEVELS.map((l) => [`level${l}`, int(`Level ${l} points`, 1, POINTS_MAX).optional()])) as Record<
  LevelField,
  z.ZodOptional<z.ZodNumber>
>;
const DOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

export function domainsFromText(text: string | undefined): string[] {
  return [...new Set((text ?? "").split(/[\s,;]+/).map((d) => d.trim().toLowerCase().replace(/^@/, "")).filter(Boolean))];
}

export function referralSettingsFormSchema(currency: string) {
  const digits = minorDigits(currency);
  return z
    .object({
      enabled: z.boolean().default(false),
      qualifyingKind: z.enum(QUALIFYING_KINDS, { error: "Choose the qualifying event" }),
      minAmount: z.string().trim().max(20, "Enter a shorter amount").optional(),
      orders: int("Orders", 1, 100).optional(),
      days: int("Days", 1, 3650).optional(),
      holdDays: int("Hold period", 0, 365),
      friendKind: z.enum(REWARD_KIND_OPTIONS, { error: "Choose the friend's reward" }),
      friendPoints: int("Points", 1, POINTS_MAX).optional(),
      friendRewardId: z.string().trim().max(64).optional(),
      referrerKind: z.enum(REWARD_KIND_OPTIONS, { error: "Choose the referrer's reward" }),
      referrerPoints: int("Points", 1, POINTS_MAX).optional(),
      referrerRewardId: z.string().trim().max(64).optional(),
      referrerCapPerMonth: int("Monthly cap", 1, 1_000_000).optional(),
      referrerCapLifetime: int("Lifetime cap", 1, 1_000_000).optional(),
      depthCap: int("Levels paid", 1, 10),
      ...levelFields,
      cookieDays: int("Cookie lifetime", 1, 365),
      disposableDomains: z.string().max(100_000, "The list is too long").optional(),
      velocityPerHour: int("Sign-ups per hour", 1, 10_000),
      ipWindowHours: int("Window", 1, 24 * 90),
      invitesPerDay: int("Invites per day", 0, 100),
      friendHoldoutPercent: int("Friend holdout", 0, 50).optional(),
    })
    .superRefine((v, ctx) => {
      const need = (cond: boolean, path: string, message: string) => {
        if (!cond) ctx.addIssue({ code: "custom", path: [path], message });
      };
      if (v.qualifyingKind === "first_order_above") {
        const minor = v.minAmount ? parseMajorAmount(v.minAmount, digits) : null;
        need(Boolean(v.minAmount), "minAmount", "Enter the minimum order amount");
        if (v.minAmount) need(minor !== null && minor >= 1, "minAmount", `Enter an amount like ${formatMajorAmount(2500, digits)}`);
      }
      if (v.qualifyingKind === "n_orders_within_days") {
        need(v.orders !== undefined, "orders", "Enter the number of orders");
        need(v.days !== undefined, "days", "Enter the number of days");
      }
      for (const who of ["friend", "referrer"] as const) {
        const kind = v[`${who}Kind`];
        if (kind === "points") need(v[`${who}Points`] !== undefined, `${who}Points`, "Enter the points");
        if (kind === "reward") need(Boolean(v[`${who}RewardId`]), `${who}RewardId`, "Choose a reward from the catalog");
      }
      if (v.referrerCapPerMonth !== undefined && v.referrerCapLifetime !== undefined) {
        need(v.referrerCapLifetime >= v.referrerCapPerMonth, "referrerCapLifetime", "The lifetime cap cannot be below the monthly cap");
      }
      for (const d of domainsFromText(v.disposableDomains)) {
        if (!DOMAIN.test(d) || d.length > 253) {
          ctx.addIssue({ code: "custom", path: ["disposableDomains"], message: `"${d.slice(0, 60)}" is not a domain` });
          break;
        }
      }
      need(domainsFromText(v.disposableDomains).length <= 5000, "disposableDomains", "At most 5,000 domains");
    })
    .transform((v, ctx): ReferralSettings => {
      const reward = (kind: (typeof REWARD_KIND_OPTIONS)[number], pts: number | undefined, rewardId: string | undefined): ReferralReward =>
        kind === "points" ? { kind, points: pts! } : kind === "reward" ? { kind, rewardId: rewardId! } : { kind: "none" };
      const levelPoints: Record<string, number> = {};
      for (const l of LEVELS) {
        const p = v[`level${l}`];
        // Levels beyond the cap are not paid, so they are not kept either.
        if (l <= v.depthCap && p !== undefined) levelPoints[String(l)] = p;
      }
      const parsed = ReferralSettingsSchema.safeParse({
        enabled: v.enabled,
        qualifyingEvent:
          v.qualifyingKind === "first_order_above"
            ? { kind: v.qualifyingKind, minAmountMinor: parseMajorAmount(v.minAmount!, digits)! }
            : v.qualifyingKind === "n_orders_within_days"
              ? { kind: v.qualifyingKind, orders: v.orders!, days: v.days! }
              : { kind: v.qualifyingKind },
        holdDays: v.holdDays,
        friendReward: reward(v.friendKind, v.friendPoints, v.friendRewardId),
        referrerReward: reward(v.referrerKind, v.referrerPoints, v.referrerRewardId),
        referrerCapPerMonth: v.referrerCapPerMonth ?? null,
        referrerCapLifetime: v.referrerCapLifetime ?? null,
        depthCap: v.depthCap,
        levelPoints,
        cookieDays: v.cookieDays,
        disposableDomains: domainsFromText(v.disposableDomains),
        velocityPerHour: v.velocityPerHour,
        ipWindowHours: v.ipWindowHours,
        invitesPerDay: v.invitesPerDay,
        friendHoldoutPercent: v.friendHoldoutPercent ?? 0,
      });
      if (parsed.success) return parsed.data;
      // The domain's own rules, should they be stricter than the form's: each error lands on its input.
      for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", path: [formPath(issue.path)], message: issue.message });
      return z.NEVER;
    });
}

/** A settings document path as the form's field name. */
export function formPath(path: PropertyKey[]): string {
  const [head, sub] = path.map(String);
  if (head === "qualifyingEvent") return sub === "minAmountMinor" ? "minAmount" : sub === "orders" || sub === "days" ? sub : "qualifyingKind";
  if (head === "friendReward" || head === "referrerReward") {
    const who = head === "friendReward" ? "friend" : "referrer";
    return sub === "points" ? `${who}Points` : sub === "rewardId" ? `${who}RewardId` : `${who}Kind`;
  }
  if (head === "levelPoints") return sub ? `level${sub}` : "depthCap";
  return head ?? "";
}

export type SettingsFormDefaults = Record<string, string | boolean | undefined>;

/** The stored settings as the form's initial values (strings, as inputs hold them). */
export function settingsFormDefaults(s: ReferralSettings, currency: string): SettingsFormDefaults {
  const q = s.qualifyingEvent;
  const str = (n: number | null | undefined) => (n === null || n === undefined ? "" : String(n));
  const out: SettingsFormDefaults = {
    enabled: s.enabled,
    qualifyingKind: q.kind,
    minAmount: q.kind === "first_order_above" ? formatMajorAmount(q.minAmountMinor, minorDigits(currency)) : "",
    orders: q.kind === "n_orders_within_days" ? String(q.orders) : "",
    days: q.kind === "n_orders_within_days" ? String(q.days) : "",
    holdDays: String(s.holdDays),
    friendKind: s.friendReward.kind,
    friendPoints: s.friendReward.kind === "points" ? String(s.friendReward.points) : "",
    friendRewardId: s.friendReward.kind === "reward" ? s.friendReward.rewardId : "",
    referrerKind: s.referrerReward.kind,
    referrerPoints: s.referrerReward.kind === "points" ? String(s.referrerReward.points) : "",
    referrerRewardId: s.referrerReward.kind === "reward" ? s.referrerReward.rewardId : "",
    referrerCapPerMonth: str(s.referrerCapPerMonth),
    referrerCapLifetime: str(s.referrerCapLifetime),
    depthCap: String(s.depthCap),
    cookieDays: String(s.cookieDays),
    disposableDomains: s.disposableDomains.join("\n"),
    velocityPerHour: String(s.velocityPerHour),
    ipWindowHours: String(s.ipWindowHours),
    invitesPerDay: String(s.invitesPerDay),
    friendHoldoutPercent: String(s.friendHoldoutPercent),
  };
  for (const l of LEVELS) out[`level${l}`] = str(s.levelPoints[String(l)]);
  return out;
}
