import { sql } from "kysely";
import Stripe from "stripe";
import { now } from "~/lib/clock.server";
import { db, withTenant, type Trx } from "~/db.server";
import { adjustPoints } from "~/domain/points/ledger.server";
import { stripeClientFor } from "~/domain/stripe/client.server";
import { DomainError } from "~/lib/errors";
import type { RewardKind, RewardRedemption } from "~db/schema";
import { sendRewardIssuedEmail, sendRewardVoidedEmail } from "./notify.server";

/**
 * Rewards on a Stripe-connected merchant: discount codes become Stripe promotion codes (one coupon per reward and
 * value, one promotion code per redemption) and store credit a customer balance credit. The redemption commits as
 * `pending` together with a graphile-worker job (transactional outbox); the job calls Stripe with idempotency keys
 * derived from the redemption, so retries (the client's own and the job's) never create anything twice.
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

/** A Stripe answer that retrying cannot change. */
export function isPermanentStripeError(err: unknown): boolean {
  if (err instanceof DomainError) return err.code === "stripe_not_connected";
  if (err instanceof Stripe.errors.StripeError) {
    const s = err.statusCode ?? 0;
    return s >= 400 && s < 500 && s !== 429 && s !== 409;
  }
  return false;
}

export type SyncOutcome = "issued" | "voided" | "skipped";

/**
 * One attempt. Throws on a transient failure (the job retries); voids on a permanent one or when `lastAttempt`.
 */
export async function syncRedemptionToStripe(merchantId: string, redemptionId: string, opts: { lastAttempt: boolean }): Promise<SyncOutcome> {
  const loaded = await withTenant(db(), merchantId, async (trx) => {
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
  if (!loaded) return "skipped";
  const { r, reward, m } = loaded;
  const currency = m.currency.toLowerCase();

  try {
    const stripe = await stripeClientFor(db(), merchantId);
    let issued: Partial<Pick<RewardRedemption, "stripe_promotion_code_id" | "stripe_customer_id" | "stripe_balance_transaction_id" | "code">>;
    if (r.kind === "store_credit") {
      const found = await stripe.customers.list({ email: m.email, limit: 1 });
      const customer =
        found.data[0] ??
        (await stripe.customers.create(
          { email: m.email, name: m.name ?? undefined, metadata: { perennial_member_id: r.member_id } },
          { idempotencyKey: `perennial-customer-${r.member_id}` },
        ));
      const txn = await stripe.customers.createBalanceTransaction(
        customer.id,
        // Negative: a credit the customer's next invoices draw from.
        { amount: -(r.discount_minor ?? 0), currency, description: `Reward: ${r.reward_name}`, metadata: { perennial_redemption_id: r.id } },
        { idempotencyKey: `perennial-credit-${r.id}` },
      );
      issued = { stripe_customer_id: customer.id, stripe_balance_transaction_id: txn.id };
    } else {
      const couponId = await ensureCoupon(stripe, r, currency);
      const promo = await stripe.promotionCodes.create(
        {
          promotion: { type: "coupon", coupon: couponId },
          code: r.code ?? undefined,
          max_redemptions: 1,
          ...(r.expires_at ? { expires_at: Math.floor(r.expires_at.getTime() / 1000) } : {}),
          ...(r.min_order_minor ? { restrictions: { minimum_amount: r.min_order_minor, minimum_amount_currency: currency } } : {}),
          metadata: { perennial_redemption_id: r.id, perennial_member_id: r.member_id },
        },
        { idempotencyKey: `perennial-promo-${r.id}` },
      );
      issued = { stripe_promotion_code_id: promo.id, code: promo.code };
    }
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
      if (reward.stripe_coupon_id === null && r.kind !== "store_credit") {
        await trx.updateTable("rewards").set({ stripe_coupon_id: couponIdFor(r) }).where("merchant_id", "=", merchantId).where("id", "=", reward.id).execute();
      }
    });
    return "issued";
  } catch (err) {
    if (!isPermanentStripeError(err) && !opts.lastAttempt) throw err;
    await voidRedemption(merchantId, r.id, err instanceof Error ? err.message : String(err));
    return "voided";
  }
}

/** One coupon per reward and value: a deterministic id makes "create once" hold across retries and workers. */
function couponIdFor(r: RewardRedemption): string {
  return r.kind === "percent_discount" ? `perennial_${r.reward_id}_pct${r.percent_off}` : `perennial_${r.reward_id}_amt${r.discount_minor}`;
}

async function ensureCoupon(stripe: Stripe, r: RewardRedemption, currency: string): Promise<string> {
  const id = couponIdFor(r);
  try {
    await stripe.coupons.create(
      {
        id,
        name: r.reward_name.slice(0, 40),
        duration: "once",
        ...(r.kind === "percent_discount" ? { percent_off: r.percent_off ?? 0 } : { amount_off: r.discount_minor ?? 0, currency }),
        metadata: { perennial_reward_id: r.reward_id },
      },
      { idempotencyKey: `perennial-coupon-${id}` },
    );
  } catch (err) {
    // Created earlier (by another redemption, more than a day ago): that is the coupon we want.
    if (!(err instanceof Stripe.errors.StripeError && err.code === "resource_already_exists")) throw err;
  }
  return id;
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
