import { sql, type Insertable } from "kysely";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { isHeldOutOfProgram } from "~/domain/experiments/assignment.server";
import { insufficientPoints, lockBalance, spendPoints } from "~/domain/points/ledger.server";
import { DomainError } from "~/lib/errors";
import { newId } from "~/lib/ids";
import type { Reward, RewardRedemption, RewardRedemptionsTable } from "~db/schema";
import { generateCode } from "./codes.server";
import { sendRewardIssuedEmail } from "./notify.server";
import { pointsDiscountFor } from "./schemas";
import { enqueueStripeSync, stripeConnected, usesStripe } from "./stripe-sync.server";
import { memberMeetsTier } from "./tier-check.server";

/**
 * CONTRACT (the signature is fixed: the flows pass this function to offers, surprise gifts and referrals as their
 * `GrantReward` port, `offers/ports.server.ts` and `referrals/ports.server.ts`).
 *
 * Grants one catalog reward to one member as a single atomic, idempotent operation inside the caller's tenant
 * transaction: check eligibility (active window, tier restriction, loyalty holdout, per-member limit per period),
 * debit points through the ledger's spend path when `chargePoints`, take stock, issue a unique code (or enqueue the
 * Stripe promotion code / customer balance credit through the outbox) and record the redemption.
 * Replaying the same `idempotencyKey` returns the first result with `replayed: true`.
 * Errors (DomainError codes): insufficient_points, out_of_stock, limit_reached, not_eligible, inactive, not_found.
 */
export interface GrantRewardInput {
  memberId: string;
  rewardId: string;
  idempotencyKey: string;
  /** redeem: the member spends points in the portal / API; offer, gift, referral: granted by a program. */
  source: "redeem" | "offer" | "gift" | "referral";
  /** Debit the reward's points cost (true for redeem; false for grants). */
  chargePoints: boolean;
  actor: Actor;
  /** Offer / gift / referral id this grant came from, stored on the redemption. */
  sourceId?: string | null;
  /** "Points as money" rewards only: the points to turn into a discount (a multiple of the reward's points cost). */
  points?: number;
  /** "Points as money" rewards only: the order the discount is for; the discount never exceeds it. */
  orderAmountMinor?: number;
  /** E-mail the member the issued reward (default true; the demo seed writes history without mail). */
  notify?: boolean;
}

export interface GrantRewardResult {
  redemptionId: string;
  rewardId: string;
  /** The code to show the member (Perennial's own, or the Stripe promotion code once created); null for gifts and store credit. */
  code: string | null;
  status: "issued" | "pending" | "fulfilled" | "used" | "void";
  pointsSpent: number;
  replayed: boolean;
  /** The value issued in minor units (fixed amount, store credit, points-as-money discount); null otherwise. */
  discountMinor?: number | null;
}

/** The ledger key of a redemption's debit: derived from the redemption's key, so a replay can never debit twice. */
export const spendKey = (idempotencyKey: string) => `reward:${idempotencyKey}`;

export function toResult(r: RewardRedemption, replayed: boolean): GrantRewardResult {
  return {
    redemptionId: r.id,
    rewardId: r.reward_id,
    code: r.status === "pending" || r.status === "void" ? null : r.code,
    status: r.status,
    pointsSpent: r.points_spent,
    replayed,
    discountMinor: r.discount_minor,
  };
}

async function findByKey(trx: Trx, merchantId: string, key: string) {
  return trx.selectFrom("reward_redemptions").selectAll().where("merchant_id", "=", merchantId).where("idempotency_key", "=", key).executeTakeFirst();
}

function checkReplay(prior: RewardRedemption, input: GrantRewardInput): GrantRewardResult {
  if (prior.member_id !== input.memberId || prior.reward_id !== input.rewardId) {
    throw new DomainError("idempotency_conflict", "This idempotency key was already used for a different redemption", { field: "Idempotency-Key" });
  }
  return toResult(prior, true);
}

export async function grantReward(trx: Trx, merchantId: string, input: GrantRewardInput): Promise<GrantRewardResult> {
  // Cheap replay before any lock; repeated after the member lock for a concurrent first request with the same key.
  const early = await findByKey(trx, merchantId, input.idempotencyKey);
  if (early) return checkReplay(early, input);

  const reward = await trx.selectFrom("rewards").selectAll().where("merchant_id", "=", merchantId).where("id", "=", input.rewardId).executeTakeFirst();
  if (!reward) throw new DomainError("not_found", "Reward not found", { field: "reward_id" });

  // One lock per member serialises everything below for this member: the per-member limit is counted under it,
  // and spendPoints takes the same lock again (re-entrant within the transaction).
  const balance = await lockBalance(trx, merchantId, input.memberId);
  const prior = await findByKey(trx, merchantId, input.idempotencyKey);
  if (prior) return checkReplay(prior, input);

  const member = await trx
    .selectFrom("members")
    .innerJoin("merchants", "merchants.id", "members.merchant_id")
    .select(["members.status", "members.email", "members.name", "merchants.timezone", "merchants.name as merchant_name", "merchants.slug", "merchants.currency"])
    .where("members.merchant_id", "=", merchantId)
    .where("members.id", "=", input.memberId)
    .executeTakeFirst();
  if (!member) throw new DomainError("not_found", "Member not found", { field: "member" });

  const at = now();
  if (reward.status !== "active" || (reward.starts_at && reward.starts_at > at) || (reward.ends_at && reward.ends_at <= at)) {
    throw new DomainError("inactive", "This reward is not available right now", { field: "reward_id" });
  }
  if (member.status !== "active") throw new DomainError("not_eligible", "This member cannot redeem rewards", { field: "member" });
  if (reward.min_tier_id && !(await memberMeetsTier(trx, merchantId, input.memberId, reward.min_tier_id))) {
    throw new DomainError("not_eligible", "This reward needs a higher tier", { field: "reward_id" });
  }
  if (await isHeldOutOfProgram(trx, merchantId, "loyalty_program", input.memberId)) {
    throw new DomainError("not_eligible", "This member is not part of the rewards program", { field: "member" });
  }
  if (reward.limit_count !== null && reward.limit_period !== null) {
    const used = await countInPeriod(trx, merchantId, reward, input.memberId, member.timezone);
    if (used >= reward.limit_count) {
      throw new DomainError("limit_reached", `This reward can be redeemed ${reward.limit_count} time${reward.limit_count === 1 ? "" : "s"} per ${reward.limit_period === "lifetime" ? "member" : reward.limit_period}`, {
        field: "reward_id",
      });
    }
  }

  // What it costs and gives.
  let pointsCost = reward.points_cost;
  let discountMinor = reward.discount_minor;
  if (reward.kind === "points_discount") {
    const d = pointsDiscountFor(reward, input.points ?? reward.points_cost);
    if ("error" in d) throw new DomainError("validation_failed", d.error, { field: "points" });
    if (input.orderAmountMinor !== undefined && d.discountMinor > input.orderAmountMinor) {
      throw new DomainError("validation_failed", "The discount cannot exceed the order amount", { field: "points" });
    }
    pointsCost = input.points ?? reward.points_cost;
    discountMinor = d.discountMinor;
  }
  if (input.chargePoints && balance.available < pointsCost) throw insufficientPoints(balance.available, pointsCost);

  if (reward.stock_remaining !== null) {
    // The conditional update takes the reward's row lock: parallel redemptions of the last unit queue here and
    // only the first finds stock left.
    const took = await trx
      .updateTable("rewards")
      .set({ stock_remaining: sql`stock_remaining - 1`, updated_at: at })
      .where("merchant_id", "=", merchantId)
      .where("id", "=", reward.id)
      .where("stock_remaining", ">", 0)
      .returning("stock_remaining")
      .executeTakeFirst();
    if (!took) throw new DomainError("out_of_stock", "This reward is out of stock", { field: "reward_id" });
  }

  const redemptionId = newId("redemption");
  let journalId: string | null = null;
  if (input.chargePoints) {
    const spent = await spendPoints(trx, merchantId, {
      memberId: input.memberId,
      points: pointsCost,
      idempotencyKey: spendKey(input.idempotencyKey),
      description: `Redeemed: ${reward.name}`,
      metadata: { rewardId: reward.id, redemptionId },
      actor: input.actor,
    });
    journalId = spent.journalId;
  }

  const viaStripe = usesStripe(reward.kind) && (await stripeConnected(trx, merchantId));
  const wantsCode = reward.kind !== "gift" && !(viaStripe && reward.kind === "store_credit");
  const status: RewardRedemption["status"] = viaStripe ? "pending" : "issued";
  const expiresAt = wantsCode && reward.code_valid_days ? new Date(at.getTime() + reward.code_valid_days * 86_400_000) : null;

  const row = await insertWithUniqueCode(trx, wantsCode, !viaStripe, (code) => ({
    merchant_id: merchantId,
    id: redemptionId,
    reward_id: reward.id,
    member_id: input.memberId,
    source: input.source,
    source_id: input.sourceId ?? null,
    idempotency_key: input.idempotencyKey,
    status,
    kind: reward.kind,
    reward_name: reward.name,
    points_spent: input.chargePoints ? pointsCost : 0,
    spend_journal_id: journalId,
    code,
    discount_minor: discountMinor,
    percent_off: reward.percent_off,
    min_order_minor: reward.min_order_minor,
    product_name: reward.product_name,
    cost_minor: reward.cost_minor,
    expires_at: expiresAt,
    created_at: at,
    updated_at: at,
  }));

  if (viaStripe) await enqueueStripeSync(trx, merchantId, row.id);
  else if (input.notify !== false) await sendRewardIssuedEmail(trx, merchantId, row, member);
  return toResult(row, false);
}

/** Inserts the redemption with a fresh random code; a (rare) collision draws another instead of failing. */
async function insertWithUniqueCode(trx: Trx, wantsCode: boolean, grouped: boolean, values: (code: string | null) => Insertable<RewardRedemptionsTable>): Promise<RewardRedemption> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const row = await trx
      .insertInto("reward_redemptions")
      .values(values(wantsCode ? generateCode(grouped) : null))
      .onConflict((oc) => oc.columns(["merchant_id", "code"]).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row) return row;
  }
  throw new Error("could not draw a unique reward code in 5 attempts");
}

/**
 * The member's non-void redemptions of this reward since the start of the current period in the merchant's time
 * zone (weeks start on Monday, ISO). Runs under the member's lock, so two parallel redemptions cannot both see
 * room for one more.
 */
async function countInPeriod(trx: Trx, merchantId: string, reward: Reward, memberId: string, timezone: string): Promise<number> {
  const period = reward.limit_period!;
  const since =
    period === "lifetime"
      ? sql`'-infinity'::timestamptz`
      : sql`(date_trunc(${period}, ${now()}::timestamptz at time zone ${timezone}) at time zone ${timezone})`;
  const r = await sql<{ n: number }>`
    select count(*)::int as n from reward_redemptions
    where merchant_id = ${merchantId} and member_id = ${memberId} and reward_id = ${reward.id}
      and status <> 'void' and created_at >= ${since}`.execute(trx);
  return r.rows[0]!.n;
}
