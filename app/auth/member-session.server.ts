import { withBegin, withTenant, type DB, type Trx } from "~/db.server";
import { newId } from "~/lib/ids";
import { now } from "~/lib/clock.server";
import { cookieExpiry, initialExpiry, judgeSession } from "./session-policy";
import { generateSecret, hashSecret, parseToken, secretMatches } from "./tokens.server";

/** Member sessions live per merchant (tenant table), apart from staff sessions: a member of one merchant is unknown to another. */
export interface MemberSession {
  id: string;
  memberId: string;
  merchantId: string;
  expiresAt: Date;
}
export interface MemberSessionMember {
  id: string;
  email: string;
  name: string | null;
  status: string;
}

export async function createMemberSession(
  database: DB,
  merchantId: string,
  memberId: string,
  meta: { ip?: string | null; userAgent?: string | null } = {},
): Promise<{ token: string; session: MemberSession; cookieExpiresAt: Date }> {
  const id = newId("session");
  const secret = generateSecret();
  const t = now();
  const expiresAt = initialExpiry(t);
  await withTenant(database, merchantId, (trx) =>
    trx
      .insertInto("member_sessions")
      .values({
        merchant_id: merchantId,
        id,
        member_id: memberId,
        secret_hash: hashSecret(secret),
        created_at: t,
        last_verified_at: t,
        expires_at: expiresAt,
        ip: meta.ip?.slice(0, 64) ?? null,
        user_agent: meta.userAgent?.slice(0, 512) ?? null,
      })
      .execute(),
  );
  return { token: `${id}.${secret}`, session: { id, memberId, merchantId, expiresAt }, cookieExpiresAt: cookieExpiry(t) };
}

export async function validateMemberSessionToken(
  database: DB,
  merchantId: string,
  token: string | null,
): Promise<{ session: MemberSession; member: MemberSessionMember } | null> {
  const parsed = parseToken(token);
  if (!parsed) return null;
  return withTenant(database, merchantId, async (trx) => {
    // Sent with the transaction's `begin` in one round trip: every portal page a member opens validates the session.
    const query = trx
      .selectFrom("member_sessions as s")
      .innerJoin("members as m", (j) => j.onRef("m.merchant_id", "=", "s.merchant_id").onRef("m.id", "=", "s.member_id"))
      .select(["s.id", "s.secret_hash", "s.created_at", "s.expires_at", "m.id as member_id", "m.email", "m.name", "m.status"])
      .where("s.merchant_id", "=", merchantId)
      .where("s.id", "=", parsed.id);
    const row = (await trx.executeQuery(withBegin(query.compile()))).rows[0];
    if (!row || !secretMatches(parsed.secret, row.secret_hash)) return null;
    const t = now();
    const verdict = judgeSession({ createdAt: row.created_at, expiresAt: row.expires_at }, t);
    if (verdict.kind === "expired" || row.status !== "active") {
      await trx.deleteFrom("member_sessions").where("merchant_id", "=", merchantId).where("id", "=", row.id).execute();
      return null;
    }
    let expiresAt = row.expires_at;
    if (verdict.kind === "renew") {
      expiresAt = verdict.expiresAt;
      await trx
        .updateTable("member_sessions")
        .set({ expires_at: expiresAt, last_verified_at: t })
        .where("merchant_id", "=", merchantId)
        .where("id", "=", row.id)
        .execute();
    }
    return {
      session: { id: row.id, memberId: row.member_id, merchantId, expiresAt },
      member: { id: row.member_id, email: row.email, name: row.name, status: row.status },
    };
  });
}

export async function invalidateMemberSession(database: DB, merchantId: string, sessionId: string): Promise<void> {
  await withTenant(database, merchantId, (trx) =>
    trx.deleteFrom("member_sessions").where("merchant_id", "=", merchantId).where("id", "=", sessionId).execute(),
  );
}

/**
 * On password change, blocking and similar: every session of the member goes, optionally except the one in use.
 * Takes the tenant-scoped transaction that makes the change, so the revocation commits (or rolls back) with it.
 */
export async function invalidateAllMemberSessions(trx: Trx, merchantId: string, memberId: string, exceptSessionId?: string): Promise<void> {
  let q = trx.deleteFrom("member_sessions").where("merchant_id", "=", merchantId).where("member_id", "=", memberId);
  if (exceptSessionId) q = q.where("id", "<>", exceptSessionId);
  await q.execute();
}
