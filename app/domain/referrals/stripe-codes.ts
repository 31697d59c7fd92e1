/**
 * Referral codes a Stripe purchase carries: `metadata.referral_code` on the Checkout Session / invoice, then any
 * promotion code whose text is shown in the event (`discounts[].promotion_code.code` when expanded, or the legacy
 * `discount.promotion_code.code`). A promotion code given only by its id (promo_…) is not resolved: that would
 * need a Stripe API call inside the webhook.
 */
export function stripeReferralCodes(object: Record<string, unknown>): string[] {
  const codes: string[] = [];
  const meta = object.metadata;
  if (meta && typeof meta === "object") {
    const v = (meta as Record<string, unknown>).referral_code;
    if (typeof v === "string") codes.push(v);
  }
  const promo = (d: unknown) => {
    if (!d || typeof d !== "object") return;
    const p = (d as Record<string, unknown>).promotion_code;
    if (p && typeof p === "object" && typeof (p as Record<string, unknown>).code === "string") codes.push((p as { code: string }).code);
  };
  if (Array.isArray(object.discounts)) object.discounts.forEach(promo);
  promo(object.discount);
  return codes.filter((c) => c.trim().length > 0).slice(0, 5);
}
