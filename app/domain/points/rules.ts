import { z } from "zod";
import { wallTimeIn, zonedTimeToUtc } from "~/lib/time-zone";
import { formatMoney, minorDigits } from "~/lib/money";

/**
 * A merchant's earning rules: the validated JSON stored in `earning_rules`, and the pure arithmetic the ledger
 * applies to them. No I/O, no clock: the browser runs the same code for the editor's live preview.
 *
 * Rounding (one rule, here): an order earns amount × points-per-unit ÷ 10^currency-digits, computed exactly in
 * integers, then rounded down ("floor", the default) or to the nearest whole point with halves rounded up
 * ("nearest"). Campaign and tier multipliers are applied together afterwards and always round down; bonuses are
 * added unmultiplied; caps come last.
 *
 * Time zones use Intl (ICU, built into Node and every browser) instead of a library: all we need is "which local
 * day/month/year is this instant in" and "which instant starts this local day", which a two-pass offset lookup
 * answers exactly, DST gaps and overlaps included — and the editor bundle stays free of a tz database.
 */

// ---- schema --------------------------------------------------------------------------------------------------

function int(label: string, min: number, max: number) {
  return z
    .number({ error: (iss) => (iss.input === undefined || iss.input === null ? `${label} is required` : `${label} must be a number`) })
    .int({ error: `${label} must be a whole number`, abort: true })
    .min(min, `${label} must be at least ${min.toLocaleString("en-US")}`)
    .max(max, `${label} must be at most ${max.toLocaleString("en-US")}`);
}

function text(label: string, max: number) {
  return z
    .string({ error: `${label} is required` })
    .trim()
    .min(1, `${label} is required`)
    .max(max, `${label} must be at most ${max} characters`);
}

function isoInstant(label: string) {
  return z.iso.datetime({ offset: true, error: `${label} must be a date and time` });
}

const BONUS_MAX = 1_000_000;

export const EVENT_KEY_PATTERN = /^[a-z][a-z0-9_]{0,49}$/;

export const CustomEventSchema = z.object({
  key: z
    .string({ error: "Event key is required" })
    .regex(EVENT_KEY_PATTERN, "Event key must start with a letter and use only lowercase letters, digits and _ (up to 50)"),
  label: text("Event name", 80),
  points: int("Event points", 1, BONUS_MAX),
});

export const CampaignSchema = z.object({
  id: z
    .string({ error: "Campaign id is required" })
    .regex(/^[A-Za-z0-9_-]{1,40}$/, "Campaign id must be 1 to 40 letters, digits, _ or -"),
  name: text("Campaign name", 80),
  startsAt: isoInstant("Campaign start"),
  endsAt: isoInstant("Campaign end"),
  multiplierPercent: int("Campaign multiplier", 100, 1000),
  appliesTo: z.enum(["orders", "orders_and_events"], { error: "Choose what the campaign applies to" }),
});

export interface RowIssue {
  path: (string | number)[];
  message: string;
}
type Loose = Record<string, unknown>;
const rows = (v: unknown): Loose[] => (Array.isArray(v) ? v.map((r) => (r && typeof r === "object" ? (r as Loose) : {})) : []);

/**
 * Checks across rows (duplicate keys and ids, campaign end after start). Tolerant of half-valid rows: Zod skips an
 * array's refinements once any row has an error, so the editor also runs these itself to report everything at once.
 */
export function eventRowIssues(events: unknown): RowIssue[] {
  const out: RowIssue[] = [];
  const seen = new Set<string>();
  rows(events).forEach((e, i) => {
    if (typeof e.key !== "string" || e.key === "") return;
    if (seen.has(e.key)) out.push({ message: `Event key "${e.key}" is used twice`, path: [i, "key"] });
    seen.add(e.key);
  });
  return out;
}

export function campaignRowIssues(campaigns: unknown): RowIssue[] {
  const out: RowIssue[] = [];
  const seen = new Set<string>();
  rows(campaigns).forEach((c, i) => {
    const start = typeof c.startsAt === "string" ? Date.parse(c.startsAt) : Number.NaN;
    const end = typeof c.endsAt === "string" ? Date.parse(c.endsAt) : Number.NaN;
    if (!Number.isNaN(start) && !Number.isNaN(end) && end <= start) out.push({ message: "Campaign end must be after its start", path: [i, "endsAt"] });
    if (typeof c.id !== "string" || c.id === "") return;
    if (seen.has(c.id)) out.push({ message: `Campaign id "${c.id}" is used twice`, path: [i, "id"] });
    seen.add(c.id);
  });
  return out;
}

const capField = (label: string) => int(label, 1, Number.MAX_SAFE_INTEGER).nullable();

export const ExpirySchema = z.discriminatedUnion(
  "mode",
  [
    z.object({ mode: z.literal("never") }),
    z.object({ mode: z.literal("after_earning"), months: int("Expiry months", 1, 120) }),
    z.object({ mode: z.literal("inactivity"), months: int("Inactivity months", 1, 120) }),
  ],
  { error: "Choose an expiry policy" },
);

export const EarningRulesSchema = z.object({
  version: z.literal(1, { error: "Unsupported earning rules version" }),
  earning: z.object({
    pointsPerUnit: int("Points per currency unit", 0, 10_000),
    rounding: z.enum(["floor", "nearest"], { error: "Rounding must be floor or nearest" }),
    minimumOrderMinor: int("Minimum order", 0, Number.MAX_SAFE_INTEGER),
  }),
  bonuses: z.object({
    signup: int("Sign-up bonus", 0, BONUS_MAX),
    firstOrder: int("First-order bonus", 0, BONUS_MAX),
    birthday: int("Birthday bonus", 0, BONUS_MAX),
    profileCompleted: int("Profile-completed bonus", 0, BONUS_MAX),
  }),
  customEvents: z
    .array(CustomEventSchema, { error: "Custom events must be a list" })
    .max(50, "At most 50 custom events")
    .superRefine((events, ctx) => {
      for (const i of eventRowIssues(events)) ctx.addIssue({ code: "custom", ...i });
    }),
  caps: z.object({
    perDay: capField("Daily cap"),
    perMonth: capField("Monthly cap"),
    lifetime: capField("Lifetime cap"),
  }),
  campaigns: z
    .array(CampaignSchema, { error: "Campaigns must be a list" })
    .max(50, "At most 50 campaigns")
    .superRefine((campaigns, ctx) => {
      for (const i of campaignRowIssues(campaigns)) ctx.addIssue({ code: "custom", ...i });
    }),
  pendingDays: int("Pending days", 0, 365),
  expiry: ExpirySchema,
  pointValue: z.object({
    points: int("Point value (points)", 1, 1_000_000),
    minor: int("Point value (amount)", 0, 1_000_000),
  }),
});

export type EarningRules = z.infer<typeof EarningRulesSchema>;
export type CustomEvent = EarningRules["customEvents"][number];
export type Campaign = EarningRules["campaigns"][number];
export type ExpiryPolicy = EarningRules["expiry"];

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object") {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Frozen, so no caller can change every merchant's defaults by accident; copy it (structuredClone) to edit. */
export const DEFAULT_EARNING_RULES: EarningRules = deepFreeze<EarningRules>({
  version: 1,
  earning: { pointsPerUnit: 1, rounding: "floor", minimumOrderMinor: 0 },
  bonuses: { signup: 100, firstOrder: 0, birthday: 100, profileCompleted: 50 },
  customEvents: [],
  caps: { perDay: null, perMonth: null, lifetime: null },
  campaigns: [],
  pendingDays: 14,
  expiry: { mode: "after_earning", months: 12 },
  pointValue: { points: 100, minor: 100 },
});

// ---- order and event points ----------------------------------------------------------------------------------

function assertInt(name: string, v: number, min = 0) {
  if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} must be a whole number ≥ ${min} (got ${v})`);
}

/** Points an order earns before multipliers and bonuses (see the rounding rule at the top). */
export function orderBasePoints(rules: EarningRules, amountMinor: number, currencyDigits: number): number {
  assertInt("amountMinor", amountMinor, Number.MIN_SAFE_INTEGER);
  assertInt("currencyDigits", currencyDigits);
  if (amountMinor <= 0 || amountMinor < rules.earning.minimumOrderMinor) return 0;
  const scaled = BigInt(amountMinor) * BigInt(rules.earning.pointsPerUnit);
  const unit = 10n ** BigInt(currencyDigits);
  const points = rules.earning.rounding === "nearest" ? (2n * scaled + unit) / (2n * unit) : scaled / unit;
  if (points > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`An order of ${amountMinor} minor units earns more points than can be recorded`);
  return Number(points);
}

/** The campaign in force at `at` (starts inclusive, ends exclusive) with the highest multiplier; earliest listed wins a tie. */
export function activeCampaign(rules: EarningRules, at: Date, kind: "order" | "event"): Campaign | null {
  const t = at.getTime();
  let best: Campaign | null = null;
  for (const c of rules.campaigns) {
    if (kind === "event" && c.appliesTo !== "orders_and_events") continue;
    if (Date.parse(c.startsAt) <= t && t < Date.parse(c.endsAt) && (!best || c.multiplierPercent > best.multiplierPercent)) best = c;
  }
  return best;
}

/** Points already earned from orders and custom events in the member's current local day and month, and ever. */
export interface EarnedSoFar {
  day: number;
  month: number;
  lifetime: number;
}

export interface PointsBreakdown {
  base: number;
  campaignPercent: number;
  campaignId: string | null;
  tierPercent: number;
  firstOrderBonus: number;
  beforeCaps: number;
  capped: boolean;
  points: number;
  reason: "below_minimum" | "cap_reached" | null;
}

/** Cuts `requested` so none of the day / month / lifetime caps is exceeded (what was earned already counts). */
export function applyCaps(rules: EarningRules, requested: number, so: EarnedSoFar): { points: number; capped: boolean } {
  assertInt("requested", requested);
  let allowed = requested;
  const limits: Array<[number | null, number]> = [
    [rules.caps.perDay, so.day],
    [rules.caps.perMonth, so.month],
    [rules.caps.lifetime, so.lifetime],
  ];
  for (const [cap, used] of limits) {
    if (cap !== null) allowed = Math.min(allowed, Math.max(0, cap - used));
  }
  return { points: allowed, capped: allowed < requested };
}

function multiply(points: number, campaignPercent: number, tierPercent: number): number {
  return Number((BigInt(points) * BigInt(campaignPercent) * BigInt(tierPercent)) / 10_000n);
}

/**
 * What an order earns: floor(base × campaign% × tier% / 10000) + first-order bonus (not multiplied), then caps on
 * the whole. An order under the minimum earns nothing, first-order bonus included.
 */
export function orderPoints(
  rules: EarningRules,
  input: { amountMinor: number; currencyDigits: number; occurredAt: Date; isFirstOrder: boolean; tierPercent: number; earnedSoFar: EarnedSoFar },
): PointsBreakdown {
  assertInt("tierPercent", input.tierPercent);
  const campaign = activeCampaign(rules, input.occurredAt, "order");
  const campaignPercent = campaign?.multiplierPercent ?? 100;
  const common = { campaignPercent, campaignId: campaign?.id ?? null, tierPercent: input.tierPercent };
  if (input.amountMinor < rules.earning.minimumOrderMinor || input.amountMinor <= 0) {
    const below = input.amountMinor < rules.earning.minimumOrderMinor;
    return { base: 0, ...common, firstOrderBonus: 0, beforeCaps: 0, capped: false, points: 0, reason: below ? "below_minimum" : null };
  }
  const base = orderBasePoints(rules, input.amountMinor, input.currencyDigits);
  const firstOrderBonus = input.isFirstOrder ? rules.bonuses.firstOrder : 0;
  const beforeCaps = multiply(base, campaignPercent, input.tierPercent) + firstOrderBonus;
  const { points, capped } = applyCaps(rules, beforeCaps, input.earnedSoFar);
  return { base, ...common, firstOrderBonus, beforeCaps, capped, points, reason: capped && points === 0 ? "cap_reached" : null };
}

/** What a custom event earns (campaigns that apply to events and the tier multiply it; caps apply). null: unknown key. */
export function eventPoints(
  rules: EarningRules,
  key: string,
  input: { occurredAt: Date; tierPercent: number; earnedSoFar: EarnedSoFar },
): PointsBreakdown | null {
  assertInt("tierPercent", input.tierPercent);
  const event = rules.customEvents.find((e) => e.key === key);
  if (!event) return null;
  const campaign = activeCampaign(rules, input.occurredAt, "event");
  const campaignPercent = campaign?.multiplierPercent ?? 100;
  const beforeCaps = multiply(event.points, campaignPercent, input.tierPercent);
  const { points, capped } = applyCaps(rules, beforeCaps, input.earnedSoFar);
  return {
    base: event.points,
    campaignPercent,
    campaignId: campaign?.id ?? null,
    tierPercent: input.tierPercent,
    firstOrderBonus: 0,
    beforeCaps,
    capped,
    points,
    reason: capped && points === 0 ? "cap_reached" : null,
  };
}

// ---- time zones ------------------------------------------------------------------------------------------------

export { wallTimeIn, zonedTimeToUtc, type WallTime } from "~/lib/time-zone";

/** Start of the local day and of the local month containing `at`, as instants (for daily and monthly caps). */
export function capWindowStarts(at: Date, timezone: string): { dayStart: Date; monthStart: Date } {
  const w = wallTimeIn(at, timezone);
  return {
    dayStart: zonedTimeToUtc({ year: w.year, month: w.month, day: w.day, hour: 0, minute: 0, second: 0 }, timezone),
    monthStart: zonedTimeToUtc({ year: w.year, month: w.month, day: 1, hour: 0, minute: 0, second: 0 }, timezone),
  };
}

export function localYear(at: Date, timezone: string): number {
  return wallTimeIn(at, timezone).year;
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/** Whether `at` falls on the member's birthday in the merchant's zone. A 29 February birthday is kept on the 28th in other years. */
export function isBirthdayOn(birthday: string, at: Date, timezone: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthday);
  if (!m) return false;
  const bMonth = Number(m[2]);
  let bDay = Number(m[3]);
  if (bMonth < 1 || bMonth > 12 || bDay < 1 || bDay > 31) return false;
  const local = wallTimeIn(at, timezone);
  if (bMonth === 2 && bDay === 29 && !isLeap(local.year)) bDay = 28;
  if (bDay > daysInMonth(local.year, bMonth)) return false;
  return local.month === bMonth && local.day === bDay;
}

// ---- pending and expiry ---------------------------------------------------------------------------------------

/** Calendar months later at the same UTC time of day, the day clamped to the month's end (31 Jan + 1 → 28/29 Feb). */
export function addMonths(at: Date, months: number): Date {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth() + months;
  const targetY = y + Math.floor(m / 12);
  const targetM = ((m % 12) + 12) % 12;
  const day = Math.min(at.getUTCDate(), daysInMonth(targetY, targetM + 1));
  return new Date(Date.UTC(targetY, targetM, day, at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds(), at.getUTCMilliseconds()));
}

/** When earned points become available: `pendingDays` × 24 hours after earning; null when there is no pending period. */
export function pendingUntil(rules: EarningRules, earnedAt: Date): Date | null {
  return rules.pendingDays === 0 ? null : new Date(earnedAt.getTime() + rules.pendingDays * 86_400_000);
}

/** A lot's own expiry under the "N months after earning" policy; null under the other policies. */
export function lotExpiresAt(rules: EarningRules, earnedAt: Date): Date | null {
  return rules.expiry.mode === "after_earning" ? addMonths(earnedAt, rules.expiry.months) : null;
}

/** Under the inactivity policy, when a member's points expire if nothing happens after `lastActivityAt`. */
export function inactivityExpiry(rules: EarningRules, lastActivityAt: Date): Date | null {
  return rules.expiry.mode === "inactivity" ? addMonths(lastActivityAt, rules.expiry.months) : null;
}

// ---- money -------------------------------------------------------------------------------------------------------

/** What `points` are worth to the merchant, in minor units, rounded down: floor(points × minor ÷ points-per). */
export function liabilityMinor(rules: EarningRules, points: number): number {
  assertInt("points", points, Number.MIN_SAFE_INTEGER);
  const n = BigInt(points) * BigInt(rules.pointValue.minor);
  const d = BigInt(rules.pointValue.points);
  const q = n / d;
  return Number(n < 0n && q * d !== n ? q - 1n : q);
}

const plural = (n: number) => `${n.toLocaleString("en-US")} ${n === 1 ? "point" : "points"}`;

/** One sentence for the editor's live preview: "An order of $42.50 earns 42 points." plus campaign, minimum and first-order notes. */
export function previewText(rules: EarningRules, amountMinor: number, currency: string, at?: Date): string {
  const money = formatMoney(amountMinor, currency);
  if (amountMinor < rules.earning.minimumOrderMinor) {
    return `An order of ${money} earns no points: orders under ${formatMoney(rules.earning.minimumOrderMinor, currency)} do not earn.`;
  }
  const base = orderBasePoints(rules, amountMinor, minorDigits(currency));
  const campaign = at ? activeCampaign(rules, at, "order") : null;
  const total = campaign ? multiply(base, campaign.multiplierPercent, 100) : base;
  let s = `An order of ${money} earns ${plural(total)}`;
  if (campaign) s += ` (${plural(base)} × ${campaign.multiplierPercent}% during “${campaign.name}”)`;
  s += ".";
  if (rules.bonuses.firstOrder > 0) s += ` A member's first order earns ${plural(rules.bonuses.firstOrder)} more.`;
  return s;
}
