import { now } from "~/lib/clock.server";
import { hashPassword } from "~/auth/password.server";
import { withTenant, type DB } from "~/db.server";
import { recordAudit } from "~/domain/audit/audit.server";
import { queueMemberReset, type PortalMerchant } from "~/domain/members/accounts.server";
import type { SignupReferralFacts } from "~/domain/referrals/attribution.server";
import { DomainError } from "~/lib/errors";
import { enrollMember } from "./enrolment.server";

export const SIGNUP_EXISTS_MESSAGE = "An account with this e-mail exists — we've sent you a link to set your password.";

export type SignUpResult = { kind: "created"; memberId: string } | { kind: "exists" };

/**
 * Portal sign-up. When the e-mail already belongs to a member (made through the API, an import or an earlier
 * sign-up), the visitor is NOT given the account — that would be a takeover. The owner of the mailbox gets a
 * password-reset link instead, and the visitor is told so.
 */
export async function signUpMember(
  database: DB,
  merchant: PortalMerchant,
  input: { email: string; name: string; password: string; birthday: string | null; referral?: SignupReferralFacts },
): Promise<SignUpResult> {
  // Hashing happens on both paths so the answer takes about as long either way.
  const passwordHash = await hashPassword(input.password);
  return withTenant(database, merchant.id, async (trx) => {
    const existing = await trx
      .selectFrom("members")
      .select(["id", "email", "name", "status"])
      .where("merchant_id", "=", merchant.id)
      .where("email", "=", input.email)
      .forUpdate()
      .executeTakeFirst();
    if (existing) {
      // Blocked or deleted members get no e-mail, but the visitor sees the same answer.
      if (existing.status === "active") await queueMemberReset(trx, merchant, existing);
      return { kind: "exists" } as const;
    }
    let member;
    try {
      // Joining (bonuses, welcome e-mail, the typed code or landing cookie's referral): the portal's row of ENROLMENT_POLICY.
      ({ member } = await enrollMember(
        trx,
        merchant,
        { email: input.email, name: input.name, birthday: input.birthday },
        { channel: "portal", actor: { type: "system", id: null }, referral: input.referral },
      ));
    } catch (err) {
      // A concurrent sign-up or API call created the member first: same answer as above, and the other request wins.
      if (err instanceof DomainError && err.code === "email_taken") return { kind: "exists" } as const;
      throw err;
    }
    const t = now();
    await trx
      .updateTable("members")
      .set({ password_hash: passwordHash, password_changed_at: t, updated_at: t })
      .where("merchant_id", "=", merchant.id)
      .where("id", "=", member.id)
      .execute();
    await recordAudit(trx, merchant.id, { type: "member", id: member.id }, "member.signed_up", { type: "member", id: member.id });
    return { kind: "created", memberId: member.id } as const;
  });
}

