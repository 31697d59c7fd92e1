/**
 * The Stripe events Perennial acts on: the merchant subscribes its webhook endpoint to exactly these, and the
 * reconcile command asks Stripe for the same list. Pure (the settings page shows it).
 */
export const STRIPE_EVENT_TYPES = [
  "checkout.session.completed",
  "checkout.session.async_payment_succeeded",
  "invoice.paid",
  "invoice_payment.paid",
  "charge.succeeded",
  "charge.refunded",
  "charge.dispute.created",
  "charge.dispute.updated",
  "charge.dispute.closed",
  "charge.dispute.funds_withdrawn",
  "charge.dispute.funds_reinstated",
  // Subscriptions (issue 16 §5): their state and failed renewals; paid renewals are invoice.paid above.
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "invoice.payment_failed",
] as const;

export type StripeEventType = (typeof STRIPE_EVENT_TYPES)[number];

export function isHandledEventType(type: string): type is StripeEventType {
  return (STRIPE_EVENT_TYPES as readonly string[]).includes(type);
}
