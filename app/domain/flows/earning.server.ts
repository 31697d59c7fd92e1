import { sql, type RawBuilder } from "kysely";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { DomainError } from "~/lib/errors";
import { minorDigits } from "~/lib/money";
import { earnLocked, findJournalByKey, lockBalance, syncOrderReversal, type EarnResult } from "~/domain/points/ledger.server";
import {
  capWindowStarts,
  eventPoints,
  isBirthdayOn,
  localYear,
  lotExpiresAt,
  orderPoints,
  pendingUntil,
  type EarnedSoFar,
  type EarningRules,
  type PointsBreakdown,
} from "~/domain/points/rules";
import { parseStoredRules } from "~/domain/points/rules.server";
import { combinePercents } from "~/domain/tiers/model";
import { tierBirthdayBonus } from "~/domain/tiers/program.server";
import type { Insertable } from "kysely";
import type { MemberBalance, Order, OrdersTable } from "~db/schema";
import { seam } from "./programs.server";

/**
 * Turning business events into earnings, by the merchant's rules: orders, custom events and the bonuses
 * (sign-up, birthday, profile completed). Each earning has a natural idempotency key (`order:<id>`,
 * `signup:<member>`, `birthday:<member>:<year>` …), so every path is safe to run twice. The programs take part
 * through the event seam (app/domain/flows/programs.server.ts): their multipliers and the holdout are read in the
 * one earning context statement, and they hear `pointsEarned` (orders: `orderRecorded`, from the purchase flow).
 */

export interface EarnOutcome {
  points: number;
  journalId: string | null;
  lotId: string | null;
  /** The new lot (null when nothing was earned, or on a replay). */
  lot: EarnResult["lot"];
  replayed: boolean;
  breakdown: PointsBreakdown | null;
}

const nothing = (breakdown: PointsBreakdown | null = null): EarnOutcome => ({ points: 0, journalId: null, lotId: null, lot: null, replayed: false, breakdown });

/** Points already earned from orders and custom events in the caps' windows (merchant's local day and month). */
async function earnedSoFar(trx: Trx, merchantId: string, memberId: string, rules: EarningRules, at: Date, timezone: string): Promise<EarnedSoFar> {
  if (rules.caps.perDay === null && rules.caps.perMonth === null && rules.caps.lifetime === null) return { day: 0, month: 0, lifetime: 0 };
  const { dayStart, monthStart } = capWindowStarts(at, timezone);
  const row = await trx
    .selectFrom("point_lots")
    .select([
      sql<string>`coalesce(sum(points) filter (where earned_at >= ${dayStart}), 0)`.as("day"),
      sql<string>`coalesce(sum(points) filter (where earned_at >= ${monthStart}), 0)`.as("month"),
      sql<string>`coalesce(sum(points), 0)`.as("lifetime"),
    ])
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .where("source", "in", ["order", "event"])
    .executeTakeFirstOrThrow();
  return { day: Number(row.day), month: Number(row.month), lifetime: Number(row.lifetime) };
}

/** The earning context of one order: the merchant, rules and member, and what every registered program contributes. */
export interface EarningContext extends Record<string, unknown> {
  currency: string;
  timezone: string;
  rules: unknown;
  status: string;
  has_earlier: boolean;
}

/**
 * One round trip for everything an earning needs (this is the hot path of every order): the merchant, rules and
 * member, for an order whether the member has an earlier one (first-order bonus), and the columns the programs
 * registered on the seam (the loyalty holdout arm, the tier and offer multipliers, whether tiers or an open referral
 * exist). `at` is when the earning happened (the order's date); the order need not be inserted yet: `id` is the id it
 * will have. Undefined when the member does not exist.
 */
export async function readEarningContext(
  trx: Trx,
  merchantId: string,
  memberId: string,
  at: Date,
  order?: { id: string },
  insert?: Insertable<OrdersTable>,
): Promise<EarningContext | undefined> {
  const columns: RawBuilder<unknown>[] = [];
  const laterals: RawBuilder<unknown>[] = [];
  seam.programs.forEach((p, i) => {
    if (!p.earning) return;
    for (const [key, expr] of Object.entries(p.earning.columns(merchantId, memberId, at))) columns.push(sql`${expr} as ${sql.ref(`${p.name}_${key}`)}`);
    const lateral = p.earning.lateral?.(merchantId, memberId, at);
    if (!lateral) return;
    laterals.push(sql`left join lateral (${lateral}) ${sql.ref(`p${i}`)} on true`);
    columns.push(sql`${sql.ref(`p${i}`)}.*`);
  });
  // `insert`: the order itself, written by the same statement (its insert is not visible to the reads below, as
  // when it came after them); `order_inserted` says whether it was new.
  const res = await sql<EarningContext>`
    ${insert
      ? sql`with o as (${trx.insertInto("orders").values(insert).onConflict((oc) => oc.columns(["merchant_id", "source", "external_order_id"]).doNothing()).returning("id")}) `
      : sql``}select m.currency, m.timezone, r.rules, mem.status,
      ${order
        ? sql`exists (select 1 from orders o where o.merchant_id = ${merchantId} and o.member_id = ${memberId} and o.id <> ${order.id}
              and (o.occurred_at < ${at} or (o.occurred_at = ${at} and o.id < ${order.id})))`
        : sql`false`} as has_earlier
      ${insert ? sql`, exists (select 1 from o) as order_inserted` : sql``}
      ${sql.join(columns.map((c) => sql`, ${c}`), sql``)}
    from merchants m
    join members mem on mem.merchant_id = m.id and mem.id = ${memberId}
    left join earning_rules r on r.merchant_id = m.id
    ${sql.join(laterals, sql` `)}
    where m.id = ${merchantId}`.execute(trx);
  return res.rows[0];
}

/** The programs' earning multipliers combined (150% × 200% = 300%, rounded down), 100 when none applies. */
function programsPercent(row: EarningContext): number {
  let percent = 100;
  for (const p of seam.programs) if (p.earning?.percent) percent = combinePercents(percent, p.earning.percent(row));
  return percent;
}

/** Whether a program (the loyalty holdout) refuses this member's earning; assigns a holdout arm on first sight. */
async function heldOut(trx: Trx, merchantId: string, memberId: string, row: EarningContext): Promise<boolean> {
  for (const p of seam.programs) if (p.earning?.holdsOut && (await p.earning.holdsOut({ trx, merchantId, memberId }, row))) return true;
  return false;
}

// The rules each merchant's last order was earned by, with the stored JSON they were parsed from: validating the
// document with Zod on every order showed as ≈ 0.3 ms per API order in the accrual profile; comparing its JSON text
// costs far less. Frozen, so nothing can change the shared copy; bounded, evicting the merchant stored longest ago.
const RULES_CACHE_SIZE = 1000;
const rulesCache = new Map<string, { json: string; rules: EarningRules }>();

/** parseStoredRules for the order path, reusing the last parse while the stored document is the same text. */
export function orderRules(merchantId: string, stored: unknown): EarningRules {
  if (stored === null || stored === undefined) return parseStoredRules(merchantId, stored);
  const json = JSON.stringify(stored);
  const hit = rulesCache.get(merchantId);
  if (hit && hit.json === json) return hit.rules;
  const rules = deepFreeze(parseStoredRules(merchantId, stored));
  rulesCache.delete(merchantId);
  if (rulesCache.size >= RULES_CACHE_SIZE) rulesCache.delete(rulesCache.keys().next().value!);
  rulesCache.set(merchantId, { json, rules });
  return rules;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Earns the points a just-recorded order is worth (journal key `order:<id>`), for a caller that holds the member's
 * balance lock and read the earning context (`readEarningContext`) — the purchase flow. Orders of a deleted member or
 * a held-out one earn nothing; the currency rule was decided by the purchase flow. Refund and dispute facts already
 * on the order (they can arrive first from Stripe) are applied right after.
 */
export async function earnForNewOrder(trx: Trx, merchantId: string, order: Order, balance: MemberBalance, ctx: EarningContext, actor: Actor): Promise<EarnOutcome> {
  if (await heldOut(trx, merchantId, order.member_id, ctx)) return nothing();
  if (ctx.status === "deleted") return nothing();
  const rules = orderRules(merchantId, ctx.rules);
  const soFar = await earnedSoFar(trx, merchantId, order.member_id, rules, order.occurred_at, ctx.timezone);
  const breakdown = pointsOrRefuse(() =>
    orderPoints(rules, {
      amountMinor: order.amount_minor,
      currencyDigits: minorDigits(order.currency),
      occurredAt: order.occurred_at,
      isFirstOrder: !ctx.has_earlier,
      tierPercent: programsPercent(ctx),
      earnedSoFar: soFar,
    }),
  );
  if (breakdown.points <= 0) return nothing(breakdown);
  const earned = await earnLocked(trx, merchantId, balance, orderEarning(order, breakdown.points, rules, { breakdown }, actor));
  if (order.refunded_minor > 0 || order.dispute_status !== "none") {
    await syncOrderReversal(trx, merchantId, order, "catch-up", order.dispute_status === "withdrawn" ? "dispute" : "refund", actor);
  }
  return { points: earned.points, journalId: earned.journalId, lotId: earned.lotId, lot: earned.lot, replayed: false, breakdown };
}

/** The member's context for a non-order earning, or not_found. */
async function memberContext(trx: Trx, merchantId: string, memberId: string, at: Date): Promise<EarningContext> {
  const ctx = await readEarningContext(trx, merchantId, memberId, at);
  if (!ctx) throw new DomainError("not_found", "Member not found", { field: "member" });
  return ctx;
}

/** Tells the programs (tiers) about points credited other than for an order, in the caller's transaction. */
async function publishEarned(trx: Trx, merchantId: string, memberId: string, earned: { points: number; journalId: string }, source: string, actor: Actor, ctx: EarningContext) {
  await seam.publish({ trx, merchantId, actor, earningRow: ctx }, { type: "pointsEarned", memberId, points: earned.points, source, journalId: earned.journalId, at: now() });
}

/** Points for a custom event (`review_posted` …) as configured; 422 `unknown_event` for keys the merchant has not set up. */
export async function earnForEvent(
  trx: Trx,
  merchantId: string,
  input: { memberId: string; event: string; occurredAt?: Date; idempotencyKey: string; actor: Actor },
): Promise<EarnOutcome> {
  const balance = await lockBalance(trx, merchantId, input.memberId);
  const key = `event:${input.idempotencyKey}`;
  const prior = await findJournalByKey(trx, merchantId, key);
  if (prior) {
    if (prior.member_id !== input.memberId) throw new DomainError("idempotency_conflict", "This idempotency key was already used for another member");
    return { points: prior.points, journalId: prior.id, lotId: null, lot: null, replayed: true, breakdown: null };
  }
  const at = input.occurredAt ?? now();
  const ctx = await memberContext(trx, merchantId, input.memberId, at);
  // Loyalty holdout (issue 6): held-out members earn nothing for events either.
  if (await heldOut(trx, merchantId, input.memberId, ctx)) return nothing();
  const rules = parseStoredRules(merchantId, ctx.rules);
  const breakdown = eventPoints(rules, input.event, {
    occurredAt: at,
    tierPercent: programsPercent(ctx),
    earnedSoFar: await earnedSoFar(trx, merchantId, input.memberId, rules, at, ctx.timezone),
  });
  if (!breakdown) {
    throw new DomainError("unknown_event", `No earning rule for the event "${input.event}"; add it under Programs → Earning rules`, { field: "event" });
  }
  if (breakdown.points <= 0) return nothing(breakdown);
  const label = rules.customEvents.find((e) => e.key === input.event)?.label ?? input.event;
  const earned = await earnLocked(trx, merchantId, balance, {
    memberId: input.memberId,
    points: breakdown.points,
    source: "event",
    idempotencyKey: key,
    description: `Points for ${label}`,
    earnedAt: at,
    pendingUntil: null,
    expiresAt: lotExpiresAt(rules, at),
    metadata: { event: input.event, breakdown },
    actor: input.actor,
  });
  // Tiers: points earned count toward a points-based tier at once.
  await publishEarned(trx, merchantId, input.memberId, earned, "event", input.actor, ctx);
  return { points: earned.points, journalId: earned.journalId, lotId: earned.lotId, lot: earned.lot, replayed: false, breakdown };
}

/** The rule math refuses results beyond exact integers (a huge order in a zero-decimal currency): a 422, not a 500. */
export function pointsOrRefuse<T>(compute: () => T): T {
  try {
    return compute();
  } catch (err) {
    if (err instanceof RangeError) {
      throw new DomainError("amount_too_large", "This amount would earn more points than the ledger can hold", { field: "amount_minor" });
    }
    throw err;
  }
}

type BonusKind = "signup" | "birthday" | "profile";

async function awardBonus(trx: Trx, merchantId: string, memberId: string, kind: BonusKind, key: string, actor: Actor, at = now()): Promise<EarnOutcome> {
  const balance = await lockBalance(trx, merchantId, memberId);
  const prior = await findJournalByKey(trx, merchantId, key);
  if (prior) return { points: prior.points, journalId: prior.id, lotId: null, lot: null, replayed: true, breakdown: null };
  const ctx = await memberContext(trx, merchantId, memberId, at);
  // Loyalty holdout (issue 6): no sign-up, profile or birthday bonus for held-out members.
  if (await heldOut(trx, merchantId, memberId, ctx)) return nothing();
  const rules = parseStoredRules(merchantId, ctx.rules);
  // Tiers: the member's tier adds its own birthday bonus to the program's base one.
  const points =
    kind === "signup" ? rules.bonuses.signup : kind === "birthday" ? rules.bonuses.birthday + (await tierBirthdayBonus(trx, merchantId, memberId)) : rules.bonuses.profileCompleted;
  if (points <= 0) return nothing();
  const description = kind === "signup" ? "Welcome bonus for joining" : kind === "birthday" ? "Happy birthday bonus" : "Bonus for completing your profile";
  const earned = await earnLocked(trx, merchantId, balance, {
    memberId,
    points,
    source: kind,
    idempotencyKey: key,
    description,
    earnedAt: at,
    expiresAt: lotExpiresAt(rules, at),
    actor,
  });
  await publishEarned(trx, merchantId, memberId, earned, kind, actor, ctx);
  return { points: earned.points, journalId: earned.journalId, lotId: earned.lotId, lot: earned.lot, replayed: false, breakdown: null };
}

/** Once per member, when they join (portal sign-up, API or Stripe creation; not for historical CSV imports). */
export function awardSignupBonus(trx: Trx, merchantId: string, memberId: string, actor: Actor) {
  return awardBonus(trx, merchantId, memberId, "signup", `signup:${memberId}`, actor);
}

/** Once per member, the first time their profile has a name and a birthday. */
export async function awardProfileBonusIfComplete(trx: Trx, merchantId: string, member: { id: string; name: string | null; birthday: string | null }, actor: Actor) {
  if (!member.name || !member.birthday) return nothing();
  return awardBonus(trx, merchantId, member.id, "profile", `profile:${member.id}`, actor);
}

/** Once per member per (local) year, on their birthday in the merchant's time zone. Returns null when it is not their birthday. */
export async function awardBirthdayBonus(trx: Trx, merchantId: string, member: { id: string; birthday: string | null }, at = now()) {
  if (!member.birthday) return null;
  const merchant = await trx.selectFrom("merchants").select("timezone").where("id", "=", merchantId).executeTakeFirstOrThrow();
  if (!isBirthdayOn(member.birthday, at, merchant.timezone)) return null;
  const year = localYear(at, merchant.timezone);
  return awardBonus(trx, merchantId, member.id, "birthday", `birthday:${member.id}:${year}`, { type: "system", id: "birthday" }, at);
}

/** The ledger input of an order's points: one shape for the live path and the set-based historical one. */
export function orderEarning(order: Order, points: number, rules: EarningRules, metadata: Record<string, unknown>, actor: Actor) {
  return {
    memberId: order.member_id,
    points,
    source: "order" as const,
    idempotencyKey: `order:${order.id}`,
    description: `Points for order #${order.external_order_id}`,
    orderId: order.id,
    earnedAt: order.occurred_at,
    pendingUntil: pendingUntil(rules, order.occurred_at),
    expiresAt: lotExpiresAt(rules, order.occurred_at),
    metadata,
    actor,
  };
}
