import { withTenant } from "../../app/db.server";
import { createMemberSession } from "../../app/auth/member-session.server";
import { createStaffSession } from "../../app/auth/staff-session.server";
import { hashSecret, generateSecret } from "../../app/auth/tokens.server";
import { createApiKey } from "../../app/domain/api-keys/api-keys.server";
import { API_SCOPE_NAMES } from "../../app/domain/api-keys/scopes";
import { newId } from "../../app/lib/ids";
import { testDb } from "./db";

/**
 * A merchant with one of everything (owner with a session, member with a session, API key with every scope, order,
 * e-mail, invitation, audit entry), for tenancy tests that point merchant A's credentials at merchant B's ids.
 */
export interface TenantFixture {
  merchantId: string;
  slug: string;
  ownerId: string;
  ownerEmail: string;
  staffCookie: string;
  /** Sessions of an admin and an analyst of the same merchant, for role checks. */
  adminCookie: string;
  analystCookie: string;
  memberId: string;
  memberEmail: string;
  memberCookie: string;
  apiToken: string;
  apiKeyId: string;
  orderId: string;
  emailId: string;
  invitationId: string;
  /** Strings that must never appear in a response given to another merchant. */
  secrets: string[];
}

// A precomputed argon2id hash is not needed: these users log in through sessions created directly.
const UNUSABLE_HASH = "$argon2id$v=19$m=19456,t=2,p=1$dW51c2FibGU$dW51c2FibGVoYXNodW51c2FibGVoYXNo";

export async function createTenantFixture(label: string): Promise<TenantFixture> {
  const db = testDb();
  const tag = Math.random().toString(36).slice(2, 8);
  const merchantId = newId("merchant");
  const slug = `${label}-${tag}`;
  const ownerId = newId("staff");
  const ownerEmail = `owner-${tag}@${label}.test`;
  const memberId = newId("member");
  const memberEmail = `member-${tag}@${label}.test`;
  const orderId = newId("order");
  const emailId = newId("email");
  const invitationId = newId("invitation");

  await db.insertInto("merchants").values({ id: merchantId, slug, name: `${label} ${tag}`, currency: "USD", timezone: "UTC" }).execute();
  await db.insertInto("staff_users").values({ id: ownerId, email: ownerEmail, name: `Owner ${tag}`, password_hash: UNUSABLE_HASH }).execute();
  await withTenant(db, merchantId, async (trx) => {
    await trx.insertInto("merchant_staff").values({ merchant_id: merchantId, staff_user_id: ownerId, role: "owner" }).execute();
    await trx
      .insertInto("members")
      .values({ merchant_id: merchantId, id: memberId, email: memberEmail, name: `Member ${tag}`, external_id: `ext-${tag}`, password_hash: UNUSABLE_HASH })
      .execute();
    await trx
      .insertInto("orders")
      .values({ merchant_id: merchantId, id: orderId, member_id: memberId, source: "api", external_order_id: `o-${tag}`, amount_minor: 4250, currency: "USD", occurred_at: new Date() })
      .execute();
    await trx
      .insertInto("email_outbox")
      .values({ merchant_id: merchantId, id: emailId, template: "welcome", to_address: memberEmail, subject: `Welcome ${tag}`, html: `<p>secret-html-${tag}</p>`, text_body: `secret-text-${tag}`, status: "kept" })
      .execute();
    await trx
      .insertInto("staff_invitations")
      .values({ merchant_id: merchantId, id: invitationId, email: `invitee-${tag}@${label}.test`, role: "analyst", token_hash: hashSecret(generateSecret()), invited_by: ownerId, expires_at: new Date(Date.now() + 86_400_000) })
      .execute();
    await trx
      .insertInto("audit_log")
      .values({ merchant_id: merchantId, id: newId("audit"), actor_type: "system", action: "fixture.created", target_type: "member", target_id: memberId })
      .execute();
  });
  const staff = await createStaffSession(db, ownerId);
  const roleCookies: Record<string, string> = {};
  for (const role of ["admin", "analyst"] as const) {
    const id = newId("staff");
    await db.insertInto("staff_users").values({ id, email: `${role}-${tag}@${label}.test`, name: `${role} ${tag}`, password_hash: UNUSABLE_HASH }).execute();
    await withTenant(db, merchantId, (trx) => trx.insertInto("merchant_staff").values({ merchant_id: merchantId, staff_user_id: id, role }).execute());
    roleCookies[role] = `prn_staff=${(await createStaffSession(db, id)).token}`;
  }
  const member = await createMemberSession(db, merchantId, memberId);
  const key = await createApiKey(db, merchantId, { name: "fixture", scopes: [...API_SCOPE_NAMES], createdBy: null });
  return {
    merchantId,
    slug,
    ownerId,
    ownerEmail,
    staffCookie: `prn_staff=${staff.token}`,
    adminCookie: roleCookies.admin!,
    analystCookie: roleCookies.analyst!,
    memberId,
    memberEmail,
    memberCookie: `prn_m_${slug.replace(/-/g, "_")}=${member.token}`,
    apiToken: key.token,
    apiKeyId: key.apiKey.id,
    orderId,
    emailId,
    invitationId,
    secrets: [memberEmail, `Member ${tag}`, `ext-${tag}`, `secret-html-${tag}`, `secret-text-${tag}`, `invitee-${tag}`, `Welcome ${tag}`],
  };
}
