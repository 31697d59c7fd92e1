import type { DB } from "~/db.server";
import { DomainError } from "~/lib/errors";
import { now } from "./clock.server";
import { backoffSeconds, FAILURE_MEMORY_MS, INVALID_LOGIN_MESSAGE, secondsUntil, throttledMessage } from "./throttle";

/** Seconds the caller must still wait before this key may try a password again (0 = go ahead). */
export async function throttleWait(database: DB, key: string): Promise<number> {
  const row = await database.selectFrom("login_throttle").select("next_allowed_at").where("key", "=", key).executeTakeFirst();
  return row ? secondsUntil(row.next_allowed_at, now()) : 0;
}

/**
 * Claims one password attempt for `key`, or says how long to wait. The attempt is counted as a failure up front,
 * under a row lock, so parallel guesses cannot all slip through the same open window; a success clears the count.
 * The lock is held for three short statements only, never across the password hash.
 */
export async function claimLoginAttempt(database: DB, key: string): Promise<number> {
  const t = now();
  return database.transaction().execute(async (trx) => {
    await trx
      .insertInto("login_throttle")
      .values({ key, failures: 0, next_allowed_at: t, updated_at: t })
      .onConflict((oc) => oc.column("key").doNothing())
      .execute();
    const row = await trx.selectFrom("login_throttle").selectAll().where("key", "=", key).forUpdate().executeTakeFirstOrThrow();
    const wait = secondsUntil(row.next_allowed_at, t);
    if (wait > 0) return wait;
    // A key quiet for an hour starts counting afresh.
    const failures = (row.updated_at.getTime() < t.getTime() - FAILURE_MEMORY_MS ? 0 : row.failures) + 1;
    await trx
      .updateTable("login_throttle")
      .set({ failures, next_allowed_at: new Date(t.getTime() + backoffSeconds(failures) * 1000), updated_at: t })
      .where("key", "=", key)
      .execute();
    return 0;
  });
}

export async function clearLoginFailures(database: DB, key: string): Promise<void> {
  await database.deleteFrom("login_throttle").where("key", "=", key).execute();
}

/**
 * Runs a password check under the throttle (S6): while the key is throttled the password is not even looked at.
 * `check` returns the account on success or null on any failure (unknown account, wrong password, blocked).
 * Throws DomainError rate_limited (429) or unauthenticated (401) with one message for every kind of failure.
 */
export async function throttledLogin<T>(database: DB, key: string, check: () => Promise<T | null>): Promise<T> {
  const wait = await claimLoginAttempt(database, key);
  if (wait > 0) throw new DomainError("rate_limited", throttledMessage(wait));
  const result = await check();
  if (result === null) throw new DomainError("unauthenticated", INVALID_LOGIN_MESSAGE);
  await clearLoginFailures(database, key);
  return result;
}
