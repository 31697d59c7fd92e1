import type { DB, Trx } from "~/db.server";
import { newId } from "~/lib/ids";
import { now } from "~/lib/clock.server";
import { cookieExpiry, initialExpiry, judgeSession } from "./session-policy";
import { generateSecret, hashSecret, parseToken, secretMatches } from "./tokens.server";

export interface StaffSessionUser {
  id: string;
  email: string;
  name: string;
}
export interface StaffSession {
  id: string;
  staffUserId: string;
  expiresAt: Date;
}

export async function createStaffSession(
  database: DB,
  staffUserId: string,
  meta: { ip?: string | null; userAgent?: string | null } = {},
): Promise<{ token: string; session: StaffSession; cookieExpiresAt: Date }> {
  const id = newId("session");
  const secret = generateSecret();
  const t = now();
  const expiresAt = initialExpiry(t);
  await database
    .insertInto("staff_sessions")
    .values({
      id,
      staff_user_id: staffUserId,
      secret_hash: hashSecret(secret),
      created_at: t,
      last_verified_at: t,
      expires_at: expiresAt,
      ip: meta.ip?.slice(0, 64) ?? null,
      user_agent: meta.userAgent?.slice(0, 512) ?? null,
    })
    .execute();
  return { token: `${id}.${secret}`, session: { id, staffUserId, expiresAt }, cookieExpiresAt: cookieExpiry(t) };
}

export async function validateStaffSessionToken(
  database: DB,
  token: string | null,
): Promise<{ session: StaffSession; user: StaffSessionUser } | null> {
  const parsed = parseToken(token);
  if (!parsed) return null;
  const row = await database
    .selectFrom("staff_sessions as s")
    .innerJoin("staff_users as u", "u.id", "s.staff_user_id")
    .select(["s.id", "s.secret_hash", "s.created_at", "s.expires_at", "u.id as user_id", "u.email", "u.name"])
    .where("s.id", "=", parsed.id)
    .executeTakeFirst();
  if (!row || !secretMatches(parsed.secret, row.secret_hash)) return null;
  const t = now();
  const verdict = judgeSession({ createdAt: row.created_at, expiresAt: row.expires_at }, t);
  if (verdict.kind === "expired") {
    await database.deleteFrom("staff_sessions").where("id", "=", row.id).execute();
    return null;
  }
  let expiresAt = row.expires_at;
  if (verdict.kind === "renew") {
    expiresAt = verdict.expiresAt;
    await database.updateTable("staff_sessions").set({ expires_at: expiresAt, last_verified_at: t }).where("id", "=", row.id).execute();
  }
  return {
    session: { id: row.id, staffUserId: row.user_id, expiresAt },
    user: { id: row.user_id, email: row.email, name: row.name },
  };
}

export async function invalidateStaffSession(database: DB, sessionId: string): Promise<void> {
  await database.deleteFrom("staff_sessions").where("id", "=", sessionId).execute();
}

/**
 * On password change, privilege change and similar: every session of the user goes, optionally except the one in use.
 * Pass the transaction that makes the change, so the revocation commits (or rolls back) with it.
 */
export async function invalidateAllStaffSessions(executor: DB | Trx, staffUserId: string, exceptSessionId?: string): Promise<void> {
  let q = executor.deleteFrom("staff_sessions").where("staff_user_id", "=", staffUserId);
  if (exceptSessionId) q = q.where("id", "<>", exceptSessionId);
  await q.execute();
}
