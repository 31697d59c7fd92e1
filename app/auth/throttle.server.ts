import type { DB, Trx } from "~/db.server";
import { DomainError } from "~/lib/errors";
import { now } from "~/lib/clock.server";
import {
  accountSourceKey,
  backoffSeconds,
  FAILURE_MEMORY_MS,
  INVALID_LOGIN_MESSAGE,
  secondsUntil,
  sourceBackoffSeconds,
  throttledMessage,
  throttleSource,
} from "./throttle";

/** Where a login attempt comes from: the client IP from `clientIp(request)`, or null outside an HTTP request. */
export interface LoginOrigin {
  ip: string | null;
}

/** Seconds the caller must still wait before this key may try a password again (0 = go ahead). */
export async function throttleWait(database: DB, key: string): Promise<number> {
  const row = await database.selectFrom("login_throttle").select("next_allowed_at").where("key", "=", key).executeTakeFirst();
  return row ? secondsUntil(row.next_allowed_at, now()) : 0;
}

interface Counter {
  key: string;
  account: string | null;
  backoff: (failures: number) => number;
}

/** The rows an attempt is counted against: the account for this source, and the source's budget across accounts. */
function countersFor(accountKey: string, ip: string | null): Counter[] {
  const source = throttleSource(ip);
  const counters: Counter[] = [{ key: accountSourceKey(accountKey, source), account: accountKey, backoff: backoffSeconds }];
  if (source) counters.push({ key: source, account: null, backoff: sourceBackoffSeconds });
  // One lock order for every transaction, so two attempts never wait on each other's rows in a cycle.
  return counters.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Claims one password attempt for `accountKey` from `ip`, or says how long to wait (the longer of the account's
 * wait for this source and the source's own). The attempt is counted as a failure up front, under row locks, so
 * parallel guesses cannot all slip through the same open window; a success takes it back. The locks are held for a
 * few short statements only, never across the password hash.
 */
export async function claimLoginAttempt(database: DB, accountKey: string, ip: string | null = null, t: Date = now()): Promise<number> {
  const counters = countersFor(accountKey, ip);
  return database.transaction().execute(async (trx) => {
    const rows = [];
    for (const c of counters) {
      await trx
        .insertInto("login_throttle")
        .values({ key: c.key, account: c.account, failures: 0, next_allowed_at: t, updated_at: t })
        .onConflict((oc) => oc.column("key").doNothing())
        .execute();
      rows.push(await trx.selectFrom("login_throttle").selectAll().where("key", "=", c.key).forUpdate().executeTakeFirstOrThrow());
    }
    const wait = Math.max(...rows.map((r) => secondsUntil(r.next_allowed_at, t)));
    if (wait > 0) return wait;
    for (const [i, c] of counters.entries()) {
      const row = rows[i]!;
      // A key quiet for an hour starts counting afresh.
      const failures = (row.updated_at.getTime() < t.getTime() - FAILURE_MEMORY_MS ? 0 : row.failures) + 1;
      await trx
        .updateTable("login_throttle")
        .set({ failures, next_allowed_at: new Date(t.getTime() + c.backoff(failures) * 1000), updated_at: t })
        .where("key", "=", c.key)
        .execute();
    }
    return 0;
  });
}

/**
 * After a correct password: the account starts afresh for this source, and the source gets back the failure
 * counted up front at `claimedAt` (a busy office behind one address must not run out of budget by logging in).
 * Its other failures stay, so logging in to one's own account does not buy fresh guesses at others.
 */
async function recordLoginSuccess(database: DB, accountKey: string, ip: string | null, claimedAt: Date): Promise<void> {
  const source = throttleSource(ip);
  await database.deleteFrom("login_throttle").where("key", "=", accountSourceKey(accountKey, source)).execute();
  if (!source) return;
  await database.transaction().execute(async (trx: Trx) => {
    const row = await trx.selectFrom("login_throttle").selectAll().where("key", "=", source).forUpdate().executeTakeFirst();
    if (!row || row.failures <= 0) return;
    // The claim found the source free; unless a later attempt has been counted since, it is free again.
    const latest = row.updated_at.getTime() === claimedAt.getTime();
    await trx
      .updateTable("login_throttle")
      .set({ failures: row.failures - 1, ...(latest && row.next_allowed_at > claimedAt ? { next_allowed_at: claimedAt } : {}) })
      .where("key", "=", source)
      .execute();
  });
}

/** Forgets every failure recorded against an account, from any source (after a password reset). */
export async function clearLoginFailures(database: DB, accountKey: string): Promise<void> {
  await database
    .deleteFrom("login_throttle")
    .where((eb) => eb.or([eb("account", "=", accountKey), eb("key", "=", accountKey)]))
    .execute();
}

/**
 * Deletes rows that no longer change any decision: quiet for longer than the failure memory (the count would
 * restart at zero) and past their wait (the longest backoff is far shorter than the memory). Run by a job.
 */
export async function pruneLoginThrottle(database: DB, at: Date = now()): Promise<number> {
  const result = await database
    .deleteFrom("login_throttle")
    .where("updated_at", "<", new Date(at.getTime() - FAILURE_MEMORY_MS))
    .where("next_allowed_at", "<=", at)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Runs a password check under the throttle (S6): while the key is throttled the password is not even looked at.
 * `check` returns the account on success or null on any failure (unknown account, wrong password, blocked).
 * Throws DomainError rate_limited (429) or unauthenticated (401) with one message for every kind of failure.
 */
export async function throttledLogin<T>(database: DB, accountKey: string, origin: LoginOrigin, check: () => Promise<T | null>): Promise<T> {
  const claimedAt = now();
  const wait = await claimLoginAttempt(database, accountKey, origin.ip, claimedAt);
  if (wait > 0) throw new DomainError("rate_limited", throttledMessage(wait));
  const result = await check();
  if (result === null) throw new DomainError("unauthenticated", INVALID_LOGIN_MESSAGE);
  await recordLoginSuccess(database, accountKey, origin.ip, claimedAt);
  return result;
}
