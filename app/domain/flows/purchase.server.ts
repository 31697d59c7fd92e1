import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import type { PurchaseChannel, PurchaseEffects } from "~/domain/events/seam.server";
import { findJournalByKey, lockBalance, syncOrderReversal } from "~/domain/points/ledger.server";
import { DomainError } from "~/lib/errors";
import { newId } from "~/lib/ids";
import type { Order, OrderSource } from "~db/schema";
import { earnForNewOrder, readEarningContext, type EarningContext, type EarnOutcome } from "./earning.server";
import { seam } from "./programs.server";

/**
 * "A purchase": the one function every way an order comes in calls (REST API, Stripe, CSV import), and the one table
 * of what each channel does. Every purchase is one `orders` row, unique per (merchant, source, merchant order id);
 * refunds and disputes are facts on the order that the ledger follows, and the programs hear all of it through the
 * event seam (tiers upgrade, referrals qualify or void) inside the same transaction.
 */

export interface PurchasePolicy extends PurchaseEffects {
  /**
   * An order in another currency than the merchant's: `refuse` (a 422 currency_mismatch, nothing stored), or
   * `ignore` (nothing stored, the caller is told why and acknowledges).
   */
  foreignCurrency: "refuse" | "ignore";
}

/*
 * Why the rows differ:
 *  - foreignCurrency: an API client can convert and retry, so it is told (422). Stripe cannot: a webhook answered with
 *    an error is retried for days, so the payment is acknowledged and recorded as ignored in the webhook log. The CSV
 *    importer checks the currency of every line before this flow and reports the line, which is the same refusal.
 *  - qualifiesReferral: an imported order is history, usually older than the referral program or the member's
 *    referral; paying a referral for a purchase the referral did not cause would be a windfall, so imports never
 *    qualify referrals (documented in the import docs). Live channels (API, Stripe) do.
 * Behaviour changes made when this flow replaced the three compositions (issue 13):
 *  - the currency rule is decided here for every channel; an order that reaches the ledger in a foreign currency can
 *    no longer be "recorded but earns nothing" (the API refused it before, Stripe ignored it; only a direct caller of
 *    the old earnForOrder could get that outcome).
 *  - the POST /orders answer is built from what was written, without reading the order or its lot back.
 */
export const PURCHASE_POLICY = {
  api: { foreignCurrency: "refuse", qualifiesReferral: true },
  stripe: { foreignCurrency: "ignore", qualifiesReferral: true },
  import: { foreignCurrency: "refuse", qualifiesReferral: false },
} as const satisfies Record<PurchaseChannel, PurchasePolicy>;

export interface PurchaseInput {
  memberId: string;
  externalOrderId: string;
  amountMinor: number;
  currency: string;
  occurredAt: Date;
  stripePaymentKey?: string | null;
  cardFingerprint?: string | null;
  /** False records the order as spend only (no points); tiers and referrals still hear of it. */
  awardPoints?: boolean;
  /** The request field that named the member, for the not_found error of an unknown member (default "member"). */
  memberField?: string;
}

export interface PurchaseOptions {
  channel: Exclude<PurchaseChannel, "import">;
  actor: Actor;
}

/** What the order earned, as the API reports it. */
export interface PurchasePoints {
  points: number;
  status: "none" | "pending" | "available";
  pendingUntil: Date | null;
}

export interface RecordedPurchase {
  outcome: "recorded" | "replayed";
  order: Order;
  /** False for a replay of an order recorded before. */
  created: boolean;
  /** The member's net change in points (after settling a clawback debt); `earned` is the lot. */
  points: number;
  journalId: string | null;
  earned: PurchasePoints;
  earn: EarnOutcome | null;
}

export type PurchaseResult = RecordedPurchase | { outcome: "ignored"; reason: string };

/** Only a channel whose policy ignores foreign currencies can get `ignored` back. */
type ResultFor<C extends PurchaseChannel> = (typeof PURCHASE_POLICY)[C]["foreignCurrency"] extends "refuse" ? RecordedPurchase : PurchaseResult;

const orderConflict = () =>
  new DomainError("order_conflict", "This order id was already recorded with a different member, amount, currency or date", { field: "order_id" });

/** The currency rule, decided once for every channel (a Stripe payment is checked before its payer is enrolled). */
export function purchaseCurrencyRule(channel: PurchaseChannel, currency: string, merchantCurrency: string): { ok: true } | { ok: false; reason: string } {
  const mine = merchantCurrency.trim();
  if (currency === mine) return { ok: true };
  if (PURCHASE_POLICY[channel].foreignCurrency === "refuse") {
    throw new DomainError("currency_mismatch", `This store records orders in ${mine}; convert the amount before sending it`, { field: "currency" });
  }
  return { ok: false, reason: `currency ${currency} (this merchant records ${mine} only)` };
}

/**
 * Records a purchase once and earns its points, in the caller's tenant transaction. The member's balance lock is taken
 * once, first: concurrent orders of one member then run one after the other, so an experiment assignment made while
 * earning the first (first sight of a holdout) is committed before the second order's trigger looks for the member's
 * experiment facts, and neither is missed. Then one context statement (merchant, rules, member, the programs'
 * multipliers and flags), the currency rule, the order's insert, the earning, and `orderRecorded` for the programs.
 * The same order again (a retry) returns the first result without re-running the rules (a cap since lifted must not
 * award what the first attempt rightly did not); the same order id with different facts is a 409 order_conflict.
 */
export async function recordPurchase<C extends PurchaseOptions["channel"]>(
  trx: Trx,
  merchantId: string,
  input: PurchaseInput,
  options: PurchaseOptions & { channel: C },
): Promise<ResultFor<C>> {
  return (await purchase(trx, merchantId, input, options)) as ResultFor<C>;
}

async function purchase(trx: Trx, merchantId: string, input: PurchaseInput, options: PurchaseOptions): Promise<PurchaseResult> {
  const memberField = input.memberField ?? "member";
  const balance = await lockBalance(trx, merchantId, input.memberId).catch((err: unknown) => {
    throw err instanceof DomainError && err.code === "not_found" ? new DomainError("not_found", "Member not found", { field: memberField }) : err;
  });
  const orderId = newId("order");
  const source: OrderSource = options.channel;
  const row = {
    merchant_id: merchantId,
    id: orderId,
    member_id: input.memberId,
    source,
    external_order_id: input.externalOrderId,
    amount_minor: input.amountMinor,
    currency: input.currency,
    occurred_at: input.occurredAt,
    stripe_payment_key: input.stripePaymentKey ?? null,
    card_fingerprint: input.cardFingerprint ?? null,
    created_at: now(),
  };
  // A channel that refuses a foreign currency inserts the order with the context read (one round trip fewer): the
  // refusal throws, which rolls the order back. One that ignores it must store nothing, so it inserts after the rule.
  const withContext = PURCHASE_POLICY[options.channel].foreignCurrency === "refuse";
  const read = await readEarningContext(trx, merchantId, input.memberId, input.occurredAt, { id: orderId }, withContext ? row : undefined);
  if (!read) throw new DomainError("not_found", "Member not found", { field: memberField });
  const { order_inserted: fresh, ...ctx } = read as EarningContext & { order_inserted?: boolean };
  const currency = purchaseCurrencyRule(options.channel, input.currency, ctx.currency);
  if (!currency.ok) return { outcome: "ignored", reason: currency.reason };
  const inserted: Order | undefined = withContext
    ? fresh
      ? { ...row, refunded_minor: 0, dispute_status: "none" }
      : undefined
    : await trx
        .insertInto("orders")
        .values(row)
        .onConflict((oc) => oc.columns(["merchant_id", "source", "external_order_id"]).doNothing())
        .returningAll()
        .executeTakeFirst();
  if (!inserted) return replayPurchase(trx, merchantId, source, input);
  return afterOrderInserted(trx, merchantId, inserted, balance, ctx, { channel: options.channel, actor: options.actor, awardPoints: input.awardPoints !== false });
}

/** The earning and the programs' part of a purchase whose order row was just inserted (shared with the CSV import). */
async function afterOrderInserted(
  trx: Trx,
  merchantId: string,
  order: Order,
  balance: Awaited<ReturnType<typeof lockBalance>>,
  ctx: EarningContext,
  opts: { channel: PurchaseChannel; actor: Actor; awardPoints: boolean },
): Promise<RecordedPurchase> {
  const earn = opts.awardPoints ? await earnForNewOrder(trx, merchantId, order, balance, ctx, opts.actor) : null;
  const { channel } = opts;
  await seam.publish(
    { trx, merchantId, actor: opts.actor, earningRow: ctx },
    { type: "orderRecorded", order, channel, effects: { qualifiesReferral: PURCHASE_POLICY[channel].qualifiesReferral }, earned: earn?.points ?? 0, at: now() },
  );
  const lot = earn?.lot;
  const earned = purchasePoints(lot ?? undefined);
  return { outcome: "recorded", order, created: true, points: earn?.points ?? 0, journalId: earn?.journalId ?? null, earned, earn };
}

/** What the order's lot says, as the API reports it (no lot: nothing earned). */
function purchasePoints(lot: { points: number; releasedAt: Date | null; pendingUntil: Date | null } | undefined): PurchasePoints {
  if (!lot) return { points: 0, status: "none", pendingUntil: null };
  return lot.releasedAt ? { points: lot.points, status: "available", pendingUntil: null } : { points: lot.points, status: "pending", pendingUntil: lot.pendingUntil };
}

/** A retry: the first recording's order and what it earned then (its earn journal and lot). */
async function replayPurchase(trx: Trx, merchantId: string, source: OrderSource, input: PurchaseInput): Promise<RecordedPurchase> {
  const order = await trx
    .selectFrom("orders")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("source", "=", source)
    .where("external_order_id", "=", input.externalOrderId)
    .executeTakeFirstOrThrow();
  const same =
    order.member_id === input.memberId &&
    order.amount_minor === input.amountMinor &&
    order.currency === input.currency &&
    order.occurred_at.getTime() === input.occurredAt.getTime();
  if (!same) throw orderConflict();
  const prior = await findJournalByKey(trx, merchantId, `order:${order.id}`);
  const lot = prior
    ? await trx.selectFrom("point_lots").select(["points", "released_at", "pending_until"]).where("merchant_id", "=", merchantId).where("journal_id", "=", prior.id).executeTakeFirst()
    : undefined;
  const earned = purchasePoints(lot && { points: lot.points, releasedAt: lot.released_at, pendingUntil: lot.pending_until });
  return { outcome: "replayed", order, created: false, points: prior?.points ?? 0, journalId: prior?.id ?? null, earned, earn: null };
}

/**
 * A purchase whose order row was written in bulk — the CSV import's `import` row (the importer validated every line,
 * currency included, and inserted a batch's orders in one statement) and the demo seed's history: the order earns and
 * is published like any purchase, under the import's policy (no referral qualification). Call it oldest first, so
 * first-order bonuses and caps see the orders in the order they happened. Returns the points earned.
 */
export async function earnRecordedOrder(trx: Trx, merchantId: string, order: Order, actor: Actor): Promise<number> {
  const balance = await lockBalance(trx, merchantId, order.member_id);
  const ctx = await readEarningContext(trx, merchantId, order.member_id, order.occurred_at, { id: order.id });
  if (!ctx) throw new DomainError("not_found", "Member not found", { field: "member" });
  purchaseCurrencyRule("import", order.currency, ctx.currency);
  return (await afterOrderInserted(trx, merchantId, order, balance, ctx, { channel: "import", actor, awardPoints: true })).points;
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
      throw new DomainError("refund_conflict", "This refund id was already recorded with a different amount", { field: "refund_id" });
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
      { field: "amount_minor" },
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
  await seam.publish({ trx, merchantId, actor: input.actor }, { type: "orderRefunded", order: updated, pointsReversed: sync.pointsReversed, at: now() });
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
  await seam.publish({ trx, merchantId, actor: input.actor }, { type: "orderRefunded", order: updated, pointsReversed: sync.pointsReversed, at: now() });
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
  // Tiers hear it: a reinstated payment counts again at once.
  await seam.publish(
    { trx, merchantId, actor: input.actor },
    { type: "orderDisputeChanged", order: updated, status: next, pointsReversed: sync.pointsReversed, pointsRestored: sync.pointsRestored, at: now() },
  );
  return { pointsReversed: sync.pointsReversed, pointsRestored: sync.pointsRestored };
}
