import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { DomainError } from "~/lib/errors";
import { newId } from "~/lib/ids";
import type { Order, OrderSource } from "~db/schema";
import { earnForOrder, type EarnOutcome } from "./earning.server";
import { findJournalByKey, lockBalance, syncOrderReversal } from "./ledger.server";
import { onOrderRecorded, onOrderRefunded } from "~/domain/referrals/qualification.server";
import { afterQualifyingActivity } from "./tier-hook.server";

/**
 * The order stream: every purchase Perennial learns of (API, Stripe, CSV import) is one `orders` row, unique per
 * (merchant, source, merchant order id); refunds and disputes are facts on the order that the ledger follows.
 */

export interface RecordOrderInput {
  memberId: string;
  externalOrderId: string;
  source: Exclude<OrderSource, "seed">;
  amountMinor: number;
  currency: string;
  occurredAt: Date;
  stripePaymentKey?: string | null;
  cardFingerprint?: string | null;
  awardPoints: boolean;
  actor: Actor;
}

export interface RecordOrderResult {
  order: Order;
  created: boolean;
  points: number;
  journalId: string | null;
  earn: EarnOutcome | null;
}

const orderConflict = () =>
  new DomainError("order_conflict", "This order id was already recorded with a different member, amount, currency or date", {
    status: 409,
    field: "order_id",
  });

/**
 * Records an order once and earns its points. The same order again (a retry) returns the first result; the same
 * order id with different facts is a 409 rather than a silent overwrite.
 */
export async function recordOrder(trx: Trx, merchantId: string, input: RecordOrderInput): Promise<RecordOrderResult> {
  // The member's lock before the order row: concurrent orders of one member then insert one after the other, so an
  // experiment assignment made while earning the first (first sight of a holdout) is committed before the second
  // order's trigger looks for the member's experiment facts (experiment_member_facts), and neither order is missed.
  await lockBalance(trx, merchantId, input.memberId);
  const inserted = await trx
    .insertInto("orders")
    .values({
      merchant_id: merchantId,
      id: newId("order"),
      member_id: input.memberId,
      source: input.source,
      external_order_id: input.externalOrderId,
      amount_minor: input.amountMinor,
      currency: input.currency,
      occurred_at: input.occurredAt,
      stripe_payment_key: input.stripePaymentKey ?? null,
      card_fingerprint: input.cardFingerprint ?? null,
      created_at: now(),
    })
    .onConflict((oc) => oc.columns(["merchant_id", "source", "external_order_id"]).doNothing())
    .returningAll()
    .executeTakeFirst();
  const order =
    inserted ??
    (await trx
      .selectFrom("orders")
      .selectAll()
      .where("merchant_id", "=", merchantId)
      .where("source", "=", input.source)
      .where("external_order_id", "=", input.externalOrderId)
      .executeTakeFirstOrThrow());
  if (!inserted) {
    const same =
      order.member_id === input.memberId &&
      order.amount_minor === input.amountMinor &&
      order.currency === input.currency &&
      order.occurred_at.getTime() === input.occurredAt.getTime();
    if (!same) throw orderConflict();
  }
  if (!inserted) {
    // A retry: the order earned (or did not) when it was first recorded, in that same transaction. Re-running the
    // rules now could award points the first attempt rightly did not (a cap since lifted, a changed minimum).
    const prior = await findJournalByKey(trx, merchantId, `order:${order.id}`);
    return { order, created: false, points: prior?.points ?? 0, journalId: prior?.id ?? null, earn: null };
  }
  const earn = input.awardPoints ? await earnForOrder(trx, merchantId, { orderId: order.id, actor: input.actor }) : null;
  // Tiers: earnForOrder re-evaluates the tier; an order recorded without points still counts as spend.
  if (!input.awardPoints) await afterQualifyingActivity(trx, merchantId, input.memberId, now());
  // Referrals: the friend's qualifying event (issue 5).
  await onOrderRecorded(trx, merchantId, order, input.actor);
  return { order, created: true, points: earn?.points ?? 0, journalId: earn?.journalId ?? null, earn };
}

export async function findOrder(trx: Trx, merchantId: string, by: { id?: string; source?: OrderSource; externalOrderId?: string }) {
  let q = trx.selectFrom("orders").selectAll().where("merchant_id", "=", merchantId);
  if (by.id) q = q.where("id", "=", by.id);
  else if (by.externalOrderId !== undefined) {
    q = q.where("external_order_id", "=", by.externalOrderId);
    if (by.source) q = q.where("source", "=", by.source);
  } else return undefined;
  return q.executeTakeFirst();
}

/** Locks the order's member, then re-reads the order (its refund/dispute facts change only under that lock). */
async function lockOrder(trx: Trx, merchantId: string, orderId: string): Promise<Order> {
  const peek = await trx.selectFrom("orders").select("member_id").where("merchant_id", "=", merchantId).where("id", "=", orderId).executeTakeFirst();
  if (!peek) throw new DomainError("not_found", "Order not found", { field: "order_id" });
  await lockBalance(trx, merchantId, peek.member_id);
  return trx.selectFrom("orders").selectAll().where("merchant_id", "=", merchantId).where("id", "=", orderId).executeTakeFirstOrThrow();
}

export interface RefundResult {
  refundId: string;
  orderId: string;
  amountMinor: number;
  refundedTotalMinor: number;
  pointsReversed: number;
  replayed: boolean;
}

/**
 * One refund (API): amounts accumulate per order and may never exceed the order; the points reversed follow the
 * cumulative refunded share. The same refund id again is a replay; with another amount it is a 409.
 */
export async function recordRefund(
  trx: Trx,
  merchantId: string,
  input: { orderId: string; externalRefundId: string; amountMinor: number; actor: Actor },
): Promise<RefundResult> {
  const order = await lockOrder(trx, merchantId, input.orderId);
  const existing = await trx
    .selectFrom("order_refunds")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("order_id", "=", order.id)
    .where("external_refund_id", "=", input.externalRefundId)
    .executeTakeFirst();
  if (existing) {
    if (existing.amount_minor !== input.amountMinor) {
      throw new DomainError("refund_conflict", "This refund id was already recorded with a different amount", { status: 409, field: "refund_id" });
    }
    return {
      refundId: existing.id,
      orderId: order.id,
      amountMinor: existing.amount_minor,
      refundedTotalMinor: order.refunded_minor,
      pointsReversed: 0,
      replayed: true,
    };
  }
  const total = order.refunded_minor + input.amountMinor;
  if (total > order.amount_minor) {
    throw new DomainError(
      "refund_exceeds_order",
      `Refunds would total ${total} but the order is ${order.amount_minor} (minor units); ${order.amount_minor - order.refunded_minor} can still be refunded`,
      { status: 422, field: "amount_minor" },
    );
  }
  const refundId = newId("refund");
  await trx
    .insertInto("order_refunds")
    .values({
      merchant_id: merchantId,
      id: refundId,
      order_id: order.id,
      external_refund_id: input.externalRefundId,
      amount_minor: input.amountMinor,
      created_at: now(),
    })
    .execute();
  const updated = await trx
    .updateTable("orders")
    .set({ refunded_minor: total })
    .where("merchant_id", "=", merchantId)
    .where("id", "=", order.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const sync = await syncOrderReversal(trx, merchantId, updated, `refund:${refundId}`, "refund", input.actor);
  await onOrderRefunded(trx, merchantId, updated, input.actor);
  return { refundId, orderId: order.id, amountMinor: input.amountMinor, refundedTotalMinor: total, pointsReversed: sync.pointsReversed, replayed: false };
}

/**
 * Stripe's refunds are cumulative (`charge.amount_refunded`): the order keeps the largest total seen, so a late or
 * repeated event can never lower it, and the ledger follows the new total.
 */
export async function setOrderRefundedTotal(
  trx: Trx,
  merchantId: string,
  input: { orderId: string; refundedMinor: number; causeKey: string; actor: Actor },
): Promise<{ pointsReversed: number }> {
  const order = await lockOrder(trx, merchantId, input.orderId);
  const total = Math.min(order.amount_minor, Math.max(order.refunded_minor, input.refundedMinor));
  const updated =
    total === order.refunded_minor
      ? order
      : await trx.updateTable("orders").set({ refunded_minor: total }).where("merchant_id", "=", merchantId).where("id", "=", order.id).returningAll().executeTakeFirstOrThrow();
  const sync = await syncOrderReversal(trx, merchantId, updated, input.causeKey, "refund", input.actor);
  await onOrderRefunded(trx, merchantId, updated, input.actor);
  return { pointsReversed: sync.pointsReversed };
}

/**
 * Dispute facts: funds withdrawn reverses the order's points once; reinstated restores them once. Reinstated is
 * final — a withdrawal delivered after it (out of order) changes nothing.
 */
export async function setOrderDisputeStatus(
  trx: Trx,
  merchantId: string,
  input: { orderId: string; status: "withdrawn" | "reinstated"; causeKey: string; actor: Actor },
): Promise<{ pointsReversed: number; pointsRestored: number }> {
  const order = await lockOrder(trx, merchantId, input.orderId);
  const next = order.dispute_status === "reinstated" ? "reinstated" : input.status;
  const updated =
    next === order.dispute_status
      ? order
      : await trx.updateTable("orders").set({ dispute_status: next }).where("merchant_id", "=", merchantId).where("id", "=", order.id).returningAll().executeTakeFirstOrThrow();
  const sync = await syncOrderReversal(trx, merchantId, updated, input.causeKey, "dispute", input.actor);
  // Tiers: a reinstated payment counts again at once. (Refunds and withdrawals only lower the figures, which never
  // changes a tier before the period ends; the nightly job takes them into account.)
  if (next === "reinstated") await afterQualifyingActivity(trx, merchantId, order.member_id, now());
  return { pointsReversed: sync.pointsReversed, pointsRestored: sync.pointsRestored };
}
