import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { DomainError } from "~/lib/errors";
import { minorDigits } from "~/lib/money";
import { earnLocked, findJournalByKey, lockBalance, syncOrderReversal } from "./ledger.server";
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
} from "./rules";
import { getEarningRules, parseStoredRules } from "./rules.server";
import { heldOutFromRow, isHeldOutOfProgram, programHoldoutSql, type ProgramHoldoutRow } from "~/domain/experiments/assignment.server";
import { combinePercents } from "~/domain/tiers/model";
import { afterQualifyingActivity, earningContextColumns, tierBirthdayBonus, tierEarningPercent } from "./tier-hook.server";

/**
 * Turning business events into earnings, by the merchant's rules: orders, custom events and the bonuses
 * (sign-up, birthday, profile completed). Each earning has a natural idempotency key (`order:<id>`,
 * `signup:<member>`, `birthday:<member>:<year>` …), so every path is safe to run twice.
 */

export interface EarnOutcome {
  points: number;
  journalId: string | null;
  lotId: string | null;
  replayed: boolean;
  breakdown: PointsBreakdown | null;
}

const nothing = (breakdown: PointsBreakdown | null = null): EarnOutcome => ({ points: 0, journalId: null, lotId: null, replayed: false, breakdown });

async function merchantOf(trx: Trx, merchantId: string) {
  return trx.selectFrom("merchants").select(["currency", "timezone"]).where("id", "=", merchantId).executeTakeFirstOrThrow();
}

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

/**
 * Earns the points an existing order is worth (once: key `order:<id>`). Orders in another currency than the
 * merchant's, below the minimum, or of a deleted member earn nothing. Refund and dispute facts already on the
 * order (they can arrive first from Stripe) are applied right after.
 */
export async function earnForOrder(trx: Trx, merchantId: string, input: { orderId: string; actor: Actor }): Promise<EarnOutcome> {
  const order = await trx.selectFrom("orders").selectAll().where("merchant_id", "=", merchantId).where("id", "=", input.orderId).executeTakeFirst();
  if (!order) throw new DomainError("not_found", "Order not found", { field: "order_id" });
  const balance = await lockBalance(trx, merchantId, order.member_id);
  const key = `order:${order.id}`;
  const prior = await findJournalByKey(trx, merchantId, key);
  if (prior) {
    const lot = await trx.selectFrom("point_lots").select("id").where("merchant_id", "=", merchantId).where("journal_id", "=", prior.id).executeTakeFirst();
    return { points: prior.points, journalId: prior.id, lotId: lot?.id ?? null, replayed: true, breakdown: null };
  }
  // One round trip for everything the rules need (this is the hot path of every order): the merchant, rules and
  // member, the loyalty holdout arm, the tier and offer multipliers and whether the merchant has tiers at all.
  // The holdout arm (hx) is checked before the tier percent is used, so the percent need not check it again.
  const tier = earningContextColumns(merchantId, order.member_id, order.occurred_at, { holdoutCheckedByCaller: true });
  const ctx = await sql<
    { currency: string; timezone: string; rules: unknown; status: string; has_earlier: boolean; tier_percent: number; offer_percent: number; tiers_relevant: boolean } & ProgramHoldoutRow
  >`
    select m.currency, m.timezone, r.rules, mem.status,
      exists (select 1 from orders o where o.merchant_id = ${merchantId} and o.member_id = ${order.member_id} and o.id <> ${order.id}
              and (o.occurred_at < ${order.occurred_at} or (o.occurred_at = ${order.occurred_at} and o.id < ${order.id}))) as has_earlier,
      ${tier.tierPercent} as tier_percent, ${tier.offerPercent} as offer_percent, ${tier.tiersRelevant} as tiers_relevant,
      hx.*
    from merchants m
    join members mem on mem.merchant_id = m.id and mem.id = ${order.member_id}
    left join earning_rules r on r.merchant_id = m.id
    left join lateral (${programHoldoutSql(merchantId, "loyalty_program", order.member_id)}) hx on true
    where m.id = ${merchantId}`.execute(trx);
  const merchant = ctx.rows[0]!;
  // Loyalty holdout (issue 6): members held out of the program earn nothing; assigned on first sight.
  if (await heldOutFromRow(trx, merchantId, order.member_id, merchant)) return nothing();
  if (order.currency !== merchant.currency.trim()) return nothing();
  if (merchant.status === "deleted") return nothing();
  const rules = parseStoredRules(merchantId, merchant.rules);
  const tierPercent = combinePercents(merchant.tier_percent, merchant.offer_percent);
  const tiers = { tiersRelevant: merchant.tiers_relevant };
  const soFar = await earnedSoFar(trx, merchantId, order.member_id, rules, order.occurred_at, merchant.timezone);
  const breakdown = pointsOrRefuse(() => orderPoints(rules, {
    amountMinor: order.amount_minor,
    currencyDigits: minorDigits(order.currency),
    occurredAt: order.occurred_at,
    isFirstOrder: !merchant.has_earlier,
    tierPercent,
    earnedSoFar: soFar,
  }));
  if (breakdown.points <= 0) {
    // Tiers: an order below the points minimum still counts as qualifying spend.
    await afterQualifyingActivity(trx, merchantId, order.member_id, now(), tiers);
    return nothing(breakdown);
  }

  const earned = await earnLocked(trx, merchantId, balance, {
    memberId: order.member_id,
    points: breakdown.points,
    source: "order",
    idempotencyKey: key,
    description: `Points for order #${order.external_order_id}`,
    orderId: order.id,
    earnedAt: order.occurred_at,
    pendingUntil: pendingUntil(rules, order.occurred_at),
    expiresAt: lotExpiresAt(rules, order.occurred_at),
    metadata: { breakdown },
    actor: input.actor,
  });
  if (order.refunded_minor > 0 || order.dispute_status !== "none") {
    await syncOrderReversal(trx, merchantId, order, "catch-up", order.dispute_status === "withdrawn" ? "dispute" : "refund", input.actor);
  }
  // Tiers: a threshold crossed by this order upgrades the member at once.
  await afterQualifyingActivity(trx, merchantId, order.member_id, now(), tiers);
  return { points: earned.points, journalId: earned.journalId, lotId: earned.lotId, replayed: false, breakdown };
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
    return { points: prior.points, journalId: prior.id, lotId: null, replayed: true, breakdown: null };
  }
  // Loyalty holdout (issue 6): held-out members earn nothing for events either.
  if (await isHeldOutOfProgram(trx, merchantId, "loyalty_program", input.memberId)) return nothing();
  const rules = await getEarningRules(trx, merchantId);
  const merchant = await merchantOf(trx, merchantId);
  const at = input.occurredAt ?? now();
  const breakdown = eventPoints(rules, input.event, {
    occurredAt: at,
    tierPercent: await tierEarningPercent(trx, merchantId, input.memberId, at),
    earnedSoFar: await earnedSoFar(trx, merchantId, input.memberId, rules, at, merchant.timezone),
  });
  if (!breakdown) {
    throw new DomainError("unknown_event", `No earning rule for the event "${input.event}"; add it under Programs → Earning rules`, {
      status: 422,
      field: "event",
    });
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
  await afterQualifyingActivity(trx, merchantId, input.memberId, now());
  return { points: earned.points, journalId: earned.journalId, lotId: earned.lotId, replayed: false, breakdown };
}

/** The rule math refuses results beyond exact integers (a huge order in a zero-decimal currency): a 422, not a 500. */
function pointsOrRefuse<T>(compute: () => T): T {
  try {
    return compute();
  } catch (err) {
    if (err instanceof RangeError) {
      throw new DomainError("amount_too_large", "This amount would earn more points than the ledger can hold", { status: 422, field: "amount_minor" });
    }
    throw err;
  }
}

type BonusKind = "signup" | "birthday" | "profile";

async function awardBonus(trx: Trx, merchantId: string, memberId: string, kind: BonusKind, key: string, actor: Actor, at = now()): Promise<EarnOutcome> {
  const balance = await lockBalance(trx, merchantId, memberId);
  const prior = await findJournalByKey(trx, merchantId, key);
  if (prior) return { points: prior.points, journalId: prior.id, lotId: null, replayed: true, breakdown: null };
  // Loyalty holdout (issue 6): no sign-up, profile or birthday bonus for held-out members.
  if (await isHeldOutOfProgram(trx, merchantId, "loyalty_program", memberId)) return nothing();
  const rules = await getEarningRules(trx, merchantId);
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
  await afterQualifyingActivity(trx, merchantId, memberId, now());
  return { points: earned.points, journalId: earned.journalId, lotId: earned.lotId, replayed: false, breakdown: null };
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
  const merchant = await merchantOf(trx, merchantId);
  if (!isBirthdayOn(member.birthday, at, merchant.timezone)) return null;
  const year = localYear(at, merchant.timezone);
  return awardBonus(trx, merchantId, member.id, "birthday", `birthday:${member.id}:${year}`, { type: "system", id: "birthday" }, at);
}
