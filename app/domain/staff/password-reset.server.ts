import { RESET_EMAIL_INTERVAL_MS, RESET_TTL_MINUTES } from "~/auth/account-policy";
import { now } from "~/lib/clock.server";
import { hashPassword } from "~/auth/password.server";
import { invalidateAllStaffSessions } from "~/auth/staff-session.server";
import { staffThrottleKey } from "~/auth/throttle";
import { clearLoginFailures } from "~/auth/throttle.server";
import { generateSecret, hashSecret, parseToken, secretMatches } from "~/auth/tokens.server";
import type { DB } from "~/db.server";
import { enqueuePlatformEmail } from "~/domain/email/outbox.server";
import { DomainError } from "~/lib/errors";
import { isId, newId } from "~/lib/ids";
import { appUrl } from "~/lib/env.server";

export const RESET_INVALID_MESSAGE = "This reset link is invalid, already used or expired. Ask for a new one.";

/**
 * Starts a staff password reset. Says nothing about whether the e-mail exists (the caller always shows the same
 * answer). The token is `<id>.<secret>`; only SHA-256(secret) is stored (S1), it works once, for an hour.
 */
export async function requestStaffPasswordReset(database: DB, email: string): Promise<void> {
  const user = await database.selectFrom("staff_users").select(["id", "email", "name"]).where("email", "=", email.trim()).executeTakeFirst();
  if (!user) return;
  const t = now();
  // One e-mail per account per minute at most, so the form cannot be used to flood an inbox.
  const recent = await database
    .selectFrom("staff_password_resets")
    .select("id")
    .where("staff_user_id", "=", user.id)
    .where("used_at", "is", null)
    .where("created_at", ">", new Date(t.getTime() - RESET_EMAIL_INTERVAL_MS))
    .executeTakeFirst();
  if (recent) return;
  const id = newId("passwordReset");
  const secret = generateSecret();
  await database.transaction().execute(async (trx) => {
    await trx
      .insertInto("staff_password_resets")
      .values({
        id,
        staff_user_id: user.id,
        token_hash: hashSecret(secret),
        created_at: t,
        expires_at: new Date(t.getTime() + RESET_TTL_MINUTES * 60_000),
      })
      .execute();
    await enqueuePlatformEmail(trx, {
      template: "password-reset",
      to: user.email,
      props: {
        name: user.name,
        resetUrl: `${appUrl()}/reset-password/${id}.${secret}`,
        expiresInMinutes: RESET_TTL_MINUTES,
        audience: "staff",
        merchantName: null,
      },
    });
  });
}

/** The account a reset token is good for, or null (unknown, wrong secret, used, expired). */
export async function findStaffReset(database: DB, token: string | undefined): Promise<{ resetId: string; email: string } | null> {
  const parsed = parseToken(token);
  if (!parsed || !isId("passwordReset", parsed.id)) return null;
  const row = await database
    .selectFrom("staff_password_resets as r")
    .innerJoin("staff_users as u", "u.id", "r.staff_user_id")
    .select(["r.id", "r.token_hash", "r.expires_at", "r.used_at", "u.email"])
    .where("r.id", "=", parsed.id)
    .executeTakeFirst();
  if (!row || row.used_at || row.expires_at <= now() || !secretMatches(parsed.secret, row.token_hash)) return null;
  return { resetId: row.id, email: row.email };
}

/**
 * Sets the new password, burns the token (and every other open reset of the user) and revokes ALL of the user's
 * sessions (S4). The caller then starts a fresh session. Throws DomainError bad_request for a dead token.
 */
export async function resetStaffPassword(database: DB, token: string | undefined, password: string): Promise<{ staffUserId: string }> {
  const parsed = parseToken(token);
  if (!parsed || !isId("passwordReset", parsed.id)) throw new DomainError("bad_request", RESET_INVALID_MESSAGE);
  const passwordHash = await hashPassword(password);
  const result = await database.transaction().execute(async (trx) => {
    const t = now();
    const row = await trx
      .selectFrom("staff_password_resets")
      .select(["id", "staff_user_id", "token_hash", "expires_at", "used_at"])
      .where("id", "=", parsed.id)
      .forUpdate()
      .executeTakeFirst();
    if (!row || row.used_at || row.expires_at <= t || !secretMatches(parsed.secret, row.token_hash)) {
      throw new DomainError("bad_request", RESET_INVALID_MESSAGE);
    }
    await trx
      .updateTable("staff_password_resets")
      .set({ used_at: t })
      .where("staff_user_id", "=", row.staff_user_id)
      .where("used_at", "is", null)
      .execute();
    await trx.updateTable("staff_users").set({ password_hash: passwordHash, password_changed_at: t }).where("id", "=", row.staff_user_id).execute();
    await invalidateAllStaffSessions(trx, row.staff_user_id);
    const user = await trx.selectFrom("staff_users").select("email").where("id", "=", row.staff_user_id).executeTakeFirstOrThrow();
    return { staffUserId: row.staff_user_id, email: user.email };
  });
  // Whoever proved control of the mailbox is the owner: failed guesses before the reset no longer count.
  await clearLoginFailures(database, staffThrottleKey(result.email));
  return { staffUserId: result.staffUserId };
}
