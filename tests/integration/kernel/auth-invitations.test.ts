import { afterEach, describe, expect, it } from "vitest";
import { advanceClock, resetClock } from "~/lib/clock.server";
import { STAFF_COOKIE } from "~/auth/cookies.server";
import { createStaffSession, validateStaffSessionToken } from "~/auth/staff-session.server";
import { hashSecret } from "~/auth/tokens.server";
import { withTenant } from "~/db.server";
import { addStaffToMerchant, createStaffUser } from "~/domain/staff/accounts.server";
import { staffMemberships } from "~/domain/merchants/merchants.server";
import * as invite from "~/routes/invite.$token";
import * as team from "~/routes/admin.$merchant.settings.team";
import type { StaffRole } from "~db/schema";
import { testDb } from "../../support/db";
import {
  cookiePair,
  count,
  fieldErrors,
  get,
  lastTenantEmail,
  newMerchant,
  PASSWORD,
  post,
  run,
  tenantCount,
  tokenFromLink,
  tokenOf,
  uniq,
} from "../../support/auth";

afterEach(() => resetClock());

async function sessionCookie(staffUserId: string) {
  const { token } = await createStaffSession(testDb(), staffUserId);
  return `${STAFF_COOKIE}=${encodeURIComponent(token)}`;
}

async function teammate(merchantId: string, role: StaffRole) {
  const user = await createStaffUser(testDb(), { email: `${uniq(role)}@example.com`, name: `Tess ${role}`, password: PASSWORD });
  await addStaffToMerchant(testDb(), merchantId, user.id, role);
  return { ...user, cookie: await sessionCookie(user.id) };
}

function teamAction(slug: string, cookie: string, form: Record<string, string>) {
  const path = `/admin/${slug}/settings/team`;
  return run(() => team.action({ request: post(path, form, cookie), params: { merchant: slug }, context: {} }));
}

async function auditActions(merchantId: string) {
  const rows = await withTenant(testDb(), merchantId, (trx) =>
    trx.selectFrom("audit_log").select(["action", "target_id", "before", "after"]).orderBy("created_at").execute(),
  );
  return rows;
}

async function setup() {
  const m = await newMerchant();
  const ownerCookie = await sessionCookie(m.owner.id);
  return { ...m, ownerCookie };
}

async function sendInvite(ctx: Awaited<ReturnType<typeof setup>>, email: string, role: StaffRole = "admin") {
  const out = await teamAction(ctx.merchant.slug, ctx.ownerCookie, { intent: "invite", email, role });
  expect(out.status).toBe(200);
  const mail = await lastTenantEmail(ctx.merchant.id, email.toLowerCase());
  expect(mail?.template).toBe("staff-invitation");
  return tokenFromLink(mail!.link);
}

function acceptWith(token: string, form: Record<string, string>, cookie?: string) {
  return run(() => invite.action({ request: post(`/invite/${token}`, form, cookie), params: { token }, context: {} }));
}

describe("team page access", () => {
  it("lets everyone on the team read it and only owners change it", async () => {
    const ctx = await setup();
    const analyst = await teammate(ctx.merchant.id, "analyst");
    const admin = await teammate(ctx.merchant.id, "admin");
    const page = await run(() =>
      team.loader({
        request: get(`/admin/${ctx.merchant.slug}/settings/team`, analyst.cookie),
        params: { merchant: ctx.merchant.slug },
        context: {},
      }),
    );
    expect(page.data.canManage).toBe(false);
    expect(page.data.invitations).toEqual([]);
    expect(page.data.team.map((t: { email: string }) => t.email).sort()).toEqual([ctx.owner.email, analyst.email, admin.email].sort());

    const before = await tenantCount(ctx.merchant.id, "staff_invitations");
    for (const who of [analyst, admin]) {
      const out = await teamAction(ctx.merchant.slug, who.cookie, { intent: "invite", email: `${uniq()}@example.com`, role: "owner" });
      expect(out.status).toBe(403);
      const rm = await teamAction(ctx.merchant.slug, who.cookie, { intent: "remove", staffUserId: ctx.owner.id });
      expect(rm.status).toBe(403);
    }
    expect(await tenantCount(ctx.merchant.id, "staff_invitations")).toBe(before);
  });

  it("is a 404 for staff of another merchant", async () => {
    const a = await setup();
    const b = await setup();
    const out = await run(() =>
      team.loader({ request: get(`/admin/${a.merchant.slug}/settings/team`, b.ownerCookie), params: { merchant: a.merchant.slug }, context: {} }),
    );
    expect(out.status).toBe(404);
    expect((await teamAction(a.merchant.slug, b.ownerCookie, { intent: "invite", email: "x@example.com", role: "owner" })).status).toBe(404);
  });

  it.each([
    [{ intent: "invite", email: "nope", role: "admin" }, "email"],
    [{ intent: "invite", email: "ok@example.com", role: "superuser" }, "role"],
    [{ intent: "invite", email: "", role: "admin" }, "email"],
    [{ intent: "bogus" }, "intent"],
    [{ intent: "change-role", staffUserId: "stf_x", role: "king" }, "role"],
  ])("rejects bad input %j with a 400 and writes nothing", async (form, field) => {
    const ctx = await setup();
    const before = [
      await tenantCount(ctx.merchant.id, "staff_invitations"),
      await tenantCount(ctx.merchant.id, "email_outbox"),
      await tenantCount(ctx.merchant.id, "audit_log"),
    ];
    const out = await teamAction(ctx.merchant.slug, ctx.ownerCookie, form as Record<string, string>);
    expect(out.status).toBe(400);
    expect(fieldErrors(out)[field]?.length).toBeGreaterThan(0);
    expect([
      await tenantCount(ctx.merchant.id, "staff_invitations"),
      await tenantCount(ctx.merchant.id, "email_outbox"),
      await tenantCount(ctx.merchant.id, "audit_log"),
    ]).toEqual(before);
  });

  it("answers unknown or foreign ids with 404", async () => {
    const a = await setup();
    const b = await setup();
    const bAdmin = await teammate(b.merchant.id, "admin");
    const forms: Array<Record<string, string>> = [
      { intent: "remove", staffUserId: bAdmin.id },
      { intent: "change-role", staffUserId: bAdmin.id, role: "analyst" },
      { intent: "revoke", invitationId: "inv_aaaaaaaaaaaaaaaaaaaaaaaaaa" },
      { intent: "remove", staffUserId: "garbage" },
    ];
    for (const form of forms) {
      expect((await teamAction(a.merchant.slug, a.ownerCookie, form)).status).toBe(404);
    }
    expect((await staffMemberships(testDb(), bAdmin.id))[0]?.role).toBe("admin");
  });
});

describe("invitations", () => {
  it("creates an account for a new person, single use, audited (S1: only a hash stored)", async () => {
    const ctx = await setup();
    const email = `${uniq("new")}@example.com`;
    const token = await sendInvite(ctx, email, "admin");
    const [id, secret] = token.split(".") as [string, string];
    const row = await withTenant(testDb(), ctx.merchant.id, (trx) =>
      trx.selectFrom("staff_invitations").selectAll().where("id", "=", id).executeTakeFirstOrThrow(),
    );
    expect(Buffer.from(row.token_hash).equals(hashSecret(secret))).toBe(true);
    expect(row.expires_at.getTime() - row.created_at.getTime()).toBe(7 * 86_400_000);

    const page = await run(() => invite.loader({ request: get(`/invite/${token}`), params: { token }, context: {} }));
    expect(page.data.invitation).toMatchObject({
      merchantName: ctx.merchant.name,
      email,
      role: "admin",
      inviterName: "Olive Owner",
      accountExists: false,
    });

    // Bad input: nothing written, the invitation still open.
    const users = await count("staff_users");
    const bad = await acceptWith(token, { intent: "create", name: "", password: "short" });
    expect(bad.status).toBe(400);
    expect(fieldErrors(bad).name).toBeTruthy();
    expect(fieldErrors(bad).password).toBeTruthy();
    expect(await count("staff_users")).toBe(users);

    const out = await acceptWith(token, { intent: "create", name: "Nina New", password: PASSWORD });
    expect(out).toMatchObject({ status: 302, location: `/admin/${ctx.merchant.slug}` });
    const auth = await validateStaffSessionToken(testDb(), tokenOf(cookiePair(out.setCookie)));
    expect(auth?.user).toMatchObject({ email, name: "Nina New" });
    expect(await staffMemberships(testDb(), auth!.user.id)).toEqual([expect.objectContaining({ role: "admin" })]);

    // Single use: the link is dead now, for every kind of acceptance.
    expect((await run(() => invite.loader({ request: get(`/invite/${token}`), params: { token }, context: {} }))).data.invitation).toBeNull();
    const again = await acceptWith(token, { intent: "create", name: "Mallory", password: PASSWORD });
    expect(again.status).toBe(400);
    expect(await count("staff_users")).toBe(users + 1);

    const actions = (await auditActions(ctx.merchant.id)).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["merchant.created", "staff.invited", "staff.invitation_accepted"]));
  });

  it("lets an existing account accept with its password (throttled like login), and never lowers a role", async () => {
    const ctx = await setup();
    const other = await newMerchant();
    const token = await sendInvite(ctx, other.owner.email.toUpperCase(), "analyst");
    const page = await run(() => invite.loader({ request: get(`/invite/${token}`), params: { token }, context: {} }));
    expect(page.data.invitation.accountExists).toBe(true);

    const wrong = await acceptWith(token, { intent: "login", password: "not my password" });
    expect(wrong.status).toBe(401);
    expect(wrong.data.result.error[""]).toEqual(["Wrong e-mail or password."]);
    expect(await staffMemberships(testDb(), other.owner.id)).toHaveLength(1);
    // Someone who does not know the password cannot create a second account for the address either.
    const hijack = await acceptWith(token, { intent: "create", name: "Mallory", password: PASSWORD + "x" });
    expect(hijack.status).toBe(409);

    const out = await acceptWith(token, { intent: "login", password: PASSWORD });
    expect(out.status).toBe(302);
    const roles = Object.fromEntries((await staffMemberships(testDb(), other.owner.id)).map((m) => [m.merchant.slug, m.role]));
    expect(roles).toEqual({ [ctx.merchant.slug]: "analyst", [other.merchant.slug]: "owner" });
  });

  it("accepts for the logged-in invitee with a brand-new session (S4), and refuses a different logged-in user", async () => {
    const ctx = await setup();
    const invitee = await createStaffUser(testDb(), { email: `${uniq("inv")}@example.com`, name: "Ivy", password: PASSWORD });
    const stranger = await createStaffUser(testDb(), { email: `${uniq("str")}@example.com`, name: "Stan", password: PASSWORD });
    const token = await sendInvite(ctx, invitee.email, "owner");

    const strangerCookie = await sessionCookie(stranger.id);
    const page = await run(() => invite.loader({ request: get(`/invite/${token}`, strangerCookie), params: { token }, context: {} }));
    expect(page.data.me).toEqual({ email: stranger.email, matches: false });
    const refused = await acceptWith(token, { intent: "accept" }, strangerCookie);
    expect(refused.status).toBe(403);
    expect(await staffMemberships(testDb(), stranger.id)).toEqual([]);
    const anonymous = await acceptWith(token, { intent: "accept" });
    expect(anonymous.status).toBe(401);

    const cookie = await sessionCookie(invitee.id);
    const out = await acceptWith(token, { intent: "accept" }, cookie);
    expect(out).toMatchObject({ status: 302, location: `/admin/${ctx.merchant.slug}` });
    const fresh = cookiePair(out.setCookie);
    expect(tokenOf(fresh).split(".")[0]).not.toBe(tokenOf(cookie).split(".")[0]);
    expect(await validateStaffSessionToken(testDb(), tokenOf(cookie))).toBeNull();
    expect((await validateStaffSessionToken(testDb(), tokenOf(fresh)))?.user.id).toBe(invitee.id);
    expect((await staffMemberships(testDb(), invitee.id))[0]?.role).toBe("owner");
  });

  it("dies after 7 days, when revoked, and when replaced by a newer invitation", async () => {
    const ctx = await setup();
    const email = `${uniq("late")}@example.com`;
    const expired = await sendInvite(ctx, email);
    advanceClock(7 * 86_400_000 + 1000);
    expect((await acceptWith(expired, { intent: "create", name: "Late", password: PASSWORD })).status).toBe(400);
    resetClock();

    const first = await sendInvite(ctx, email);
    const second = await sendInvite(ctx, email);
    expect((await run(() => invite.loader({ request: get("/"), params: { token: first }, context: {} }))).data.invitation).toBeNull();

    const pending = await run(() =>
      team.loader({
        request: get(`/admin/${ctx.merchant.slug}/settings/team`, ctx.ownerCookie),
        params: { merchant: ctx.merchant.slug },
        context: {},
      }),
    );
    const open = pending.data.invitations.filter((i: { email: string }) => i.email === email);
    expect(open).toHaveLength(1);
    const revoke = await teamAction(ctx.merchant.slug, ctx.ownerCookie, { intent: "revoke", invitationId: open[0].id });
    expect(revoke.status).toBe(200);
    expect((await acceptWith(second, { intent: "create", name: "Rev", password: PASSWORD })).status).toBe(400);
    expect((await auditActions(ctx.merchant.id)).map((a) => a.action)).toContain("staff.invitation_revoked");
  });

  it("refuses to invite someone already on the team", async () => {
    const ctx = await setup();
    const admin = await teammate(ctx.merchant.id, "admin");
    const out = await teamAction(ctx.merchant.slug, ctx.ownerCookie, { intent: "invite", email: admin.email, role: "owner" });
    expect(out.status).toBe(409);
    expect(fieldErrors(out).email?.[0]).toMatch(/already on the team/);
  });

  it("shows garbage tokens as invalid without a 500", async () => {
    for (const token of ["", "x", "inv_abc.def", `inv_${"a".repeat(26)}.${"b".repeat(32)}`, "ses_" + "x".repeat(300)]) {
      expect((await run(() => invite.loader({ request: get("/invite/x"), params: { token }, context: {} }))).data.invitation).toBeNull();
      expect((await acceptWith(token, { intent: "create", name: "X", password: PASSWORD })).status).toBe(400);
    }
  });
});

describe("team management", () => {
  it("changes roles with an audit entry; a promotion revokes the person's sessions (S4)", async () => {
    const ctx = await setup();
    const analyst = await teammate(ctx.merchant.id, "analyst");
    const promote = await teamAction(ctx.merchant.slug, ctx.ownerCookie, { intent: "change-role", staffUserId: analyst.id, role: "admin" });
    expect(promote.status).toBe(200);
    expect((await staffMemberships(testDb(), analyst.id))[0]?.role).toBe("admin");
    expect(await validateStaffSessionToken(testDb(), tokenOf(analyst.cookie))).toBeNull();

    const adminCookie = await sessionCookie(analyst.id);
    const demote = await teamAction(ctx.merchant.slug, ctx.ownerCookie, { intent: "change-role", staffUserId: analyst.id, role: "analyst" });
    expect(demote.status).toBe(200);
    // A demotion takes effect at once, session kept.
    expect(await validateStaffSessionToken(testDb(), tokenOf(adminCookie))).not.toBeNull();
    const entries = (await auditActions(ctx.merchant.id)).filter((a) => a.action === "staff.role_changed");
    expect(entries.map((e) => [e.before, e.after])).toEqual([
      [{ role: "analyst" }, { role: "admin" }],
      [{ role: "admin" }, { role: "analyst" }],
    ]);
  });

  it("never removes or demotes the last owner", async () => {
    const ctx = await setup();
    const demote = await teamAction(ctx.merchant.slug, ctx.ownerCookie, { intent: "change-role", staffUserId: ctx.owner.id, role: "admin" });
    expect(demote.status).toBe(409);
    const remove = await teamAction(ctx.merchant.slug, ctx.ownerCookie, { intent: "remove", staffUserId: ctx.owner.id });
    expect(remove.status).toBe(409);
    expect(remove.data.result.error[""][0]).toMatch(/at least one owner/);
    expect((await staffMemberships(testDb(), ctx.owner.id))[0]?.role).toBe("owner");

    // With a second owner, the first may step down.
    const second = await teammate(ctx.merchant.id, "owner");
    expect((await teamAction(ctx.merchant.slug, ctx.ownerCookie, { intent: "change-role", staffUserId: ctx.owner.id, role: "admin" })).status).toBe(
      200,
    );
    expect((await teamAction(ctx.merchant.slug, second.cookie, { intent: "remove", staffUserId: second.id })).status).toBe(409);
  });

  it("removes a member, who then gets a 404 for the merchant", async () => {
    const ctx = await setup();
    const admin = await teammate(ctx.merchant.id, "admin");
    const out = await teamAction(ctx.merchant.slug, ctx.ownerCookie, { intent: "remove", staffUserId: admin.id });
    expect(out.status).toBe(200);
    const page = await run(() =>
      team.loader({ request: get(`/admin/${ctx.merchant.slug}/settings/team`, admin.cookie), params: { merchant: ctx.merchant.slug }, context: {} }),
    );
    expect(page.status).toBe(404);
    const entry = (await auditActions(ctx.merchant.id)).find((a) => a.action === "staff.removed");
    expect(entry).toMatchObject({ target_id: admin.id, before: { role: "admin" } });
    expect(await tenantCount(ctx.merchant.id, "merchant_staff")).toBe(1);
  });
});
