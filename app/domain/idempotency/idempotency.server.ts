import { withTenant, type DB, type Trx } from "~/db.server";
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
): Promise<StoredResponse & { replayed: boolean }> {
  return withTenant(database, merchantId, async (trx) => {
    const claimed = await trx
      .insertInto("idempotency_keys")
      .values({ merchant_id: merchantId, key: request.key, method: request.method, path: request.path, request_hash: request.requestHash })
      .onConflict((oc) => oc.doNothing())
      .returning("key")
      .executeTakeFirst();

    if (!claimed) {
      const prior = await trx
        .selectFrom("idempotency_keys")
        .select(["method", "path", "request_hash", "response_status", "response_body"])
        .where("merchant_id", "=", merchantId)
        .where("key", "=", request.key)
        .executeTakeFirstOrThrow();
      if (prior.method !== request.method || prior.path !== request.path || prior.request_hash !== request.requestHash) {
        throw new DomainError(
          "idempotency_conflict",
          "This Idempotency-Key was already used for a different request; use a new key for a new request",
          { field: "Idempotency-Key" },
        );
      }
      // Cannot happen while claim and response share a transaction; kept as a guard should that ever change.
      if (prior.response_status === null) throw new DomainError("idempotency_conflict", "A request with this Idempotency-Key is still in progress");
      return { status: prior.response_status, body: prior.response_body, replayed: true };
    }

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
