import { sql } from "kysely";
import { RESET_EMAIL_INTERVAL_MS, RESET_TTL_MINUTES } from "~/auth/account-policy";
import { now } from "~/lib/clock.server";
import { invalidateAllMemberSessions } from "~/auth/member-session.server";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "~/auth/password.server";
import { memberThrottleKey } from "~/auth/throttle";
import { clearLoginFailures, throttledLogin, type LoginOrigin } from "~/auth/throttle.server";
import { generateSecret, hashSecret, parseToken, secretMatches } from "~/auth/tokens.server";
import { withBegin, withTenant, type DB, type Trx } from "~/db.server";
import { recordAudit } from "~/domain/audit/audit.server";
import { enqueueEmail } from "~/domain/email/outbox.server";
import { appUrl } from "~/lib/env.server";
import { DomainError, notFound } from "~/lib/errors";
import { isId, newId } from "~/lib/ids";
import type { Merchant } from "~db/schema";

/**
 * Member accounts in a merchant's portal: login, password reset, profile (sign-up is a flow:
 * app/domain/flows/portal-signup.server.ts). Everything runs inside the merchant's tenant, so a member of one
 * merchant does not exist for another (separate rows, sessions and cookies).
 */

export type PortalMerchant = Pick<Merchant, "id" | "slug" | "name">;

export const MEMBER_RESET_INVALID_MESSAGE = "This reset link is invalid, already used or expired. Ask for a new one.";
export const WRONG_CURRENT_PASSWORD = "Your current password is not right.";

export const portalUrl = (slug: string) => `${appUrl()}/p/${slug}`;

/** E-mails the member a password-reset link, at most one a minute (RESET_EMAIL_INTERVAL_MS). */
export async function queueMemberReset(trx: Trx, merchant: PortalMerchant, member: { id: string; email: string; name: string | null }) {
  const t = now();
  const recent = await trx
    .selectFrom("member_password_resets")
    .select("id")
    .where("merchant_id", "=", merchant.id)
    .where("member_id", "=", member.id)
    .where("used_at", "is", null)
    .where("created_at", ">", new Date(t.getTime() - RESET_EMAIL_INTERVAL_MS))
    .executeTakeFirst();
  if (recent) return;
  const id = newId("passwordReset");
  const secret = generateSecret();
  await trx
    .insertInto("member_password_resets")
    .values({
      merchant_id: merchant.id,
      id,
      member_id: member.id,
      token_hash: hashSecret(secret),
      created_at: t,
      expires_at: new Date(t.getTime() + RESET_TTL_MINUTES * 60_000),
    })
    .execute();
  await enqueueEmail(trx, merchant.id, {
    template: "password-reset",
    to: member.email,
    props: {
      name: member.name,
      resetUrl: `${portalUrl(merchant.slug)}/reset-password/${id}.${secret}`,
      expiresInMinutes: RESET_TTL_MINUTES,
      audience: "member",
      merchantName: merchant.name,
    },
  });
}

/**
 * Portal login (S6): throttled per merchant, e-mail and client address; unknown, blocked, password-less and wrong all
 * answer alike.
 */
export async function authenticateMember(
  database: DB,
  merchant: PortalMerchant,
  email: string,
  password: string,
  origin: LoginOrigin,
): Promise<{ memberId: string }> {
  return throttledLogin(database, memberThrottleKey(merchant.id, email), origin, async () => {
    const row = await withTenant(database, merchant.id, (trx) =>
      trx
        .selectFrom("members")
        .select(["id", "password_hash", "status"])
        .where("merchant_id", "=", merchant.id)
        .where("email", "=", email.trim())
        .executeTakeFirst(),
    );
    if (!row || row.status !== "active" || !row.password_hash) return verifyAgainstDummy(password).then(() => null);
    return (await verifyPassword(row.password_hash, password)) ? { memberId: row.id } : null;
  });
}

/** Always "done" for the caller; sends a link only to an active member of this merchant. */
export async function requestMemberPasswordReset(database: DB, merchant: PortalMerchant, email: string): Promise<void> {
  await withTenant(database, merchant.id, async (trx) => {
    const member = await trx
      .selectFrom("members")
      .select(["id", "email", "name", "status"])
      .where("merchant_id", "=", merchant.id)
      .where("email", "=", email.trim())
      .executeTakeFirst();
    if (member?.status === "active") await queueMemberReset(trx, merchant, member);
  });
}

export async function findMemberReset(database: DB, merchant: PortalMerchant, token: string | undefined): Promise<{ email: string } | null> {
  const parsed = parseToken(token);
  if (!parsed || !isId("passwordReset", parsed.id)) return null;
  const row = await withTenant(database, merchant.id, (trx) =>
    trx
      .selectFrom("member_password_resets as r")
      .innerJoin("members as m", (j) => j.onRef("m.merchant_id", "=", "r.merchant_id").onRef("m.id", "=", "r.member_id"))
      .select(["r.token_hash", "r.expires_at", "r.used_at", "m.email", "m.status"])
      .where("r.merchant_id", "=", merchant.id)
      .where("r.id", "=", parsed.id)
      .executeTakeFirst(),
  );
  if (!row || row.used_at || row.expires_at <= now() || row.status !== "active" || !secretMatches(parsed.secret, row.token_hash)) return null;
  return { email: row.email };
}

/** Sets a new password from a reset link (single use), revoking every session of the member. */
export async function resetMemberPassword(
  database: DB,
  merchant: PortalMerchant,
  token: string | undefined,
  password: string,
): Promise<{ memberId: string }> {
  const parsed = parseToken(token);
  if (!parsed || !isId("passwordReset", parsed.id)) throw new DomainError("bad_request", MEMBER_RESET_INVALID_MESSAGE);
  const passwordHash = await hashPassword(password);
  const result = await withTenant(database, merchant.id, async (trx) => {
    const t = now();
    const row = await trx
      .selectFrom("member_password_resets as r")
      .innerJoin("members as m", (j) => j.onRef("m.merchant_id", "=", "r.merchant_id").onRef("m.id", "=", "r.member_id"))
      .select(["r.member_id", "r.token_hash", "r.expires_at", "r.used_at", "m.email", "m.status"])
      .where("r.merchant_id", "=", merchant.id)
      .where("r.id", "=", parsed.id)
      .forUpdate()
      .executeTakeFirst();
    if (!row || row.used_at || row.expires_at <= t || row.status !== "active" || !secretMatches(parsed.secret, row.token_hash)) {
      throw new DomainError("bad_request", MEMBER_RESET_INVALID_MESSAGE);
    }
    await trx
      .updateTable("member_password_resets")
      .set({ used_at: t })
      .where("merchant_id", "=", merchant.id)
      .where("member_id", "=", row.member_id)
      .where("used_at", "is", null)
      .execute();
    await setPassword(trx, merchant.id, row.member_id, passwordHash, t);
    await recordAudit(trx, merchant.id, { type: "member", id: row.member_id }, "member.password_reset", { type: "member", id: row.member_id });
    return { memberId: row.member_id, email: row.email };
  });
  await clearLoginFailures(database, memberThrottleKey(merchant.id, result.email));
  return { memberId: result.memberId };
}

async function setPassword(trx: Trx, merchantId: string, memberId: string, passwordHash: string, t: Date) {
  await trx
    .updateTable("members")
    .set({ password_hash: passwordHash, password_changed_at: t, updated_at: t })
    .where("merchant_id", "=", merchantId)
    .where("id", "=", memberId)
    .execute();
  await invalidateAllMemberSessions(trx, merchantId, memberId);
}

/**
 * Changes the password of a logged-in member after checking the current one (throttled like a login, so a stolen
 * session cannot be used to guess it). Revokes every session of the member; the caller starts a new one.
 */
export async function changeMemberPassword(
  database: DB,
  merchant: PortalMerchant,
  memberId: string,
  input: { currentPassword: string; newPassword: string },
  origin: LoginOrigin,
): Promise<void> {
  const member = await withTenant(database, merchant.id, (trx) =>
    trx.selectFrom("members").select(["email"]).where("merchant_id", "=", merchant.id).where("id", "=", memberId).executeTakeFirst(),
  );
  if (!member) throw notFound("Member");
  try {
    await authenticateMember(database, merchant, member.email, input.currentPassword, origin);
  } catch (err) {
    if (err instanceof DomainError && err.code === "unauthenticated") {
      throw new DomainError("validation_failed", WRONG_CURRENT_PASSWORD, { field: "currentPassword" });
    }
    throw err;
  }
  const passwordHash = await hashPassword(input.newPassword);
  await withTenant(database, merchant.id, async (trx) => {
    await setPassword(trx, merchant.id, memberId, passwordHash, now());
    await recordAudit(trx, merchant.id, { type: "member", id: memberId }, "member.password_changed", { type: "member", id: memberId });
  });
}

export interface MemberHome {
  name: string | null;
  email: string;
  birthday: string | null;
  memberSince: Date;
  orderCount: number;
  /** Total spend per currency, integer minor units (orders may be in more than one currency). */
  spend: Array<{ currency: string; amountMinor: number }>;
  lastOrderAt: Date | null;
}

/** What the portal home shows today: the member's profile and their order history from `orders`. */
export async function memberHome(database: DB, merchantId: string, memberId: string): Promise<MemberHome> {
  return withTenant(database, merchantId, (trx) => readMemberHome(trx, merchantId, memberId));
}

/** `memberHome` inside the caller's transaction, in one statement (a page reads it with its other reads). */
export async function readMemberHome(trx: Trx, merchantId: string, memberId: string): Promise<MemberHome> {
  // withBegin: when this opens the page's transaction, it goes with `begin` in one round trip.
  const { rows } = await trx.executeQuery(withBegin(sql<{ name: string | null; email: string; birthday: string | null; created_at: Date; currency: string | null; n: number | null; total: string | null; last: Date | null }>`
    select m.name, m.email, m.birthday, m.created_at, o.currency, o.n, o.total, o.last
    from members m
    left join lateral (
      select currency, count(*)::int as n, sum(amount_minor)::text as total, max(occurred_at) as last
      from orders where merchant_id = ${merchantId} and member_id = ${memberId} group by currency
    ) o on true
    where m.merchant_id = ${merchantId} and m.id = ${memberId}
    order by o.currency`.compile(trx)));
  const member = rows[0];
  if (!member) throw notFound("Member");
  const byCurrency = rows.filter((r) => r.currency !== null);
  const last = byCurrency.reduce<Date | null>((acc, r) => (acc && acc > r.last! ? acc : r.last), null);
  return {
    name: member.name,
    email: member.email,
    birthday: member.birthday,
    memberSince: member.created_at,
    orderCount: byCurrency.reduce((n, r) => n + r.n!, 0),
    spend: byCurrency.map((r) => ({ currency: r.currency!, amountMinor: Number(r.total) })),
    lastOrderAt: last,
  };
}
