import { withTenant, writeBehind, type DB, type Trx } from "~/db.server";
import { DomainError } from "~/lib/errors";

export interface IdempotentRequest {
  key: string;
  method: string;
  path: string;
  /** From `requestHash(body)`. */
  requestHash: string;
}

export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface IdempotencyOptions {
  /**
   * "first" (the default): the key is claimed before the write, so a concurrent duplicate waits for the first.
   * "with-response": the write runs first and the key is stored with its response by one statement sent with the
   * commit, two round trips fewer on the hot path (POST /orders). Only for writes that touch nothing outside the
   * database: a duplicate runs the write too, finds the key taken, and its transaction rolls back; then it answers
   * exactly as "first" would (the stored response, or idempotency_conflict).
   */
  claim?: "first" | "with-response";
}

/**
 * Runs a write at most once per (merchant, idempotency key), Stripe-style:
 *  - the key is claimed with `insert … on conflict do nothing` in the SAME transaction as the write, and the
 *    response is stored in that transaction too, so the effect and its record commit (or vanish) together;
 *  - a concurrent duplicate blocks on the primary key until the first transaction ends, then reads the stored
 *    response (read committed: the next statement sees the committed row) and replays it;
 *  - the same key with another method, path or body is a 409 `idempotency_conflict` and writes nothing;
 *  - if the write fails (a DomainError such as 409 `email_taken`), the claim rolls back with it: failures are not
 *    stored, so the client may fix the cause and retry with the same key.
 * Every response, the first included, is the one read back from the stored row, so all of them are byte-identical.
 */
export async function withIdempotency(
  database: DB,
  merchantId: string,
  request: IdempotentRequest,
  write: (trx: Trx) => Promise<StoredResponse>,
  opts: IdempotencyOptions = {},
): Promise<StoredResponse & { replayed: boolean }> {
  if (opts.claim === "with-response") return storeWithResponse(database, merchantId, request, write);
  return withTenant(database, merchantId, async (trx) => {
    const prior = await claimOrReplay(trx, merchantId, request);
    if (prior) return prior;

    const response = await write(trx);
    const stored = await trx
      .updateTable("idempotency_keys")
      .set({ response_status: response.status, response_body: JSON.stringify(response.body) })
      .where("merchant_id", "=", merchantId)
      .where("key", "=", request.key)
      .returning(["response_status", "response_body"])
      .executeTakeFirstOrThrow();
    return { status: stored.response_status!, body: stored.response_body, replayed: false };
  });
}

async function storeWithResponse(
  database: DB,
  merchantId: string,
  request: IdempotentRequest,
  write: (trx: Trx) => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  try {
    return await withTenant(database, merchantId, async (trx) => {
      const response = await write(trx);
      const text = JSON.stringify(response.body);
      // Sent with the commit (no round trip of its own, nothing read back): a key already taken fails the commit on
      // its primary key, and the write rolls back with it.
      await writeBehind(
        trx,
        trx
          .insertInto("idempotency_keys")
          .values({
            merchant_id: merchantId,
            key: request.key,
            method: request.method,
            path: request.path,
            request_hash: request.requestHash,
            response_status: response.status,
            response_body: text,
          })
          .compile(),
      );
      // What a replay reads back from the jsonb column: the same values, the keys in jsonb's order.
      return { status: response.status, body: asJsonb(JSON.parse(text)), replayed: false };
    });
  } catch (err) {
    // The key may have been used first (the write can fail because of that request, e.g. its order exists): what
    // that request stored decides, as if the key had been claimed first. Otherwise the write's own error stands.
    // A failure to find out (not a conflict) leaves the write's own error to report.
    const prior = await storedFor(database, merchantId, request).catch((e: unknown) => {
      if (e instanceof DomainError) throw e;
      return null;
    });
    if (prior) return prior;
    if (keyTaken(err)) throw new DomainError("idempotency_conflict", "A request with this Idempotency-Key is still in progress");
    throw err;
  }
}

/** The key's row was there at commit (primary key (merchant_id, key) of idempotency_keys). */
function keyTaken(err: unknown): boolean {
  const e = err as { code?: string; table?: string } | null;
  return e?.code === "23505" && e.table === "idempotency_keys";
}

/** A parsed JSON value with every object's keys in jsonb's order (shorter first, then bytewise), as jsonb returns it. */
export function asJsonb(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asJsonb);
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value).sort((a, b) => {
    const x = Buffer.from(a);
    const y = Buffer.from(b);
    return x.length - y.length || Buffer.compare(x, y);
  });
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = asJsonb((value as Record<string, unknown>)[k]);
  return out;
}

/**
 * The stored response for this key (replayed), idempotency_conflict for another request, or null when the key is
 * free. Claims the key to find out, which waits for a transaction still holding it, then rolls the claim back.
 */
async function storedFor(database: DB, merchantId: string, request: IdempotentRequest): Promise<(StoredResponse & { replayed: true }) | null> {
  const free = Symbol("free");
  try {
    return await withTenant(database, merchantId, async (trx) => {
      const prior = await claimOrReplay(trx, merchantId, request);
      if (!prior) throw free;
      return prior;
    });
  } catch (e) {
    if (e === free) return null;
    throw e;
  }
}

/**
 * Claims the key in the caller's transaction (null: claimed, the caller writes) or returns the response stored for it;
 * idempotency_conflict when the key belongs to another request or is still in progress.
 */
async function claimOrReplay(trx: Trx, merchantId: string, request: IdempotentRequest): Promise<(StoredResponse & { replayed: true }) | null> {
  const claimed = await trx
    .insertInto("idempotency_keys")
    .values({ merchant_id: merchantId, key: request.key, method: request.method, path: request.path, request_hash: request.requestHash })
    .onConflict((oc) => oc.doNothing())
    .returning("key")
    .executeTakeFirst();
  if (claimed) return null;
  const prior = await trx
    .selectFrom("idempotency_keys")
    .select(["method", "path", "request_hash", "response_status", "response_body"])
    .where("merchant_id", "=", merchantId)
    .where("key", "=", request.key)
    .executeTakeFirstOrThrow();
  if (prior.method !== request.method || prior.path !== request.path || prior.request_hash !== request.requestHash) {
    throw new DomainError("idempotency_conflict", "This Idempotency-Key was already used for a different request; use a new key for a new request", {
      field: "Idempotency-Key",
    });
  }
  // While claim and response share a transaction this only happens to `storedFor`'s probe of a key in flight.
  if (prior.response_status === null) throw new DomainError("idempotency_conflict", "A request with this Idempotency-Key is still in progress");
  return { status: prior.response_status, body: prior.response_body, replayed: true };
}
