import { sql } from "kysely";
import pg from "pg";
import { afterEach, describe, expect, it, vi } from "vitest";
import { advanceClock, resetClock } from "~/lib/clock.server";
import { hashSecret } from "~/auth/tokens.server";
import { withTenant } from "~/db.server";
import { authenticateApiKey, createApiKey, revokeApiKey } from "~/domain/api-keys/api-keys.server";
import { parseApiToken } from "~/domain/api-keys/token";
import { DomainError } from "~/lib/errors";
import { action, loader } from "~/routes/admin.$merchant.settings.api-keys";
import { createStaff, getRequest, postRequest, thrownResponse } from "../../support/admin";
import { api, countRows, createKey, createMerchant } from "../../support/api";
import { ownerUrl, testDb } from "../../support/db";
import { withHttpStatus } from "../../support/errors";
import { statementsSent } from "../../support/sql-sent";

afterEach(() => resetClock());

async function keyRow(merchantId: string, keyId: string) {
  return withTenant(testDb(), merchantId, (trx) => trx.selectFrom("api_keys").selectAll().where("id", "=", keyId).executeTakeFirstOrThrow());
}

async function auditActions(merchantId: string) {
  return withTenant(testDb(), merchantId, (trx) =>
    trx.selectFrom("audit_log").select(["action", "actor_type", "actor_id", "target_id", "after"]).orderBy("created_at").execute(),
  );
}

async function authError(header: string | null): Promise<DomainError> {
  const err = await authenticateApiKey(testDb(), header).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

describe("API keys (domain)", () => {
  it("creates a key whose token authenticates to its merchant and scopes", async () => {
    const m = await createMerchant();
    const { token, apiKey } = await createKey(m.id, ["members:read"]);
    expect(token).toMatch(/^prn_[a-z2-7]{26}_[a-z2-7]{32}$/);
    expect(apiKey.tokenPrefix).toBe(token.slice(0, 12));
    const auth = await authenticateApiKey(testDb(), `Bearer ${token}`);
    expect(auth).toEqual({ merchantId: m.id, keyId: apiKey.id, scopes: ["members:read"] });
  });

  it("never stores the secret, only its SHA-256", async () => {
    const m = await createMerchant();
    const { token, apiKey } = await createKey(m.id);
    const { secret } = parseApiToken(token)!;
    const row = await keyRow(m.id, apiKey.id);
    expect(Buffer.compare(row.secret_hash, hashSecret(secret))).toBe(0);
    // Neither the token nor the secret appears anywhere in the row or the audit log.
    const dump = JSON.stringify({ ...row, secret_hash: row.secret_hash.toString("hex") }) + JSON.stringify(await auditActions(m.id));
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(token);
    expect(row.token_prefix).toBe(token.slice(0, 12));
  });

  it("audits creation and revocation", async () => {
    const m = await createMerchant();
    const owner = await createStaff(m.id, "owner");
    const { apiKey } = await createApiKey(testDb(), m.id, { name: "Sync", scopes: ["members:write"], createdBy: owner.id });
    await revokeApiKey(testDb(), m.id, apiKey.id, { type: "staff", id: owner.id });
    await revokeApiKey(testDb(), m.id, apiKey.id, { type: "staff", id: owner.id }); // idempotent: audited once
    const entries = await auditActions(m.id);
    expect(entries.map((e) => [e.action, e.actor_type, e.actor_id, e.target_id])).toEqual([
      ["api_key.created", "staff", owner.id, apiKey.id],
      ["api_key.revoked", "staff", owner.id, apiKey.id],
    ]);
    expect(entries[0]!.after).toEqual({ name: "Sync", scopes: ["members:write"], token_prefix: apiKey.tokenPrefix });
  });

  it("rejects invalid input from any caller (the CLI included) without writing", async () => {
    const m = await createMerchant();
    await expect(createApiKey(testDb(), m.id, { name: "", scopes: ["members:read"], createdBy: null })).rejects.toMatchObject({ code: "validation_failed", field: "name" });
    await expect(createApiKey(testDb(), m.id, { name: "x", scopes: ["root" as never], createdBy: null })).rejects.toMatchObject({ code: "validation_failed" });
    expect(await countRows(m.id, "api_keys")).toBe(0);
  });

  it("refuses revoked, unknown, wrong-secret, malformed and missing keys with 401", async () => {
    const m = await createMerchant();
    const { token, apiKey } = await createKey(m.id);
    const { secret } = parseApiToken(token)!;
    const wrongSecret = token.slice(0, -secret.length) + (secret[0] === "a" ? "b" : "a") + secret.slice(1);
    const unknownKey = `prn_${"a".repeat(26)}_${secret}`;
    for (const header of [null, "", "Basic dXNlcjpwYXNz", "Bearer", `Bearer ${wrongSecret}`, `Bearer ${unknownKey}`, `Bearer ${token}x`, token]) {
      const err = await authError(header);
      expect(withHttpStatus(err), String(header)).toMatchObject({ status: 401 });
      expect(err.code).toBe("unauthenticated");
    }
    await revokeApiKey(testDb(), m.id, apiKey.id, { type: "system", id: null });
    const err = await authError(`Bearer ${token}`);
    expect(withHttpStatus(err)).toMatchObject({ status: 401, message: expect.stringMatching(/revoked/) });
  });

  it("updates last_used_at at most once a minute", async () => {
    const m = await createMerchant();
    const { token, apiKey } = await createKey(m.id);
    expect((await keyRow(m.id, apiKey.id)).last_used_at).toBeNull();
    await authenticateApiKey(testDb(), `Bearer ${token}`);
    const first = (await keyRow(m.id, apiKey.id)).last_used_at;
    expect(first).toBeInstanceOf(Date);
    advanceClock(30_000);
    await authenticateApiKey(testDb(), `Bearer ${token}`);
    expect((await keyRow(m.id, apiKey.id)).last_used_at).toEqual(first);
    advanceClock(31_000);
    await authenticateApiKey(testDb(), `Bearer ${token}`);
    const third = (await keyRow(m.id, apiKey.id)).last_used_at!;
    expect(third.getTime()).toBeGreaterThan(first!.getTime() + 60_000);
  });

  it("looks keys up only through the SECURITY DEFINER door (api_keys stays RLS-protected)", async () => {
    const m = await createMerchant();
    const { apiKey } = await createKey(m.id);
    const direct = await testDb().selectFrom("api_keys").select("id").where("id", "=", apiKey.id).execute();
    expect(direct).toEqual([]);
    const viaDoor = await sql<{ merchant_id: string }>`select merchant_id from auth_api_key_lookup(${apiKey.id})`.execute(testDb());
    expect(viaDoor.rows).toEqual([{ merchant_id: m.id }]);
  });
});

describe("the key cache (issue 14)", () => {
  it("a known key is looked up once within the TTL; a revocation by another process is honoured once the TTL has passed", async () => {
    const m = await createMerchant();
    const { token, apiKey } = await createKey(m.id);
    await authenticateApiKey(testDb(), `Bearer ${token}`);
    // Revoked behind this process's back (the CLI or another server): the cached row still answers for up to 5 s.
    await withTenant(testDb(), m.id, (trx) => trx.updateTable("api_keys").set({ revoked_at: new Date() }).where("id", "=", apiKey.id).execute());
    await expect(authenticateApiKey(testDb(), `Bearer ${token}`)).resolves.toMatchObject({ keyId: apiKey.id });
    const later = Date.now() + 5_001;
    const spy = vi.spyOn(Date, "now").mockReturnValue(later);
    try {
      await expect(authenticateApiKey(testDb(), `Bearer ${token}`)).rejects.toMatchObject({ code: "unauthenticated", message: expect.stringMatching(/revoked/) });
    } finally {
      spy.mockRestore();
    }
  });

  it("the secret is checked on every request, also against a cached key", async () => {
    const m = await createMerchant();
    const { token } = await createKey(m.id);
    await authenticateApiKey(testDb(), `Bearer ${token}`);
    const { secret } = parseApiToken(token)!;
    const wrongSecret = token.slice(0, -secret.length) + (secret[0] === "a" ? "b" : "a") + secret.slice(1);
    expect((await authError(`Bearer ${wrongSecret}`)).code).toBe("unauthenticated");
  });
});

/** As the owner (no RLS): what an operator or a bug could do to the directory behind the app's back. */
async function asOwner(text: string, values: unknown[]) {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query(text, values);
  } finally {
    await client.end();
  }
}

describe("the key directory (issue 15: the lookup before the merchant is known)", () => {
  it("is written with the key, and the app sees only its own merchant's rows", async () => {
    const a = await createMerchant();
    const b = await createMerchant();
    const { apiKey: keyA } = await createKey(a.id);
    const { apiKey: keyB } = await createKey(b.id);
    expect(await testDb().selectFrom("api_key_directory").selectAll().execute()).toEqual([]);
    const seenByA = await withTenant(testDb(), a.id, (trx) => trx.selectFrom("api_key_directory").selectAll().execute());
    expect(seenByA).toEqual([{ key_id: keyA.id, merchant_id: a.id }]);
    // Merchant A cannot point a key id at merchant B.
    await expect(
      withTenant(testDb(), a.id, (trx) => trx.insertInto("api_key_directory").values({ key_id: "key_forged", merchant_id: b.id }).execute()),
    ).rejects.toThrow(/row-level security/);
    expect(keyB.id).not.toBe(keyA.id);
  });

  it("a key authenticates only as the merchant that holds it, whatever the directory says", async () => {
    const a = await createMerchant();
    const b = await createMerchant();
    const { token, apiKey } = await createKey(a.id);
    // The directory names B: the lookup reads api_keys pinned to B, where the key is not, so the key is unknown.
    await asOwner("update api_key_directory set merchant_id = $1 where key_id = $2", [b.id, apiKey.id]);
    expect((await authError(`Bearer ${token}`)).message).toBe("Invalid API key");
    // No directory row: unknown too.
    await asOwner("delete from api_key_directory where key_id = $1", [apiKey.id]);
    expect((await authError(`Bearer ${token}`)).message).toBe("Invalid API key");
    await asOwner("insert into api_key_directory (key_id, merchant_id) values ($1, $2)", [apiKey.id, a.id]);
    await expect(authenticateApiKey(testDb(), `Bearer ${token}`)).resolves.toMatchObject({ merchantId: a.id, keyId: apiKey.id });
  });

  it("costs one statement on a cache miss (the door reads directory and key inside it) and none on a hit", async () => {
    const m = await createMerchant();
    const { token } = await createKey(m.id);
    const [, miss] = await statementsSent(() => authenticateApiKey(testDb(), `Bearer ${token}`));
    expect(miss.filter((q) => /auth_api_key_lookup/.test(q))).toHaveLength(1);
    expect(miss.filter((q) => /api_key_directory/.test(q))).toEqual([]);
    // Cached, and last_used_at touched within the minute: nothing is sent.
    const [, hit] = await statementsSent(() => authenticateApiKey(testDb(), `Bearer ${token}`));
    expect(hit).toEqual([]);
  });
});

describe("API keys over HTTP", () => {
  it("a revoked key gets a JSON 401", async () => {
    const m = await createMerchant();
    const { token, apiKey } = await createKey(m.id);
    expect((await api("GET", "/api/v1/members", { token })).status).toBe(200);
    await revokeApiKey(testDb(), m.id, apiKey.id, { type: "system", id: null });
    const res = await api("GET", "/api/v1/members", { token });
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ error: { code: "unauthenticated", message: "This API key has been revoked" } });
  });

  it("a key without the needed scope gets 403 insufficient_scope and writes nothing", async () => {
    const m = await createMerchant();
    const readOnly = await createKey(m.id, ["members:read"]);
    const writeOnly = await createKey(m.id, ["members:write"]);
    const post = await api("POST", "/api/v1/members", { token: readOnly.token, body: { email: "scope@example.com" } });
    expect(post.status).toBe(403);
    expect(post.json.error.code).toBe("insufficient_scope");
    expect(await countRows(m.id, "members")).toBe(0);
    for (const path of ["/api/v1/members", "/api/v1/members/mbr_aaaaaaaaaaaaaaaaaaaaaaaaaa"]) {
      const get = await api("GET", path, { token: writeOnly.token });
      expect(get.status, path).toBe(403);
      expect(get.json.error.code).toBe("insufficient_scope");
    }
  });
});

describe("settings page: /admin/$merchant/settings/api-keys", () => {
  const path = (slug: string) => `/admin/${slug}/settings/api-keys`;
  const args = (request: Request, slug: string) => ({ request, params: { merchant: slug }, context: {} });

  it("lets an owner create a key, shows the token once, and lists it without the secret", async () => {
    const m = await createMerchant();
    const owner = await createStaff(m.id, "owner");
    const res = await action(
      args(
        postRequest(path(m.slug), owner.cookie, [
          ["intent", "create"],
          ["name", "Shopify sync"],
          ["scopes", "members:read"],
          ["scopes", "members:write"],
        ]),
        m.slug,
      ),
    );
    const result = (res as { data: { created: { name: string; token: string } } }).data;
    expect(result.created.name).toBe("Shopify sync");
    const token: string = result.created.token;
    expect(parseApiToken(token)).not.toBeNull();
    expect((await authenticateApiKey(testDb(), `Bearer ${token}`)).scopes).toEqual(["members:read", "members:write"]);

    const page = await loader(args(getRequest(path(m.slug), owner.cookie), m.slug));
    expect(page.canManage).toBe(true);
    expect(page.keys).toHaveLength(1);
    expect(page.keys[0]).toMatchObject({ name: "Shopify sync", tokenPrefix: token.slice(0, 12), scopes: ["members:read", "members:write"], revokedAt: null });
    expect(page.keys[0]!.createdBy).toMatchObject({ id: owner.id });
    expect(JSON.stringify(page)).not.toContain(parseApiToken(token)!.secret);
  });

  it("lets an owner revoke a key", async () => {
    const m = await createMerchant();
    const owner = await createStaff(m.id, "owner");
    const { apiKey } = await createKey(m.id);
    await action(args(postRequest(path(m.slug), owner.cookie, { intent: "revoke", keyId: apiKey.id }), m.slug));
    const page = await loader(args(getRequest(path(m.slug), owner.cookie), m.slug));
    expect(page.keys[0]!.revokedAt).toBeInstanceOf(Date);
    expect((await auditActions(m.id)).map((e) => e.action)).toContain("api_key.revoked");
  });

  it("answers bad input with 400 and field errors, writing nothing", async () => {
    const m = await createMerchant();
    const owner = await createStaff(m.id, "owner");
    const cases: Array<[Record<string, string> | Array<[string, string]>, string]> = [
      [{ intent: "create", name: "", scopes: "members:read" }, "name"],
      [{ intent: "create", name: "x".repeat(10_001), scopes: "members:read" }, "name"],
      [{ intent: "create", name: "No scopes" }, "scopes"],
      [{ intent: "create", name: "Bad scope", scopes: "admin:all" }, "scopes[0]"],
      [{ intent: "bogus" }, "intent"],
    ];
    for (const [form, field] of cases) {
      const res = (await action(args(postRequest(path(m.slug), owner.cookie, form), m.slug))) as {
        data: { result: { error?: Record<string, unknown> }; created: unknown };
        init: ResponseInit | null;
      };
      expect(res.init?.status, JSON.stringify(form).slice(0, 80)).toBe(400);
      expect(Object.keys(res.data.result.error ?? {})).toContain(field);
      expect(res.data.created).toBeNull();
    }
    expect(await countRows(m.id, "api_keys")).toBe(0);
    expect(await countRows(m.id, "audit_log")).toBe(0);
  });

  it("a revoke of another merchant's key id is a 404 and changes nothing", async () => {
    const a = await createMerchant();
    const b = await createMerchant();
    const ownerA = await createStaff(a.id, "owner");
    const { apiKey: keyOfB, token } = await createKey(b.id);
    const res = await thrownResponse(() => action(args(postRequest(path(a.slug), ownerA.cookie, { intent: "revoke", keyId: keyOfB.id }), a.slug)));
    expect(res.status).toBe(404);
    await expect(authenticateApiKey(testDb(), `Bearer ${token}`)).resolves.toMatchObject({ merchantId: b.id });
  });

  it.each(["admin", "analyst"] as const)("lets an %s view the list but not create or revoke (403)", async (role) => {
    const m = await createMerchant();
    const staff = await createStaff(m.id, role);
    const { apiKey } = await createKey(m.id);
    const page = await loader(args(getRequest(path(m.slug), staff.cookie), m.slug));
    expect(page.canManage).toBe(false);
    expect(page.keys.map((k) => k.id)).toEqual([apiKey.id]);

    const create = await thrownResponse(() =>
      action(args(postRequest(path(m.slug), staff.cookie, { intent: "create", name: "Nope", scopes: "members:read" }), m.slug)),
    );
    expect(create.status).toBe(403);
    const revoke = await thrownResponse(() => action(args(postRequest(path(m.slug), staff.cookie, { intent: "revoke", keyId: apiKey.id }), m.slug)));
    expect(revoke.status).toBe(403);
    expect(await countRows(m.id, "api_keys")).toBe(1);
    expect((await keyRow(m.id, apiKey.id)).revoked_at).toBeNull();
  });

  it("is a 404 for staff of another merchant", async () => {
    const a = await createMerchant();
    const b = await createMerchant();
    const ownerA = await createStaff(a.id, "owner");
    await createKey(b.id);
    const res = await thrownResponse(() => loader(args(getRequest(path(b.slug), ownerA.cookie), b.slug)));
    expect(res.status).toBe(404);
  });
});
