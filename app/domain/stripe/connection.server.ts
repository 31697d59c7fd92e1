import { now } from "~/lib/clock.server";
import { withTenant, type DB, type Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { decryptSecret, encryptSecret, secretHint } from "~/lib/crypto.server";
import { DomainError } from "~/lib/errors";
import { stripeApiKeySchema, stripeWebhookSecretSchema } from "./schemas";

/**
 * A merchant's Stripe credentials: the restricted API key (reconcile, later issues) and the webhook signing secret.
 * Both are stored encrypted (AES-256-GCM bound to the merchant and the purpose); pages see only hints, and
 * audit entries carry hints, never the secrets.
 */

export interface StripeConnectionSummary {
  connected: boolean;
  apiKeyHint: string | null;
  webhookSecretHint: string | null;
  updatedAt: Date | null;
}

export interface StripeEventSummary {
  eventId: string;
  type: string;
  outcome: string;
  receivedVia: "webhook" | "reconcile";
  receivedAt: Date;
}

export async function getStripeConnection(database: DB, merchantId: string): Promise<StripeConnectionSummary> {
  const row = await withTenant(database, merchantId, (trx) =>
    trx
      .selectFrom("stripe_connections")
      .select(["api_key_hint", "webhook_secret_hint", "updated_at"])
      .where("merchant_id", "=", merchantId)
      .executeTakeFirst(),
  );
  return {
    connected: Boolean(row?.api_key_hint || row?.webhook_secret_hint),
    apiKeyHint: row?.api_key_hint ?? null,
    webhookSecretHint: row?.webhook_secret_hint ?? null,
    updatedAt: row?.updated_at ?? null,
  };
}

/**
 * Stores or replaces either credential; an omitted one keeps its stored value. Validates again (the CLI and tests
 * call this directly) and refuses an empty save.
 */
export async function saveStripeCredentials(
  database: DB,
  merchantId: string,
  input: { apiKey?: string; webhookSecret?: string },
  actor: Actor,
): Promise<StripeConnectionSummary> {
  const apiKey = input.apiKey === undefined ? undefined : parseOrThrow(stripeApiKeySchema, input.apiKey, "apiKey");
  const webhookSecret = input.webhookSecret === undefined ? undefined : parseOrThrow(stripeWebhookSecretSchema, input.webhookSecret, "webhookSecret");
  if (apiKey === undefined && webhookSecret === undefined) {
    throw new DomainError("validation_failed", "Enter an API key, a webhook signing secret, or both", { field: "apiKey" });
  }
  const changes = {
    ...(apiKey !== undefined ? { api_key_enc: encryptSecret(apiKey, { merchantId, purpose: "stripe.api_key" }), api_key_hint: secretHint(apiKey) } : {}),
    ...(webhookSecret !== undefined
      ? { webhook_secret_enc: encryptSecret(webhookSecret, { merchantId, purpose: "stripe.webhook_secret" }), webhook_secret_hint: secretHint(webhookSecret) }
      : {}),
  };
  return withTenant(database, merchantId, async (trx) => {
    const before = await trx
      .selectFrom("stripe_connections")
      .select(["api_key_hint", "webhook_secret_hint"])
      .where("merchant_id", "=", merchantId)
      .forUpdate()
      .executeTakeFirst();
    const row = await trx
      .insertInto("stripe_connections")
      .values({ merchant_id: merchantId, ...changes, updated_at: now(), updated_by: actor.id })
      .onConflict((oc) => oc.column("merchant_id").doUpdateSet({ ...changes, updated_at: now(), updated_by: actor.id }))
      .returning(["api_key_hint", "webhook_secret_hint", "updated_at"])
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      merchantId,
      actor,
      before ? "stripe.credentials_updated" : "stripe.connected",
      { type: "stripe_connection", id: merchantId },
      {
        before: before ? { api_key: before.api_key_hint, webhook_secret: before.webhook_secret_hint } : undefined,
        after: { api_key: row.api_key_hint, webhook_secret: row.webhook_secret_hint },
      },
    );
    return { connected: true, apiKeyHint: row.api_key_hint, webhookSecretHint: row.webhook_secret_hint, updatedAt: row.updated_at };
  });
}

/** Forgets both credentials; webhooks are then refused. Past events and payments stay (they are history). */
export async function disconnectStripe(database: DB, merchantId: string, actor: Actor): Promise<boolean> {
  return withTenant(database, merchantId, async (trx) => {
    const removed = await trx
      .deleteFrom("stripe_connections")
      .where("merchant_id", "=", merchantId)
      .returning(["api_key_hint", "webhook_secret_hint"])
      .executeTakeFirst();
    if (!removed) return false;
    await recordAudit(trx, merchantId, actor, "stripe.disconnected", { type: "stripe_connection", id: merchantId }, {
      before: { api_key: removed.api_key_hint, webhook_secret: removed.webhook_secret_hint },
    });
    return true;
  });
}

/** The webhook signing secret in clear, or null when none is stored. */
export async function webhookSecretFor(trx: Trx, merchantId: string): Promise<string | null> {
  const row = await trx.selectFrom("stripe_connections").select("webhook_secret_enc").where("merchant_id", "=", merchantId).executeTakeFirst();
  return row?.webhook_secret_enc ? decryptSecret(row.webhook_secret_enc, { merchantId, purpose: "stripe.webhook_secret" }) : null;
}

/** The API key in clear, or null when none is stored. */
export async function apiKeyFor(database: DB, merchantId: string): Promise<string | null> {
  const row = await withTenant(database, merchantId, (trx) =>
    trx.selectFrom("stripe_connections").select("api_key_enc").where("merchant_id", "=", merchantId).executeTakeFirst(),
  );
  return row?.api_key_enc ? decryptSecret(row.api_key_enc, { merchantId, purpose: "stripe.api_key" }) : null;
}

export async function recentStripeEvents(database: DB, merchantId: string, limit = 20): Promise<StripeEventSummary[]> {
  const rows = await withTenant(database, merchantId, (trx) =>
    trx
      .selectFrom("stripe_events")
      .select(["event_id", "type", "outcome", "received_via", "received_at"])
      .where("merchant_id", "=", merchantId)
      .orderBy("received_at", "desc")
      .orderBy("event_id", "desc")
      .limit(limit)
      .execute(),
  );
  return rows.map((r) => ({ eventId: r.event_id, type: r.type, outcome: r.outcome, receivedVia: r.received_via, receivedAt: r.received_at }));
}

function parseOrThrow<T>(schema: { safeParse: (v: unknown) => { success: true; data: T } | { success: false; error: { issues: Array<{ message: string }> } } }, value: string, field: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new DomainError("validation_failed", r.error.issues[0]?.message ?? "Invalid value", { field });
  return r.data;
}
