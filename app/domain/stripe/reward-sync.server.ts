import Stripe from "stripe";
import { db } from "~/db.server";
import { loadPendingStripeRedemption, markStripeIssued, voidRedemption, type StripeIssued } from "~/domain/rewards/stripe-sync.server";
import { DomainError } from "~/lib/errors";
import type { RewardRedemption } from "~db/schema";
import { stripeClientFor } from "./client.server";

/**
 * The Stripe side of a reward on a Stripe-connected merchant (the `reward-stripe` job): a discount becomes a Stripe
 * promotion code (one coupon per reward and value, one promotion code per redemption), store credit a customer
 * balance credit. The rewards program enqueues the job and records the outcome (app/domain/rewards/stripe-sync);
 * every call here carries an idempotency key derived from the redemption, so retries never create anything twice.
 */

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
  const loaded = await loadPendingStripeRedemption(merchantId, redemptionId);
  if (!loaded) return "skipped";
  const { r, reward, m } = loaded;
  const currency = m.currency.toLowerCase();

  try {
    const stripe = await stripeClientFor(db(), merchantId);
    let issued: StripeIssued;
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
    await markStripeIssued(merchantId, r, reward.stripe_coupon_id, issued, r.kind === "store_credit" ? null : couponIdFor(r));
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
