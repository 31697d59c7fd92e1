import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import { generateSecret, hashSecret, secretMatches } from "~/auth/tokens.server";
import { withTenant, type DB } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { DomainError, notFound, validationFailed } from "~/lib/errors";
import { newId } from "~/lib/ids";
import { isApiScope, newApiKeySchema, type ApiScope, type NewApiKeyInput } from "./scopes";
import { bearerToken, displayPrefix, formatApiToken, parseApiToken } from "./token";

/** What the settings page lists. Never the secret or its hash. */
export interface ApiKeySummary {
  id: string;
  name: string;
  tokenPrefix: string;
  scopes: ApiScope[];
  createdBy: { id: string; name: string; email: string } | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface ApiKeyAuth {
  merchantId: string;
  keyId: string;
  scopes: ApiScope[];
}

/**
 * Creates a key and returns the full token, the only time it exists in clear: the database keeps SHA-256 of the
 * secret. `createdBy` is the staff user (null from the CLI, audited as the system).
 */
export async function createApiKey(
  database: DB,
  merchantId: string,
  input: NewApiKeyInput & { createdBy: string | null; ip?: string | null },
): Promise<{ apiKey: ApiKeySummary; token: string }> {
  // Routes validate with the same schema; this guard is for the CLI and other callers.
  const parsed = newApiKeySchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw validationFailed(issue.message, issue.path.join(".") || undefined);
  }
  const { name, scopes } = parsed.data;
  const id = newId("apiKey");
  const secret = generateSecret();
  const token = formatApiToken(id, secret);
  const actor: Actor = input.createdBy ? { type: "staff", id: input.createdBy, ip: input.ip } : { type: "system", id: null, ip: input.ip };

  return withTenant(database, merchantId, async (trx) => {
    const row = await trx
      .insertInto("api_keys")
      .values({
        merchant_id: merchantId,
        id,
        name,
        token_prefix: displayPrefix(token),
        secret_hash: hashSecret(secret),
        scopes,
        created_by: input.createdBy,
        created_at: now(),
      })
      .returning(["id", "name", "token_prefix", "scopes", "created_at", "last_used_at", "revoked_at"])
      .executeTakeFirstOrThrow();
    // The directory finds the key's merchant before it is known (auth_api_key_lookup); written here, with the key,
    // never by a trigger: on Citus it is a reference table and api_keys a distributed one (docs/scale-out.md).
    await trx.insertInto("api_key_directory").values({ key_id: id, merchant_id: merchantId }).execute();
    await recordAudit(trx, merchantId, actor, "api_key.created", { type: "api_key", id }, { after: { name, scopes, token_prefix: row.token_prefix } });
    const creator = input.createdBy
      ? await trx.selectFrom("staff_users").select(["id", "name", "email"]).where("id", "=", input.createdBy).executeTakeFirst()
      : undefined;
    return {
      token,
      apiKey: {
        id: row.id,
        name: row.name,
        tokenPrefix: row.token_prefix,
        scopes: row.scopes.filter(isApiScope),
        createdBy: creator ?? null,
        createdAt: row.created_at,
        lastUsedAt: row.last_used_at,
        revokedAt: row.revoked_at,
      },
    };
  });
}

/** Revokes a key of this merchant (idempotent: revoking twice keeps the first time and audits once). */
export async function revokeApiKey(database: DB, merchantId: string, keyId: string, actor: Actor): Promise<void> {
  await withTenant(database, merchantId, async (trx) => {
    const key = await trx
      .selectFrom("api_keys")
      .select(["id", "name", "revoked_at"])
      .where("merchant_id", "=", merchantId)
      .where("id", "=", keyId)
      .forUpdate()
      .executeTakeFirst();
    if (!key) throw notFound("API key");
    if (key.revoked_at) return;
    const revokedAt = now();
    await trx.updateTable("api_keys").set({ revoked_at: revokedAt }).where("merchant_id", "=", merchantId).where("id", "=", keyId).execute();
    await recordAudit(trx, merchantId, actor, "api_key.revoked", { type: "api_key", id: keyId }, { before: { revoked_at: null }, after: { revoked_at: revokedAt.toISOString() } });
  });
  // After the commit; a lookup still in flight from before will not cache what it read (see lookUpKey).
  forgetKey(keyId);
}

export async function listApiKeys(database: DB, merchantId: string): Promise<ApiKeySummary[]> {
  const rows = await withTenant(database, merchantId, (trx) =>
    trx
      .selectFrom("api_keys as k")
      .leftJoin("staff_users as u", "u.id", "k.created_by")
      .select(["k.id", "k.name", "k.token_prefix", "k.scopes", "k.created_at", "k.last_used_at", "k.revoked_at", "u.id as creator_id", "u.name as creator_name", "u.email as creator_email"])
      .where("k.merchant_id", "=", merchantId)
      .orderBy("k.revoked_at", (ob) => ob.desc().nullsFirst())
      .orderBy("k.created_at", "desc")
      .orderBy("k.id", "desc")
      .execute(),
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    tokenPrefix: r.token_prefix,
    scopes: r.scopes.filter(isApiScope),
    createdBy: r.creator_id ? { id: r.creator_id, name: r.creator_name!, email: r.creator_email! } : null,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  }));
}

// A fixed hash to compare against when the key id is unknown, so a miss costs the same as a wrong secret.
const DUMMY_HASH = hashSecret("perennial-no-such-api-key");

// last_used_at is written at most once a minute per key: a busy integration must not turn every read into a write.
const LAST_USED_RESOLUTION_MS = 60_000;
const lastTouched = new Map<string, number>();

/**
 * Resolves `Authorization: Bearer <token>` to the key's merchant and scopes, or throws a 401 DomainError.
 * Missing, malformed, unknown, wrong-secret and revoked keys are all 401; the message differs only once the
 * secret has been proven, so it reveals nothing to someone guessing.
 */
export async function authenticateApiKey(database: DB, authorizationHeader: string | null | undefined): Promise<ApiKeyAuth> {
  if (!authorizationHeader) {
    throw new DomainError("unauthenticated", "Missing API key: send it as `Authorization: Bearer <key>`");
  }
  const parsed = parseApiToken(bearerToken(authorizationHeader));
  if (!parsed) throw new DomainError("unauthenticated", "Invalid API key");

  const row = await lookUpKey(database, parsed.keyId);
  const matches = secretMatches(parsed.secret, row?.secret_hash ?? DUMMY_HASH);
  if (!row || !matches) throw new DomainError("unauthenticated", "Invalid API key");
  if (row.revoked_at) throw new DomainError("unauthenticated", "This API key has been revoked");

  await touchLastUsed(database, row.merchant_id, parsed.keyId);
  return { merchantId: row.merchant_id, keyId: parsed.keyId, scopes: row.scopes.filter(isApiScope) };
}

interface KeyRow {
  merchant_id: string;
  secret_hash: Buffer;
  scopes: string[];
  revoked_at: Date | null;
}

/*
 * Known keys are cached for KEY_CACHE_TTL_MS, saving a round trip on every API request. The secret is still checked
 * against the cached hash each time. Revocation: immediate in this process (revokeApiKey drops the entry), within
 * the TTL in other processes (a key revoked by the CLI or another server). The cache lives on globalThis so the
 * Vite-bundled server and the tsx-loaded code share it (as the pool does), and is bounded: unknown ids are never cached.
 * A miss is one statement: the door reads api_key_directory (the key's merchant, a reference table on Citus) and then
 * api_keys pinned to that merchant, so revocation is always read from api_keys (docs/scale-out.md).
 */
const KEY_CACHE_TTL_MS = 5_000;
const KEY_CACHE_MAX = 5_000;
interface KeyCache {
  rows: Map<string, { row: KeyRow; until: number }>;
  /** Bumped by every revocation here: a lookup that started before one does not cache what it read. */
  revocations: number;
}
const keyCache = ((globalThis as { __perennialApiKeyCache?: KeyCache }).__perennialApiKeyCache ??= { rows: new Map(), revocations: 0 });

async function lookUpKey(database: DB, keyId: string): Promise<KeyRow | undefined> {
  const hit = keyCache.rows.get(keyId);
  if (hit && hit.until > Date.now()) return hit.row;
  const revocations = keyCache.revocations;
  const { rows } = await sql<KeyRow>`select merchant_id, secret_hash, scopes, revoked_at from auth_api_key_lookup(${keyId})`.execute(database);
  const row = rows[0];
  keyCache.rows.delete(keyId);
  if (!row || revocations !== keyCache.revocations) return row;
  if (keyCache.rows.size >= KEY_CACHE_MAX) keyCache.rows.delete(keyCache.rows.keys().next().value!);
  keyCache.rows.set(keyId, { row, until: Date.now() + KEY_CACHE_TTL_MS });
  return row;
}

function forgetKey(keyId: string): void {
  keyCache.revocations++;
  keyCache.rows.delete(keyId);
}

async function touchLastUsed(database: DB, merchantId: string, keyId: string): Promise<void> {
  const t = now();
  const seen = lastTouched.get(keyId);
  if (seen !== undefined && t.getTime() - seen < LAST_USED_RESOLUTION_MS) return;
  lastTouched.set(keyId, t.getTime());
  // The condition makes the write a no-op when another process touched the key within the minute.
  await withTenant(database, merchantId, (trx) =>
    trx
      .updateTable("api_keys")
      .set({ last_used_at: t })
      .where("merchant_id", "=", merchantId)
      .where("id", "=", keyId)
      .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", new Date(t.getTime() - LAST_USED_RESOLUTION_MS))]))
      .execute(),
  );
}

/** Throws 403 `insufficient_scope` unless the key carries `scope`. */
export function requireScope(auth: ApiKeyAuth, scope: ApiScope): void {
  if (!auth.scopes.includes(scope)) {
    throw new DomainError("insufficient_scope", `This API key lacks the \`${scope}\` scope`);
  }
}
