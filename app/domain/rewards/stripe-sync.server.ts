import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import { db, withTenant, type Trx } from "~/db.server";
import { adjustPoints } from "~/domain/points/ledger.server";
import type { RewardKind, RewardRedemption } from "~db/schema";
import { sendRewardIssuedEmail, sendRewardVoidedEmail } from "./notify.server";

/**
 * Rewards on a Stripe-connected merchant: discount codes become Stripe promotion codes (one coupon per reward and
 * value, one promotion code per redemption) and store credit a customer balance credit. The redemption commits as
 * `pending` together with a graphile-worker job (transactional outbox). This program's side only enqueues the job,
 * reads what it needs, and records the outcome; the Stripe calls are the Stripe channel's
 * (app/domain/stripe/reward-sync.server.ts), with idempotency keys derived from the redemption, so retries (the
 * client's own and the job's) never create anything twice.
 * A permanent failure — a 4xx other than 429, or the last attempt failing — voids the redemption: stock and points
 * go back (an adjustment through the ledger with its own key) and the member is told.
 */

export const REWARD_STRIPE_TASK = "reward-stripe";
export const REWARD_STRIPE_MAX_ATTEMPTS = 6;

export function usesStripe(kind: RewardKind): boolean {
  return kind === "fixed_discount" || kind === "percent_discount" || kind === "store_credit";
}

export async function stripeConnected(trx: Trx, merchantId: string): Promise<boolean> {
  const row = await trx.selectFrom("stripe_connections").select("api_key_enc").where("merchant_id", "=", merchantId).executeTakeFirst();
  return Boolean(row?.api_key_enc);
}

export async function enqueueStripeSync(trx: Trx, merchantId: string, redemptionId: string): Promise<void> {
  await sql`
    select graphile_worker.add_job(
      ${REWARD_STRIPE_TASK},
      json_build_object('merchantId', ${merchantId}::text, 'redemptionId', ${redemptionId}::text),
      max_attempts => ${REWARD_STRIPE_MAX_ATTEMPTS}::int,
      job_key => ${`reward-stripe:${redemptionId}`}::text
    )`.execute(trx);
}

/** A pending redemption with its reward and member, or null when it is no longer pending (done or voided). */
export async function loadPendingStripeRedemption(merchantId: string, redemptionId: string) {
  return withTenant(db(), merchantId, async (trx) => {
    const r = await trx.selectFrom("reward_redemptions").selectAll().where("merchant_id", "=", merchantId).where("id", "=", redemptionId).executeTakeFirst();
    if (!r || r.status !== "pending") return null;
    const reward = await trx.selectFrom("rewards").selectAll().where("merchant_id", "=", merchantId).where("id", "=", r.reward_id).executeTakeFirstOrThrow();
    const m = await trx
      .selectFrom("members")
      .innerJoin("merchants", "merchants.id", "members.merchant_id")
      .select(["members.email", "members.name", "merchants.currency"])
      .where("members.merchant_id", "=", merchantId)
      .where("members.id", "=", r.member_id)
      .executeTakeFirstOrThrow();
    return { r, reward, m };
  });
}

export type StripeIssued = Partial<Pick<RewardRedemption, "stripe_promotion_code_id" | "stripe_customer_id" | "stripe_balance_transaction_id" | "code">>;

/**
 * Records what Stripe issued: the redemption turns `issued` (once; a concurrent void wins) and the member is
 * e-mailed; the reward remembers its coupon id (`couponId`, null for store credit) the first time.
 */
export async function markStripeIssued(merchantId: string, r: RewardRedemption, rewardCouponId: string | null, issued: StripeIssued, couponId: string | null): Promise<void> {
  await withTenant(db(), merchantId, async (trx) => {
    const done = await trx
      .updateTable("reward_redemptions")
      .set({ ...issued, status: "issued", updated_at: now() })
      .where("merchant_id", "=", merchantId)
      .where("id", "=", r.id)
      .where("status", "=", "pending")
      .returningAll()
      .executeTakeFirst();
    if (done) await sendRewardIssuedEmail(trx, merchantId, done);
    if (rewardCouponId === null && couponId !== null) {
      await trx.updateTable("rewards").set({ stripe_coupon_id: couponId }).where("merchant_id", "=", merchantId).where("id", "=", r.reward_id).execute();
    }
  });
}

/** Voids a pending redemption once: stock back, points back through the ledger, the member e-mailed. */
export async function voidRedemption(merchantId: string, redemptionId: string, reason: string): Promise<void> {
  await withTenant(db(), merchantId, async (trx) => {
    const r = await trx
      .selectFrom("reward_redemptions")
      .selectAll()
      .where("merchant_id", "=", merchantId)
      .where("id", "=", redemptionId)
      .where("status", "=", "pending")
      .forUpdate()
      .executeTakeFirst();
    if (!r) return;
    let refundJournalId: string | null = null;
    if (r.points_spent > 0) {
      const back = await adjustPoints(trx, merchantId, {
        memberId: r.member_id,
        points: r.points_spent,
        reason: `Reward “${r.reward_name}” could not be issued`,
        idempotencyKey: `reward-void:${r.id}`,
        actor: { type: "system", id: "rewards" },
      });
      refundJournalId = back.journalId;
    }
    await trx
      .updateTable("rewards")
      .set({ stock_remaining: sql`stock_remaining + 1` })
      .where("merchant_id", "=", merchantId)
      .where("id", "=", r.reward_id)
      .where("stock_remaining", "is not", null)
      .execute();
    const voided = await trx
      .updateTable("reward_redemptions")
      .set({ status: "void", voided_at: now(), void_reason: reason.slice(0, 500), refund_journal_id: refundJournalId, updated_at: now() })
      .where("merchant_id", "=", merchantId)
      .where("id", "=", r.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await sendRewardVoidedEmail(trx, merchantId, voided);
  });
}
