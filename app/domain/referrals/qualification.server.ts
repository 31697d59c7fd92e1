import { sql, type Selectable } from "kysely";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { lockBalance } from "~/domain/points/ledger.server";
import { DomainError } from "~/lib/errors";
import type { Order, ReferralReviewDecision, ReferralsTable } from "~db/schema";
import { closeReview, sameCardAsReferrer } from "./fraud.server";
import type { GrantReward } from "./ports.server";
import { getReferralSettings } from "./program.server";
import { grantPendingRewards, payQualifiedReferral, reversePayouts } from "./rewards.server";
import type { QualifyingEvent, ReferralSettings } from "./settings";

/**
 * When a referral qualifies, and what happens to it afterwards:
 *   pending ──qualifying event──▶ qualified (rewards paid, points pending) ──hold period over──▶ rewarded
 *   pending/qualified ──refund of the qualifying order inside the hold period──▶ void (rewards reversed)
 *   flagged: waits for a review; approve → back to pending (and qualified at once if the event already happened)
 *   rejected: fraud rule or staff decision, never pays.
 * Lock order everywhere: the friend's points balance, then the referral row (the order paths already hold the
 * former), so 50 concurrent qualifying events for one friend serialise and pay once (R3).
 * Every path that can reach a catalog grant (qualifying with no hold period, release, review) takes `grant`, the
 * rewards program's grantReward, from its caller: the flow flows/referral-rewards.server.ts (programs apart).
 */

type Referral = Selectable<ReferralsTable>;

const DAY_MS = 86_400_000;

async function lockReferral(trx: Trx, merchantId: string, friendId: string): Promise<Referral | undefined> {
  return trx.selectFrom("referrals").selectAll().where("merchant_id", "=", merchantId).where("member_id", "=", friendId).forUpdate().executeTakeFirst();
}

/** The order that meets the qualifying event, or null (signup: the referral itself qualifies, returned as "signup"). */
async function findQualifyingOrder(trx: Trx, merchantId: string, referral: Referral, ev: QualifyingEvent): Promise<Order | "signup" | null> {
  if (ev.kind === "signup") return "signup";
  const orders = await trx
    .selectFrom("orders")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", referral.member_id)
    // Imported (and seeded) orders are history: they never qualify a referral (PURCHASE_POLICY.import), neither as
    // they arrive nor later as the "first order" a live order's evaluation would otherwise find.
    .where("source", "not in", ["import", "seed"])
    .where(sql<boolean>`refunded_minor < amount_minor`)
    .orderBy("occurred_at")
    .orderBy("id")
    .limit(ev.kind === "n_orders_within_days" ? ev.orders : 200)
    .execute();
  if (ev.kind === "first_order") return orders[0] ?? null;
  if (ev.kind === "first_order_above") return orders.find((o) => o.amount_minor - o.refunded_minor >= ev.minAmountMinor) ?? null;
  const deadline = referral.created_at.getTime() + ev.days * DAY_MS;
  const within = orders.filter((o) => o.occurred_at.getTime() <= deadline);
  return within.length >= ev.orders ? within[ev.orders - 1]! : null;
}

async function setStatus(trx: Trx, merchantId: string, referralId: string, patch: Partial<Omit<Referral, "merchant_id" | "id">>): Promise<Referral> {
  return trx
    .updateTable("referrals")
    .set({ ...patch, updated_at: now() })
    .where("merchant_id", "=", merchantId)
    .where("id", "=", referralId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Turns a locked, pending referral whose event happened into a qualified one and pays it. */
async function qualify(trx: Trx, merchantId: string, referral: Referral, orderId: string | null, settings: ReferralSettings, actor: Actor, grant: GrantReward): Promise<Referral> {
  if (orderId && (await sameCardAsReferrer(trx, merchantId, referral.referrer_id, orderId))) {
    const rejected = await setStatus(trx, merchantId, referral.id, { status: "rejected", reasons: [...new Set([...referral.reasons, "same_card"])], qualifying_order_id: orderId });
    await recordAudit(trx, merchantId, actor, "referrals.rejected", { type: "referral", id: referral.id }, { after: { reasons: rejected.reasons } });
    return rejected;
  }
  const at = now();
  const holdUntil = new Date(at.getTime() + settings.holdDays * DAY_MS);
  let q = await setStatus(trx, merchantId, referral.id, { status: "qualified", qualifying_order_id: orderId, qualified_at: at, hold_until: holdUntil });
  await payQualifiedReferral(trx, merchantId, q, settings);
  if (settings.holdDays === 0) q = await release(trx, merchantId, q, grant);
  await recordAudit(trx, merchantId, actor, "referrals.qualified", { type: "referral", id: referral.id }, { after: { orderId, holdUntil } });
  return q;
}

async function release(trx: Trx, merchantId: string, referral: Referral, grant: GrantReward): Promise<Referral> {
  await grantPendingRewards(trx, merchantId, referral, grant);
  return setStatus(trx, merchantId, referral.id, { status: "rewarded", rewarded_at: now() });
}

/**
 * Checks the friend's referral against the merchant's qualifying event and qualifies it when met. Safe to call any
 * number of times, concurrently: the referral row lock and the status make it pay once.
 */
export async function evaluateReferral(trx: Trx, merchantId: string, friendId: string, actor: Actor, grant: GrantReward): Promise<Referral | null> {
  const peek = await trx.selectFrom("referrals").select("status").where("merchant_id", "=", merchantId).where("member_id", "=", friendId).executeTakeFirst();
  if (!peek || (peek.status !== "pending" && peek.status !== "flagged")) return null;
  await lockBalance(trx, merchantId, friendId);
  const referral = await lockReferral(trx, merchantId, friendId);
  if (!referral || (referral.status !== "pending" && referral.status !== "flagged")) return referral ?? null;
  const settings = await getReferralSettings(trx, merchantId);
  const found = await findQualifyingOrder(trx, merchantId, referral, settings.qualifyingEvent);
  if (!found) return referral;
  const orderId = found === "signup" ? null : found.id;
  if (referral.status === "flagged") {
    // A flagged referral pays nothing until approved; remember that the event happened.
    if (referral.qualified_at) return referral;
    return setStatus(trx, merchantId, referral.id, { qualifying_order_id: orderId, qualified_at: now() });
  }
  return qualify(trx, merchantId, referral, orderId, settings, actor, grant);
}

/** Hook for the order paths (API, Stripe, import): runs after a new order is recorded, in the same transaction. */
export async function onOrderRecorded(trx: Trx, merchantId: string, order: Pick<Order, "id" | "member_id">, actor: Actor, grant: GrantReward): Promise<void> {
  await evaluateReferral(trx, merchantId, order.member_id, actor, grant);
}

/**
 * Hook for refunds (API and Stripe), after the order's refunded total changed, in the same transaction (the order
 * path holds the member's balance lock). A refund of the qualifying order inside the hold period voids the referral
 * and reverses its rewards (R4); after the hold period nothing changes.
 */
export async function onOrderRefunded(trx: Trx, merchantId: string, order: Pick<Order, "id" | "member_id" | "refunded_minor">, actor: Actor): Promise<void> {
  if (order.refunded_minor <= 0) return;
  const peek = await trx
    .selectFrom("referrals")
    .select("id")
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", order.member_id)
    .where("qualifying_order_id", "=", order.id)
    .where("status", "in", ["qualified", "flagged"])
    .executeTakeFirst();
  if (!peek) return;
  await lockBalance(trx, merchantId, order.member_id);
  const referral = await lockReferral(trx, merchantId, order.member_id);
  if (!referral || referral.qualifying_order_id !== order.id) return;
  const at = now();
  const insideHold = referral.status === "flagged" || (referral.status === "qualified" && referral.hold_until !== null && at < referral.hold_until);
  if (!insideHold) return;
  const { reversed } = await reversePayouts(trx, merchantId, referral, actor);
  await setStatus(trx, merchantId, referral.id, { status: "void", voided_at: at, reasons: [...new Set([...referral.reasons, "refunded"])] });
  await trx
    .updateTable("referral_reviews")
    .set({ status: "decided", decision: "reject", note: "Qualifying order refunded", decided_by: null, decided_at: at })
    .where("merchant_id", "=", merchantId)
    .where("referral_id", "=", referral.id)
    .where("status", "=", "open")
    .execute();
  await recordAudit(trx, merchantId, actor, "referrals.voided", { type: "referral", id: referral.id }, { after: { orderId: order.id, payoutsReversed: reversed } });
}

/** The hold period is over: catalog rewards are granted and the referral is final. Idempotent. */
export async function releaseReferral(trx: Trx, merchantId: string, referralId: string, grant: GrantReward): Promise<boolean> {
  const peek = await trx.selectFrom("referrals").select("member_id").where("merchant_id", "=", merchantId).where("id", "=", referralId).executeTakeFirst();
  if (!peek) return false;
  await lockBalance(trx, merchantId, peek.member_id);
  const referral = await lockReferral(trx, merchantId, peek.member_id);
  if (!referral || referral.status !== "qualified" || !referral.hold_until || referral.hold_until > now()) return false;
  await release(trx, merchantId, referral, grant);
  return true;
}

/**
 * A staff decision on an open review item (audited): approve → the referral continues (and qualifies now if its event
 * already happened); reject → never pays; block_referrer → rejected and the referrer's links stop attributing.
 */
export async function decideReview(
  trx: Trx,
  merchantId: string,
  reviewId: string,
  input: { decision: ReferralReviewDecision; note?: string | null },
  actor: Actor,
  grant: GrantReward,
): Promise<Referral> {
  const peek = await trx
    .selectFrom("referral_reviews as v")
    .innerJoin("referrals as r", (j) => j.onRef("r.merchant_id", "=", "v.merchant_id").onRef("r.id", "=", "v.referral_id"))
    .select("r.member_id")
    .where("v.merchant_id", "=", merchantId)
    .where("v.id", "=", reviewId)
    .executeTakeFirst();
  if (!peek) throw new DomainError("not_found", "Review item not found", { field: "review_id" });
  await lockBalance(trx, merchantId, peek.member_id);
  const referral = (await lockReferral(trx, merchantId, peek.member_id))!;
  await closeReview(trx, merchantId, reviewId, input, actor);
  if (input.decision !== "approve") {
    // Review items are open only while the referral is flagged, and flagged referrals have paid nothing.
    return setStatus(trx, merchantId, referral.id, { status: "rejected", reasons: [...new Set([...referral.reasons, "staff"])] });
  }
  if (referral.status !== "flagged") return referral;
  const pending = await setStatus(trx, merchantId, referral.id, { status: "pending" });
  const settings = await getReferralSettings(trx, merchantId);
  const found = await findQualifyingOrder(trx, merchantId, pending, settings.qualifyingEvent);
  if (!found) return pending;
  return qualify(trx, merchantId, pending, found === "signup" ? null : found.id, settings, actor, grant);
}
