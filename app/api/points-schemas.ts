import { z } from "zod";
import type { LedgerLine, MemberPointsBalance } from "~/domain/points/balance.server";
import { EVENT_KEY_PATTERN } from "~/domain/points/rules";
import { emailSchema, externalIdSchema, personNameSchema } from "~/domain/members/schemas";

/**
 * Request and response shapes of the points API (orders, refunds, custom events, balances, ledger, spend, adjust).
 * Same policy as ./schemas.ts: bodies are strict (an unknown field is a 422 naming it), the schemas generate the
 * OpenAPI document, amounts are integers in minor units and points are integers.
 */

/** Far above any real order; keeps every derived sum (points, totals) exact in a JS number. */
export const MAX_AMOUNT_MINOR = 1_000_000_000_000;
/** Largest single spend or adjustment. */
export const MAX_POINTS = 1_000_000_000;

function whole(label: string, min: number, max: number) {
  // min/max before int: 1e20 is "too large", not "not a whole number".
  return z
    .number({ error: (iss) => (iss.input === undefined ? `${label} is required` : `${label} must be a number (not a string)`) })
    .min(min, `${label} must be at least ${min.toLocaleString("en-US")}`)
    .max(max, `${label} must be at most ${max.toLocaleString("en-US")}`)
    .int(`${label} must be a whole number`);
}

function text(label: string, max: number) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? `${label} is required` : `${label} must be a string`) })
    .trim()
    .min(1, `${label} must not be empty`)
    .max(max, `${label} must be at most ${max} characters`);
}

/** Identifiers you send (order ids, refund ids, references): no control characters. */
function reference(label: string, max = 200) {
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  return text(label, max).regex(/^[^\x00-\x1f\x7f]+$/, `${label} must not contain control characters`);
}

const instant = (label: string) =>
  z.iso
    .datetime({ offset: true, error: `${label} must be an ISO 8601 date and time with a time zone, e.g. 2026-03-01T14:05:00Z` })
    .refine((v) => !Number.isNaN(Date.parse(v)), `${label} is not a real date`)
    .meta({ format: "date-time", example: "2026-03-01T14:05:00Z" });

/** Business dates (occurred_at) must be after 2000 and at most a day ahead of our clock (clock skew, time zones). */
export const EARLIEST_OCCURRED_AT = new Date("2000-01-01T00:00:00Z");
export const MAX_FUTURE_MS = 86_400_000;

/** null when `at` is acceptable, else the message (checked against the server clock, outside the schema). */
export function occurredAtProblem(at: Date, now: Date): string | null {
  if (at < EARLIEST_OCCURRED_AT) return "occurred_at must not be before 2000-01-01";
  if (at.getTime() > now.getTime() + MAX_FUTURE_MS) return "occurred_at must not be more than one day in the future";
  return null;
}

// ---- member reference ---------------------------------------------------------------------------------------

export const MemberRefSchema = z
  .strictObject({
    id: z.string({ error: "member.id must be a string" }).max(64, "member.id is not a member id").optional().meta({
      description: "A Perennial member id. When given, no other member field may be sent.",
      example: "mbr_tt3gadndsmzdpsn24id347kc4f",
    }),
    external_id: externalIdSchema.optional().meta({ description: "Your system's id for this customer", example: "cus_1042" }),
    email: emailSchema.optional().meta({ description: "Needed to create a member that does not exist yet", example: "ada@example.com" }),
    name: personNameSchema.optional().meta({ example: "Ada Lovelace" }),
  })
  .superRefine((m, ctx) => {
    if (m.id !== undefined && (m.external_id !== undefined || m.email !== undefined || m.name !== undefined)) {
      ctx.addIssue({ code: "custom", message: "Identify the member either by id, or by external_id and/or email — not both", path: ["id"] });
    } else if (m.id === undefined && m.external_id === undefined && m.email === undefined) {
      ctx.addIssue({ code: "custom", message: "Identify the member by id, external_id or email" });
    }
  })
  .meta({
    id: "MemberReference",
    example: { external_id: "cus_1042", email: "ada@example.com", name: "Ada Lovelace" },
    description:
      "Who the order or event is for: `id`, or `external_id` and/or `email`. A member matched by `external_id` (else by e-mail) " +
      "is updated like POST /api/v1/members; when none matches, a new member is created (which needs `email`) and earns the " +
      "sign-up bonus.",
  });

export type MemberRef = z.infer<typeof MemberRefSchema>;

// ---- orders -------------------------------------------------------------------------------------------------

export const RecordOrderBody = z
  .strictObject({
    order_id: reference("order_id").meta({ description: "Your order id (unique per merchant)", example: "1043" }),
    member: MemberRefSchema,
    amount_minor: whole("amount_minor", 0, MAX_AMOUNT_MINOR).meta({ description: "Amount paid, in minor units (cents)", example: 4250 }),
    currency: z
      .string({ error: "currency is required" })
      .regex(/^[A-Za-z]{3}$/, "currency must be a three-letter ISO 4217 code")
      .transform((c) => c.toUpperCase())
      .meta({ description: "ISO 4217 code; must be your store's currency", example: "USD" }),
    occurred_at: instant("occurred_at").meta({ description: "When the order was placed: not before 2000, at most one day in the future" }),
  })
  .meta({ id: "RecordOrderRequest" });

export const OrderSchema = z
  .object({
    id: z.string().meta({ example: "ord_k2m4hq7u3zc6b5g6m5yq3w2x4a" }),
    order_id: z.string().meta({ description: "Your order id", example: "1043" }),
    member_id: z.string(),
    amount_minor: z.number().int(),
    currency: z.string(),
    occurred_at: z.string().meta({ format: "date-time" }),
    refunded_minor: z.number().int().meta({ description: "Sum of refunds recorded so far" }),
    points_earned: z.number().int().meta({ description: "Points this order earned (0 when it earns none)", example: 42 }),
    points_status: z.enum(["pending", "available", "none"]).meta({ description: "`pending` during the return window, then `available`; `none` when the order earned nothing" }),
    pending_until: z.string().nullable().meta({ format: "date-time", description: "When pending points become available" }),
  })
  .meta({ id: "Order" });

// ---- refunds ------------------------------------------------------------------------------------------------

export const RecordRefundBody = z
  .strictObject({
    order_id: reference("order_id").meta({ description: "The `order_id` you sent to POST /api/v1/orders", example: "1043" }),
    refund_id: reference("refund_id").meta({ description: "Your refund id, unique per order; the same id again is a replay", example: "re_1" }),
    amount_minor: whole("amount_minor", 1, MAX_AMOUNT_MINOR).meta({ description: "Amount refunded by this refund, in minor units", example: 1000 }),
  })
  .meta({ id: "RecordRefundRequest" });

export const RefundSchema = z
  .object({
    id: z.string().meta({ example: "rfn_4w5ngb2u7fqz7jp6dtc3kq4lxe" }),
    order_id: z.string().meta({ description: "Your order id", example: "1043" }),
    refund_id: z.string().meta({ example: "re_1" }),
    amount_minor: z.number().int(),
    refunded_total_minor: z.number().int().meta({ description: "All refunds of the order so far" }),
    points_reversed: z.number().int().meta({ description: "Points taken back by this refund (in proportion to the refunded share)" }),
  })
  .meta({ id: "Refund" });

// ---- custom events ------------------------------------------------------------------------------------------

export const RecordEventBody = z
  .strictObject({
    member: MemberRefSchema,
    event: z
      .string({ error: "event is required" })
      .regex(EVENT_KEY_PATTERN, "event must be an event key like review_posted (lowercase letters, digits and _)")
      .meta({ description: "The key of a custom event set up under Programs → Earning rules", example: "review_posted" }),
    occurred_at: instant("occurred_at").optional().meta({ description: "Defaults to now" }),
  })
  .meta({ id: "RecordEventRequest" });

export const EventEarningSchema = z
  .object({
    journal_id: z.string().nullable().meta({ description: "The ledger journal; null when nothing was earned (a cap was reached)" }),
    member_id: z.string(),
    event: z.string(),
    points_earned: z.number().int(),
    capped: z.boolean().meta({ description: "True when a daily, monthly or lifetime cap cut the points" }),
    occurred_at: z.string().meta({ format: "date-time" }),
  })
  .meta({ id: "EventEarning" });

// ---- spend and adjust ---------------------------------------------------------------------------------------

export const SpendPointsBody = z
  .strictObject({
    points: whole("points", 1, MAX_POINTS).meta({ description: "Points to take from the available balance", example: 500 }),
    description: text("description", 200).meta({ description: "Shown to the member in their history", example: "$5 off order #1050" }),
    reference: reference("reference").optional().meta({ description: "Your reference (e.g. a discount code or order id)", example: "DISC-1050" }),
  })
  .meta({ id: "SpendPointsRequest" });

const BalanceSummary = z
  .object({
    available: z.number().int(),
    pending: z.number().int(),
  })
  .meta({ id: "BalanceSummary", description: "The member's balance right after this operation" });

export const SpendSchema = z
  .object({
    journal_id: z.string().meta({ example: "jnl_7v3j2bq2xg5c3p6n5m4k3j2h1a" }),
    member_id: z.string(),
    points: z.number().int().meta({ description: "Points spent", example: 500 }),
    description: z.string(),
    reference: z.string().nullable(),
    balance: BalanceSummary,
  })
  .meta({ id: "PointsSpend" });

export const AdjustPointsBody = z
  .strictObject({
    points: whole("points", -MAX_POINTS, MAX_POINTS)
      .refine((p) => p !== 0, "points must not be zero")
      .meta({ description: "Signed: positive adds a new lot of available points, negative removes available points", example: -25 }),
    reason: text("reason", 200).meta({ description: "Why (shown in the ledger and the audit log)", example: "Goodwill for a late delivery" }),
    note: z
      .string({ error: "note must be a string" })
      .trim()
      .max(2000, "note must be at most 2000 characters")
      .nullable()
      .optional()
      .meta({ description: "Internal note, not shown to the member" }),
  })
  .meta({ id: "AdjustPointsRequest" });

export const AdjustmentSchema = z
  .object({
    journal_id: z.string(),
    member_id: z.string(),
    points: z.number().int().meta({ description: "Signed change", example: -25 }),
    reason: z.string(),
    note: z.string().nullable(),
    balance: BalanceSummary,
  })
  .meta({ id: "PointsAdjustment" });

// ---- balance and ledger -------------------------------------------------------------------------------------

export const PointsBalanceSchema = z
  .object({
    member_id: z.string(),
    available: z.number().int().meta({ description: "Points the member can spend now", example: 1200 }),
    pending: z.number().int().meta({ description: "Earned, waiting out the return window", example: 42 }),
    pending_lots: z
      .array(z.object({ points: z.number().int(), releases_at: z.string().nullable().meta({ format: "date-time" }) }))
      .meta({ description: "Pending points grouped by release date, soonest first (at most 50 dates)" }),
    expiring_next: z
      .object({ points: z.number().int(), at: z.string().meta({ format: "date-time" }) })
      .nullable()
      .meta({ description: "The next expiry, or null when nothing is due to expire" }),
    clawback_debt: z.number().int().meta({ description: "Points owed after a refund of points already spent; settled from future earnings" }),
    lifetime_earned: z.number().int(),
    lifetime_redeemed: z.number().int(),
  })
  .meta({ id: "PointsBalance" });

export function toApiBalance(memberId: string, b: MemberPointsBalance): z.infer<typeof PointsBalanceSchema> {
  return {
    member_id: memberId,
    available: b.available,
    pending: b.pending,
    pending_lots: b.pendingLots.map((l) => ({ points: l.points, releases_at: l.releasesAt ? l.releasesAt.toISOString() : null })),
    expiring_next: b.expiringNext ? { points: b.expiringNext.points, at: b.expiringNext.at.toISOString() } : null,
    clawback_debt: b.clawbackDebt,
    lifetime_earned: b.lifetimeEarned,
    lifetime_redeemed: b.lifetimeRedeemed,
  };
}

export const LedgerLineSchema = z
  .object({
    id: z.string().meta({ description: "Journal id", example: "jnl_7v3j2bq2xg5c3p6n5m4k3j2h1a" }),
    kind: z.enum(["earn", "release", "spend", "expire", "reverse", "restore", "adjust", "forgive"]),
    source: z.string().meta({ example: "order" }),
    description: z.string().meta({ example: "Points for order #1043" }),
    points: z.number().int().meta({ description: "The member's net change (available + pending − new debt)" }),
    available_change: z.number().int(),
    pending_change: z.number().int(),
    debt_change: z.number().int(),
    available_after: z.number().int().meta({ description: "Available points right after this line" }),
    pending_after: z.number().int(),
    order_id: z.string().nullable().meta({ description: "Perennial order id (`id` of the order), when the line belongs to one" }),
    reason: z.string().nullable(),
    note: z.string().nullable(),
    actor_type: z.enum(["staff", "member", "api_key", "system"]),
    actor_id: z.string().nullable(),
    created_at: z.string().meta({ format: "date-time", description: "When the line was recorded" }),
    effective_at: z.string().meta({ format: "date-time", description: "When it happened for the member (an order's points: the order's date)" }),
  })
  .meta({ id: "LedgerLine" });

export function toApiLedgerLine(l: LedgerLine): z.infer<typeof LedgerLineSchema> {
  return {
    id: l.journalId,
    kind: l.kind,
    source: l.source,
    description: l.description,
    points: l.points,
    available_change: l.availableChange,
    pending_change: l.pendingChange,
    debt_change: l.debtChange,
    available_after: l.availableAfter,
    pending_after: l.pendingAfter,
    order_id: l.orderId,
    reason: l.reason,
    note: l.note,
    actor_type: l.actorType as z.infer<typeof LedgerLineSchema>["actor_type"],
    actor_id: l.actorId,
    created_at: new Date(l.createdAt).toISOString(),
    effective_at: new Date(l.effectiveAt).toISOString(),
  };
}

export const LEDGER_DEFAULT_LIMIT = 50;
export const LEDGER_MAX_LIMIT = 200;

export const LedgerQuery = z.object({
  cursor: z.string().max(200, "cursor is not a cursor returned by this API").optional().meta({ description: "`next_cursor` of the previous page" }),
  limit: z.coerce
    .number({ error: "limit must be a number" })
    .int("limit must be a whole number")
    .min(1, "limit must be at least 1")
    .max(LEDGER_MAX_LIMIT, `limit must be at most ${LEDGER_MAX_LIMIT}`)
    .default(LEDGER_DEFAULT_LIMIT)
    .meta({ description: `Page size, 1 to ${LEDGER_MAX_LIMIT}`, example: LEDGER_DEFAULT_LIMIT }),
});

export const LedgerPageSchema = z
  .object({
    data: z.array(LedgerLineSchema).meta({ description: "Newest first" }),
    next_cursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next (older) page; null on the last page" }),
  })
  .meta({ id: "LedgerPage" });
