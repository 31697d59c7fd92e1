import { sql } from "kysely";
import { INVITE_TTL_DAYS } from "~/auth/account-policy";
import { now } from "~/lib/clock.server";
import { hashPassword } from "~/auth/password.server";
import { roleAtLeast } from "~/auth/roles";
import { generateSecret, hashSecret, parseToken, secretMatches } from "~/auth/tokens.server";
import { withTenant, type DB } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { enqueueEmail } from "~/domain/email/outbox.server";
import { appUrl } from "~/lib/env.server";
import { conflict, DomainError, notFound } from "~/lib/errors";
import { isId, newId } from "~/lib/ids";
import type { Merchant, StaffRole } from "~db/schema";
import { authenticateStaff, EMAIL_TAKEN_MESSAGE, insertStaffUser } from "./accounts.server";

export const INVITE_INVALID_MESSAGE = "This invitation is invalid, already used, revoked or expired. Ask for a new one.";

export interface PendingInvitation {
  id: string;
  email: string;
  role: StaffRole;
  invitedBy: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * Invites someone to the merchant's team by e-mail. A newer invitation for the same address replaces older ones,
 * so only the latest link works. The e-mail is queued in the same transaction as the invitation.
 */
export async function inviteStaff(
  database: DB,
  merchant: Pick<Merchant, "id" | "name">,
  inviter: { id: string; name: string; ip?: string | null },
  input: { email: string; role: StaffRole },
): Promise<{ invitationId: string }> {
  const id = newId("invitation");
  const secret = generateSecret();
  const t = now();
  await withTenant(database, merchant.id, async (trx) => {
    const already = await trx
      .selectFrom("merchant_staff as ms")
      .innerJoin("staff_users as u", "u.id", "ms.staff_user_id")
      .select("u.id")
      .where("ms.merchant_id", "=", merchant.id)
      .where("u.email", "=", input.email)
      .executeTakeFirst();
    if (already) throw conflict("This person is already on the team", "email");
    await trx
      .updateTable("staff_invitations")
      .set({ revoked_at: t })
      .where("merchant_id", "=", merchant.id)
      .where("email", "=", input.email)
      .where("accepted_at", "is", null)
      .where("revoked_at", "is", null)
      .execute();
    await trx
      .insertInto("staff_invitations")
      .values({
        merchant_id: merchant.id,
        id,
        email: input.email,
        role: input.role,
        token_hash: hashSecret(secret),
        invited_by: inviter.id,
        created_at: t,
        expires_at: new Date(t.getTime() + INVITE_TTL_DAYS * 86_400_000),
      })
      .execute();
    await enqueueEmail(trx, merchant.id, {
      template: "staff-invitation",
      to: input.email,
      props: {
        inviterName: inviter.name,
        merchantName: merchant.name,
        role: input.role,
        acceptUrl: `${appUrl()}/invite/${id}.${secret}`,
        expiresInDays: INVITE_TTL_DAYS,
      },
    });
    await recordAudit(
      trx,
      merchant.id,
      { type: "staff", id: inviter.id, ip: inviter.ip },
      "staff.invited",
      { type: "invitation", id },
      {
        after: { email: input.email, role: input.role },
      },
    );
  });
  return { invitationId: id };
}

export async function listPendingInvitations(database: DB, merchantId: string): Promise<PendingInvitation[]> {
  const rows = await withTenant(database, merchantId, (trx) =>
    trx
      .selectFrom("staff_invitations as i")
      .leftJoin("staff_users as u", "u.id", "i.invited_by")
      .select(["i.id", "i.email", "i.role", "u.name as invited_by", "i.created_at", "i.expires_at"])
      .where("i.merchant_id", "=", merchantId)
      .where("i.accepted_at", "is", null)
      .where("i.revoked_at", "is", null)
      .where("i.expires_at", ">", now())
      .orderBy("i.created_at", "desc")
      .limit(200)
      .execute(),
  );
  return rows.map((r) => ({ id: r.id, email: r.email, role: r.role, invitedBy: r.invited_by, createdAt: r.created_at, expiresAt: r.expires_at }));
}

export async function revokeInvitation(database: DB, merchantId: string, invitationId: string, actor: Actor): Promise<void> {
  if (!isId("invitation", invitationId)) throw notFound("Invitation");
  await withTenant(database, merchantId, async (trx) => {
    const row = await trx
      .updateTable("staff_invitations")
      .set({ revoked_at: now() })
      .where("merchant_id", "=", merchantId)
      .where("id", "=", invitationId)
      .where("accepted_at", "is", null)
      .where("revoked_at", "is", null)
      .returning(["email", "role"])
      .executeTakeFirst();
    if (!row) throw notFound("Invitation");
    await recordAudit(trx, merchantId, actor, "staff.invitation_revoked", { type: "invitation", id: invitationId }, { before: row });
  });
}

export interface InvitationView {
  id: string;
  merchant: Pick<Merchant, "id" | "slug" | "name">;
  email: string;
  role: StaffRole;
  inviterName: string | null;
  expiresAt: Date;
  /** Whether a staff account exists for the invited e-mail (decides between "log in" and "create account"). */
  accountExists: boolean;
}

/** The invitation a link points at, or null when the link is malformed, wrong, used, revoked or expired. */
export async function findInvitation(database: DB, token: string | undefined): Promise<InvitationView | null> {
  const parsed = parseToken(token);
  if (!parsed || !isId("invitation", parsed.id)) return null;
  // The merchant is not known yet: one narrow SECURITY DEFINER lookup maps the invitation id to its tenant.
  const found = await sql<{ merchant_id: string }>`select merchant_id from auth_invitation_lookup(${parsed.id})`.execute(database);
  const merchantId = found.rows[0]?.merchant_id;
  if (!merchantId) return null;
  const row = await withTenant(database, merchantId, (trx) =>
    trx
      .selectFrom("staff_invitations as i")
      .innerJoin("merchants as m", "m.id", "i.merchant_id")
      .leftJoin("staff_users as inviter", "inviter.id", "i.invited_by")
      .leftJoin("staff_users as invitee", "invitee.email", "i.email")
      .select([
        "i.id",
        "i.email",
        "i.role",
        "i.token_hash",
        "i.expires_at",
        "i.accepted_at",
        "i.revoked_at",
        "m.id as merchant_id",
        "m.slug",
        "m.name as merchant_name",
        "inviter.name as inviter_name",
        "invitee.id as invitee_id",
      ])
      .where("i.merchant_id", "=", merchantId)
      .where("i.id", "=", parsed.id)
      .executeTakeFirst(),
  );
  if (!row || row.accepted_at || row.revoked_at || row.expires_at <= now() || !secretMatches(parsed.secret, row.token_hash)) return null;
  return {
    id: row.id,
    merchant: { id: row.merchant_id, slug: row.slug, name: row.merchant_name },
    email: row.email,
    role: row.role,
    inviterName: row.inviter_name,
    expiresAt: row.expires_at,
    accountExists: row.invitee_id !== null,
  };
}

export type AcceptHow =
  /** Already logged in as the invited e-mail. */
  | { kind: "session"; staffUserId: string; email: string }
  /** Has an account: proves it with the password (throttled like /login). */
  | { kind: "password"; password: string }
  /** No account yet: creates one. */
  | { kind: "create"; name: string; password: string };

/**
 * Accepts an invitation. The token is claimed with a conditional update, so it works exactly once even when two
 * browsers race. Membership never goes down: accepting an analyst invitation as an existing owner keeps "owner".
 * The caller starts a new session afterwards (S4: privileges changed).
 */
export async function acceptInvitation(
  database: DB,
  token: string | undefined,
  how: AcceptHow,
  meta: { ip?: string | null } = {},
): Promise<{ staffUserId: string; merchantSlug: string }> {
  const invitation = await findInvitation(database, token);
  if (!invitation) throw new DomainError("bad_request", INVITE_INVALID_MESSAGE);
  const merchantId = invitation.merchant.id;

  let staffUserId: string | null = null;
  let passwordHash: string | null = null;
  if (how.kind === "session") {
    if (how.email.toLowerCase() !== invitation.email.toLowerCase()) {
      throw new DomainError("forbidden", `This invitation is for ${invitation.email}. Log out and open the link again.`);
    }
    staffUserId = how.staffUserId;
  } else if (how.kind === "password") {
    staffUserId = (await authenticateStaff(database, invitation.email, how.password, { ip: meta.ip ?? null })).id;
  } else {
    if (invitation.accountExists) throw conflict(EMAIL_TAKEN_MESSAGE, "password");
    passwordHash = await hashPassword(how.password);
  }

  return withTenant(database, merchantId, async (trx) => {
    const t = now();
    const claimed = await trx
      .updateTable("staff_invitations")
      .set({ accepted_at: t })
      .where("merchant_id", "=", merchantId)
      .where("id", "=", invitation.id)
      .where("accepted_at", "is", null)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", t)
      .returning(["role", "email"])
      .executeTakeFirst();
    if (!claimed) throw new DomainError("bad_request", INVITE_INVALID_MESSAGE);

    if (how.kind === "create") {
      staffUserId = (await insertStaffUser(trx, { email: claimed.email, name: how.name, passwordHash: passwordHash! })).id;
    }
    const userId = staffUserId!;
    const existing = await trx
      .selectFrom("merchant_staff")
      .select("role")
      .where("merchant_id", "=", merchantId)
      .where("staff_user_id", "=", userId)
      .forUpdate()
      .executeTakeFirst();
    if (!existing) {
      await trx.insertInto("merchant_staff").values({ merchant_id: merchantId, staff_user_id: userId, role: claimed.role }).execute();
    } else if (!roleAtLeast(existing.role, claimed.role)) {
      await trx
        .updateTable("merchant_staff")
        .set({ role: claimed.role })
        .where("merchant_id", "=", merchantId)
        .where("staff_user_id", "=", userId)
        .execute();
    }
    await recordAudit(
      trx,
      merchantId,
      { type: "staff", id: userId, ip: meta.ip },
      "staff.invitation_accepted",
      { type: "invitation", id: invitation.id },
      {
        before: existing ? { role: existing.role } : undefined,
        after: { email: claimed.email, role: existing && roleAtLeast(existing.role, claimed.role) ? existing.role : claimed.role },
      },
    );
    return { staffUserId: userId, merchantSlug: invitation.merchant.slug };
  });
}
