import Stripe from "stripe";
import type { DB } from "~/db.server";
import { env } from "~/lib/env.server";
import { DomainError } from "~/lib/errors";
import { apiKeyFor } from "./connection.server";

/**
 * The one place a Stripe API client is made. Where it connects comes from STRIPE_API_URL (default
 * https://api.stripe.com) — configuration, not a test switch: tests point it at a local fake server.
 */

export function stripeClientConfig(): Stripe.StripeConfig {
  const url = new URL(env().STRIPE_API_URL);
  const protocol = url.protocol === "http:" ? "http" : "https";
  return {
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === "https" ? 443 : 80,
    protocol,
    maxNetworkRetries: 2,
    timeout: 30_000,
    telemetry: false,
    appInfo: { name: "Perennial" },
  };
}

export function createStripeClient(apiKey: string): Stripe {
  return new Stripe(apiKey, stripeClientConfig());
}

/** A client with the merchant's stored key; 409 `stripe_not_connected` when there is none. */
export async function stripeClientFor(database: DB, merchantId: string): Promise<Stripe> {
  const key = await apiKeyFor(database, merchantId);
  if (!key) throw new DomainError("stripe_not_connected", "This merchant has no Stripe API key; add one in Settings › Stripe");
  return createStripeClient(key);
}

/** Webhook signature helpers: no key, no network. */
export function stripeWebhooks(): typeof Stripe.webhooks {
  return Stripe.webhooks;
}
