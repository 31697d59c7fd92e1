import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { apiKeyFor, getStripeConnection } from "~/domain/stripe/connection.server";
import { STRIPE_EVENT_TYPES } from "~/domain/stripe/event-types";
import { ingestStripeEvent } from "~/domain/stripe/events.server";
import { decryptSecret } from "~/lib/crypto.server";
import { appUrl } from "~/lib/env.server";
import { action, loader } from "~/routes/admin.$merchant.settings.stripe";
import { createMerchant, createStaff, getRequest, postRequest, thrownResponse } from "../../support/admin";
import { testDb } from "../../support/db";
import { purchaseScenario, webhookSecret } from "../../support/fake-stripe";

/** Settings › Stripe: storing, replacing and removing the credentials; owners only; secrets encrypted at rest. */

process.env.ENCRYPTION_KEY ??= "5e".repeat(32);

const path = (slug: string) => `/admin/${slug}/settings/stripe`;
const args = (request: Request, slug: string) => ({ request, params: { merchant: slug }, context: {} });
const API_KEY = "rk_test_51Habcdefghijklmnopqrstuvwxyz0123456789WXYZ";

type ActionResult = { data: { result: { status?: string; error?: Record<string, string[]> }; saved: string | null }; init: ResponseInit | null };

async function post(slug: string, cookie: string, form: Record<string, string>) {
  return (await action(args(postRequest(path(slug), cookie, form), slug))) as unknown as ActionResult;
}

async function connectionRow(merchantId: string) {
  return withTenant(testDb(), merchantId, (trx) => trx.selectFrom("stripe_connections").selectAll().where("merchant_id", "=", merchantId).executeTakeFirst());
}

async function audit(merchantId: string) {
  return withTenant(testDb(), merchantId, (trx) =>
    trx.selectFrom("audit_log").select(["action", "actor_type", "actor_id", "before", "after"]).where("merchant_id", "=", merchantId).orderBy("created_at").execute(),
  );
}

describe("Settings › Stripe", () => {
  it("shows the webhook URL, the events to subscribe to and that nothing is connected yet", async () => {
    const m = await createMerchant();
    const owner = await createStaff(m.id, "owner");
    const page = await loader(args(getRequest(path(m.slug), owner.cookie), m.slug));
    expect(page.connection).toEqual({ connected: false, apiKeyHint: null, webhookSecretHint: null, updatedAt: null });
    expect(page.webhookUrl).toBe(`${appUrl()}/webhooks/stripe/${m.id}`);
    expect(page.events).toEqual([]);
    expect(STRIPE_EVENT_TYPES).toContain("charge.dispute.funds_withdrawn");
  });

  it("stores both secrets encrypted, shows only hints, audits without the secrets", async () => {
    const m = await createMerchant();
    const owner = await createStaff(m.id, "owner");
    const secret = webhookSecret();
    const res = await post(m.slug, owner.cookie, { intent: "save", apiKey: API_KEY, webhookSecret: secret });
    expect(res.data.saved).toBe("saved");

    const row = (await connectionRow(m.id))!;
    // The raw columns hold ciphertexts, not the secrets.
    const dump = JSON.stringify(row);
    expect(dump).not.toContain(API_KEY);
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(secret.slice(6, 20));
    expect(row.api_key_enc).toMatch(/^v1:[^:]+:[^:]+:[^:]+$/);
    expect(row.webhook_secret_enc).toMatch(/^v1:/);
    expect(decryptSecret(row.api_key_enc!, { merchantId: m.id, purpose: "stripe.api_key" })).toBe(API_KEY);
    expect(decryptSecret(row.webhook_secret_enc!, { merchantId: m.id, purpose: "stripe.webhook_secret" })).toBe(secret);
    expect(row).toMatchObject({ api_key_hint: "rk_test_…WXYZ", webhook_secret_hint: `whsec_…${secret.slice(-4)}`, updated_by: owner.id });

    const page = await loader(args(getRequest(path(m.slug), owner.cookie), m.slug));
    expect(page.connection).toMatchObject({ connected: true, apiKeyHint: "rk_test_…WXYZ", webhookSecretHint: `whsec_…${secret.slice(-4)}` });
    expect(JSON.stringify(page)).not.toContain(secret);
    expect(JSON.stringify(page)).not.toContain(API_KEY);

    const entries = await audit(m.id);
    expect(entries).toEqual([
      expect.objectContaining({ action: "stripe.connected", actor_type: "staff", actor_id: owner.id, after: { api_key: "rk_test_…WXYZ", webhook_secret: `whsec_…${secret.slice(-4)}` } }),
    ]);
    expect(JSON.stringify(entries)).not.toContain(secret);
  });

  it("replaces one credential and keeps the other when its field is left empty", async () => {
    const m = await createMerchant();
    const owner = await createStaff(m.id, "owner");
    const first = webhookSecret();
    await post(m.slug, owner.cookie, { intent: "save", apiKey: API_KEY, webhookSecret: first });
    const second = webhookSecret();
    const res = await post(m.slug, owner.cookie, { intent: "save", apiKey: "", webhookSecret: second });
    expect(res.data.saved).toBe("saved");
    const row = (await connectionRow(m.id))!;
    expect(decryptSecret(row.webhook_secret_enc!, { merchantId: m.id, purpose: "stripe.webhook_secret" })).toBe(second);
    expect(await apiKeyFor(testDb(), m.id)).toBe(API_KEY);
    expect((await audit(m.id)).map((a) => a.action)).toEqual(["stripe.connected", "stripe.credentials_updated"]);
  });

  it("a ciphertext copied to another merchant's row does not decrypt there", async () => {
    const a = await createMerchant();
    const b = await createMerchant();
    const ownerA = await createStaff(a.id, "owner");
    await post(a.slug, ownerA.cookie, { intent: "save", apiKey: API_KEY });
    const stolen = (await connectionRow(a.id))!.api_key_enc!;
    await withTenant(testDb(), b.id, (trx) => trx.insertInto("stripe_connections").values({ merchant_id: b.id, api_key_enc: stolen, api_key_hint: "x", updated_at: new Date() }).execute());
    await expect(apiKeyFor(testDb(), b.id)).rejects.toThrow(/could not be decrypted/);
  });

  it("disconnects: credentials gone, audited, history kept", async () => {
    const m = await createMerchant();
    const owner = await createStaff(m.id, "owner");
    await post(m.slug, owner.cookie, { intent: "save", apiKey: API_KEY, webhookSecret: webhookSecret() });
    await ingestStripeEvent(testDb(), m.id, purchaseScenario({ email: "hist@example.com", amount: 1000 }).disputeEvent("charge.dispute.created", "warning_under_review"), "webhook");
    const res = await post(m.slug, owner.cookie, { intent: "disconnect" });
    expect(res.data.saved).toBe("disconnected");
    expect(await connectionRow(m.id)).toBeUndefined();
    expect(await getStripeConnection(testDb(), m.id)).toMatchObject({ connected: false });
    expect((await audit(m.id)).map((a) => a.action)).toEqual(["stripe.connected", "stripe.disconnected"]);
    const page = await loader(args(getRequest(path(m.slug), owner.cookie), m.slug));
    expect(page.events).toHaveLength(1);
    expect(page.events[0]).toMatchObject({ type: "charge.dispute.created", outcome: expect.stringMatching(/no effect/), receivedVia: "webhook" });
    // Disconnecting twice is harmless and audits nothing more.
    await post(m.slug, owner.cookie, { intent: "disconnect" });
    expect(await audit(m.id)).toHaveLength(2);
  });

  it.each([
    [{ intent: "save", apiKey: "sk_live_51Habcdefghijklmnopqrstuvwxyz" }, "apiKey", /restricted key/],
    [{ intent: "save", apiKey: "pk_test_51Habcdefghijklmnopqrstuvwxyz" }, "apiKey", /restricted key/],
    [{ intent: "save", apiKey: "rk_test_short" }, "apiKey", /does not look like a Stripe key/],
    [{ intent: "save", apiKey: `rk_test_${"a".repeat(300)}` }, "apiKey", /too long/],
    [{ intent: "save", webhookSecret: "not-a-secret" }, "webhookSecret", /whsec_/],
    [{ intent: "save", webhookSecret: "whsec_has spaces in it........" }, "webhookSecret", /whsec_/],
    [{ intent: "save" }, "apiKey", /Enter an API key/],
    [{ intent: "save", apiKey: "", webhookSecret: "" }, "apiKey", /Enter an API key/],
    [{ intent: "nope" }, "intent", /./],
  ])("refuses %o with a field error and writes nothing", async (form, field, message) => {
    const m = await createMerchant();
    const owner = await createStaff(m.id, "owner");
    const res = await post(m.slug, owner.cookie, form as Record<string, string>);
    expect(res.init?.status).toBe(400);
    expect(res.data.saved).toBeNull();
    expect(res.data.result.error?.[field]?.join(" ")).toMatch(message);
    // A submitted secret is never echoed back.
    expect(JSON.stringify(res.data)).not.toContain("51Habcdefghijklmnopqrstuvwxyz");
    expect(await connectionRow(m.id)).toBeUndefined();
    expect(await audit(m.id)).toEqual([]);
  });

  it.each(["admin", "analyst"] as const)("is the owner's alone: an %s gets 403 on the page and on saving", async (role) => {
    const m = await createMerchant();
    const staff = await createStaff(m.id, role);
    expect((await thrownResponse(() => loader(args(getRequest(path(m.slug), staff.cookie), m.slug)))).status).toBe(403);
    const res = await thrownResponse(() => action(args(postRequest(path(m.slug), staff.cookie, { intent: "save", apiKey: API_KEY }), m.slug)));
    expect(res.status).toBe(403);
    expect(await connectionRow(m.id)).toBeUndefined();
  });

  it("another merchant's owner gets 404", async () => {
    const m = await createMerchant();
    const other = await createMerchant();
    const ownerOther = await createStaff(other.id, "owner");
    expect((await thrownResponse(() => loader(args(getRequest(path(m.slug), ownerOther.cookie), m.slug)))).status).toBe(404);
  });

  it("the app role cannot rewrite or delete stored events (append-only)", async () => {
    const m = await createMerchant();
    await ingestStripeEvent(testDb(), m.id, purchaseScenario({ email: "ro@example.com", amount: 100 }).disputeEvent("charge.dispute.created", "warning_needs_response"), "webhook");
    for (const q of [sql`update stripe_events set outcome = 'x'`, sql`delete from stripe_events`]) {
      await expect(withTenant(testDb(), m.id, (trx) => q.execute(trx))).rejects.toThrow(/permission denied/);
    }
  });
});
