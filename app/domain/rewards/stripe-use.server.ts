import type { Trx } from "~/db.server";
import { costAtUse } from "./codes.server";

/**
 * Rewards used in a Stripe purchase (issue 16: cost at use). The Stripe channel calls this for each purchase it
 * records, with what the Checkout Session or invoice says was taken off:
 *  - a promotion code this program created (matched by its id, stored when Stripe issued it) becomes `used` by the
 *    order, with the amount Stripe applied; when Stripe gives no per-discount amount (several discounts, no
 *    breakdown) the code's own value on the subtotal, capped at the purchase's total discount;
 *  - store credit: what an invoice drew from the customer's balance is taken from the member's store-credit
 *    redemptions on that Stripe customer, oldest first, each up to its amount. A credit first drawn on one invoice
 *    and finished on another is counted at its first use (one time per redemption).
 * The same order seen again (a Checkout Session and the invoice it created) changes nothing.
 */

export interface StripeRewardUse {
  memberId: string;
  orderId: string;
  occurredAt: Date;
  promotions: { promotionCodeId: string; amountMinor: number | null }[];
  totalMinor: number;
  subtotalMinor: number | null;
  customerId: string | null;
  creditAppliedMinor: number;
}

/** Returns how many redemptions it marked used or drew credit from. */
export async function recordStripeRewardUse(trx: Trx, merchantId: string, u: StripeRewardUse): Promise<number> {
  let marked = 0;
  for (const p of u.promotions) {
    const r = await trx
      .selectFrom("reward_redemptions")
      .selectAll()
      .where("merchant_id", "=", merchantId)
      .where("stripe_promotion_code_id", "=", p.promotionCodeId)
      .forUpdate()
      .executeTakeFirst();
    if (!r || r.status !== "issued") continue;
    const applied = p.amountMinor ?? Math.min(costAtUse(r, u.subtotalMinor ?? 0), u.totalMinor);
    await trx
      .updateTable("reward_redemptions")
      .set({ status: "used", used_at: u.occurredAt, used_order_id: u.orderId, applied_minor: applied, updated_at: u.occurredAt })
      .where("merchant_id", "=", merchantId)
      .where("id", "=", r.id)
      .execute();
    marked++;
  }
  if (u.creditAppliedMinor > 0 && u.customerId) {
    const credits = await trx
      .selectFrom("reward_redemptions")
      .selectAll()
      .where("merchant_id", "=", merchantId)
      .where("member_id", "=", u.memberId)
      .where("kind", "=", "store_credit")
      .where("status", "=", "issued")
      .where("stripe_customer_id", "=", u.customerId)
      .orderBy("created_at")
      .orderBy("id")
      .forUpdate()
      .execute();
    let left = u.creditAppliedMinor;
    for (const r of credits) {
      if (left <= 0) break;
      const room = (r.discount_minor ?? 0) - (r.applied_minor ?? 0);
      if (room <= 0) continue;
      const take = Math.min(room, left);
      left -= take;
      const used = (r.applied_minor ?? 0) + take;
      await trx
        .updateTable("reward_redemptions")
        .set({
          applied_minor: used,
          used_at: r.used_at ?? u.occurredAt,
          used_order_id: r.used_order_id ?? u.orderId,
          status: used >= (r.discount_minor ?? 0) ? "used" : "issued",
          updated_at: u.occurredAt,
        })
        .where("merchant_id", "=", merchantId)
        .where("id", "=", r.id)
        .execute();
      marked++;
    }
  }
  return marked;
}
