import { z } from "zod";

/**
 * The Stripe settings form. Pure, so the page validates with the same rules in the browser. Live secret keys
 * (`sk_live_`) are refused on purpose: in production the merchant gives a restricted key that can only read events.
 */

export const stripeApiKeySchema = z
  .string()
  .trim()
  .max(255, "That is too long for a Stripe key")
  .regex(/^(rk_live_|rk_test_|sk_test_)/, "Use a restricted key (rk_live_… or rk_test_…); a test secret key (sk_test_…) also works")
  .regex(/^[a-z]{2}_(live|test)_[A-Za-z0-9]{16,240}$/, "This does not look like a Stripe key; copy it again from the Stripe dashboard");

export const stripeWebhookSecretSchema = z
  .string()
  .trim()
  .max(255, "That is too long for a webhook signing secret")
  .regex(/^whsec_[A-Za-z0-9+/=_-]{16,240}$/, "The signing secret starts with whsec_; copy it from the webhook endpoint in Stripe");

// An empty field (Conform reads it as undefined) keeps what is stored; the action requires at least one.
export const StripeSaveSchema = z.object({
  intent: z.literal("save"),
  apiKey: stripeApiKeySchema.optional(),
  webhookSecret: stripeWebhookSecretSchema.optional(),
});
export const StripeDisconnectSchema = z.object({ intent: z.literal("disconnect") });
export const StripeSettingsActionSchema = z.discriminatedUnion("intent", [StripeSaveSchema, StripeDisconnectSchema]);
export type StripeSettingsAction = z.infer<typeof StripeSettingsActionSchema>;
