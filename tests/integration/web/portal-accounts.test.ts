import { afterEach, describe, expect, it } from "vitest";
import { resetClock, advanceClock } from "~/lib/clock.server";
import { getMember } from "~/web/guards.server";
import { validateMemberSessionToken } from "~/auth/member-session.server";
import { withTenant } from "~/db.server";
import { newId } from "~/lib/ids";
import * as layout from "~/routes/p.$merchant";
import * as home from "~/routes/p.$merchant._index";
import * as forgot from "~/routes/p.$merchant.forgot-password";
import * as login from "~/routes/p.$merchant.login";
import * as logout from "~/routes/p.$merchant.logout";
import * as profile from "~/routes/p.$merchant.profile";
import * as reset from "~/routes/p.$merchant.reset-password.$token";
import * as signup from "~/routes/p.$merchant.signup";
import { testDb } from "../../support/db";
import {
  cookiePair,
  fieldErrors,
  get,
  lastTenantEmail,
  memberCookieName,
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

type Shop = Awaited<ReturnType<typeof newMerchant>>["merchant"];

function portalSignup(shop: Shop, form: Record<string, string>, cookie?: string) {
  return run(() => signup.action({ request: post(`/p/${shop.slug}/signup`, form, cookie), params: { merchant: shop.slug }, context: {} }));
}
function portalLogin(shop: Shop, email: string, password = PASSWORD, extra: Record<string, string> = {}) {
  return run(() =>
    login.action({ request: post(`/p/${shop.slug}/login`, { email, password, ...extra }), params: { merchant: shop.slug }, context: {} }),
  );
}
async function joined(shop: Shop, over: Record<string, string> = {}) {
  const email = over.email ?? `${uniq("mem")}@example.com`;
  const out = await portalSignup(shop, { name: "Mia Member", email, password: PASSWORD, ...over });
  expect(out.status).toBe(302);
  return { email, cookie: cookiePair(out.setCookie), out };
}
async function memberRow(shop: Shop, email: string) {
  return withTenant(testDb(), shop.id, (trx) => trx.selectFrom("members").selectAll().where("email", "=", email).executeTakeFirst());
}
async function insertMember(shop: Shop, email: string, passwordHash: string | null = null, status: "active" | "blocked" = "active") {
  const id = newId("member");
  await withTenant(testDb(), shop.id, (trx) =>
    trx.insertInto("members").values({ merchant_id: shop.id, id, email, name: "Api Made", password_hash: passwordHash, status }).execute(),
  );
  return id;
}

describe("portal sign-up", () => {
  it("creates the member with a session scoped to the portal and queues a welcome e-mail", async () => {
    const { merchant: shop } = await newMerchant();
    const email = `${uniq("Mem")}@Example.com`;
    const out = await portalSignup(shop, { name: "Mia Member", email, password: PASSWORD, birthday: "1990-04-23" });
    expect(out).toMatchObject({ status: 302, location: `/p/${shop.slug}` });
    expect(out.setCookie).toMatch(new RegExp(`^${memberCookieName(shop.slug)}=`));
    // `/p`, not `/p/<slug>`: single fetch reads the portal home's data from `/p/<slug>.data` (see session-cookies.server.ts).
    expect(out.setCookie).toMatch(/Path=\/p;/);
    const row = await memberRow(shop, email.toLowerCase());
    expect(row).toMatchObject({ name: "Mia Member", birthday: "1990-04-23", status: "active" });
    expect(row!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const auth = await validateMemberSessionToken(testDb(), shop.id, tokenOf(cookiePair(out.setCookie)));
    expect(auth?.member.id).toBe(row!.id);
    const mail = await lastTenantEmail(shop.id, email.toLowerCase());
    expect(mail?.template).toBe("welcome");
  });

  it.each([
    ["name", { name: "" }],
    ["name", { name: "n".repeat(121) }],
    ["email", { email: "bad" }],
    ["password", { password: "1234567" }],
    ["password", { password: "p".repeat(129) }],
    ["birthday", { birthday: "1990-02-30" }],
    ["birthday", { birthday: "2999-01-01" }],
    ["birthday", { birthday: "23/04/1990" }],
  ])("rejects bad %s %j with a field error and writes nothing", async (field, over) => {
    const { merchant: shop } = await newMerchant();
    const out = await portalSignup(shop, { name: "Mia", email: `${uniq()}@example.com`, password: PASSWORD, ...over });
    expect(out.status).toBe(400);
    expect(fieldErrors(out)[field]?.length).toBeGreaterThan(0);
    expect(out.setCookie).toBeNull();
    expect(await tenantCount(shop.id, "members")).toBe(0);
    expect(await tenantCount(shop.id, "email_outbox")).toBe(0);
  });

  it("never hands an existing password-less member (API, import) to the visitor: it e-mails a reset link instead", async () => {
    const { merchant: shop } = await newMerchant();
    const email = `${uniq("api")}@example.com`;
    const id = await insertMember(shop, email);
    const out = await portalSignup(shop, { name: "Mallory", email, password: "attacker password" });
    expect(out.status).toBe(200);
    expect(out.setCookie).toBeNull();
    expect(out.data.notice).toBe("An account with this e-mail exists — we've sent you a link to set your password.");
    const row = await memberRow(shop, email);
    expect(row).toMatchObject({ id, name: "Api Made", password_hash: null });
    expect(await tenantCount(shop.id, "members")).toBe(1);
    expect(await tenantCount(shop.id, "member_sessions")).toBe(0);
    // The attacker's password does not work; the mailbox owner sets one through the link.
    expect((await portalLogin(shop, email, "attacker password")).status).toBe(401);
    const mail = await lastTenantEmail(shop.id, email);
    expect(mail?.template).toBe("password-reset");
    // Repeating the sign-up does not flood the inbox: one reset e-mail a minute.
    await portalSignup(shop, { name: "Mallory", email, password: "attacker password" });
    expect(await tenantCount(shop.id, "email_outbox")).toBe(1);
    const token = tokenFromLink(mail!.link);
    const done = await run(() =>
      reset.action({
        request: post("/", { password: "owner chose this", confirm: "owner chose this" }),
        params: { merchant: shop.slug, token },
        context: {},
      }),
    );
    expect(done).toMatchObject({ status: 302, location: `/p/${shop.slug}` });
    expect((await portalLogin(shop, email, "owner chose this")).status).toBe(302);
  });

  it("answers the same when the member already has a password, and changes nothing", async () => {
    const { merchant: shop } = await newMerchant();
    const { email } = await joined(shop);
    const before = await memberRow(shop, email);
    const fresh = `${uniq("api")}@example.com`;
    await insertMember(shop, fresh);
    const a = await portalSignup(shop, { name: "Mallory", email, password: "attacker password" });
    const b = await portalSignup(shop, { name: "Mallory", email: fresh, password: "attacker password" });
    expect(a.data.notice).toBe(b.data.notice);
    expect(a.status).toBe(b.status);
    expect(await memberRow(shop, email)).toEqual(before);
    expect((await lastTenantEmail(shop.id, email))?.template).toBe("password-reset");
  });

  it("sends nothing to a blocked member but answers the same", async () => {
    const { merchant: shop } = await newMerchant();
    const email = `${uniq("blk")}@example.com`;
    await insertMember(shop, email, null, "blocked");
    const out = await portalSignup(shop, { name: "B", email, password: PASSWORD });
    expect(out.data.notice).toMatch(/exists/);
    expect(await lastTenantEmail(shop.id, email)).toBeUndefined();
  });
});

describe("portal login, logout and tenancy", () => {
  it("logs in with a new session, and logout revokes it server-side", async () => {
    const { merchant: shop } = await newMerchant();
    const { email, cookie: signupCookie } = await joined(shop);
    const out = await portalLogin(shop, email, PASSWORD, { redirectTo: `/p/${shop.slug}/profile` });
    expect(out).toMatchObject({ status: 302, location: `/p/${shop.slug}/profile` });
    const cookie = cookiePair(out.setCookie);
    expect(tokenOf(cookie).split(".")[0]).not.toBe(tokenOf(signupCookie).split(".")[0]);
    // A redirect out of this merchant's portal is ignored.
    expect((await portalLogin(shop, email, PASSWORD, { redirectTo: "/admin" })).location).toBe(`/p/${shop.slug}`);
    expect((await portalLogin(shop, email, PASSWORD, { redirectTo: "https://evil.example" })).location).toBe(`/p/${shop.slug}`);

    const bye = await run(() => logout.action({ request: post(`/p/${shop.slug}/logout`, {}, cookie), params: { merchant: shop.slug }, context: {} }));
    expect(bye).toMatchObject({ status: 302, location: `/p/${shop.slug}/login` });
    expect(bye.setCookie).toMatch(/Max-Age=0/);
    expect(await validateMemberSessionToken(testDb(), shop.id, tokenOf(cookie))).toBeNull();
  });

  it("gives the same answer for unknown, wrong, blocked and password-less members", async () => {
    const { merchant: shop } = await newMerchant();
    const { email } = await joined(shop);
    const blocked = `${uniq("blk")}@example.com`;
    await insertMember(shop, blocked, null, "blocked");
    const none = `${uniq("api")}@example.com`;
    await insertMember(shop, none);
    const answers = await Promise.all([
      portalLogin(shop, email, "wrong password"),
      portalLogin(shop, `${uniq("nobody")}@example.com`, "wrong password"),
      portalLogin(shop, blocked, "wrong password"),
      portalLogin(shop, none, "wrong password"),
    ]);
    for (const a of answers) {
      expect(a.status).toBe(401);
      expect(a.data.result.error).toEqual({ "": ["Wrong e-mail or password."] });
    }
  });

  it("keeps a member of merchant A unknown to merchant B", async () => {
    const { merchant: a } = await newMerchant();
    const { merchant: b } = await newMerchant();
    const { email, cookie } = await joined(a);
    // Same credentials at B: not a member there.
    const there = await portalLogin(b, email);
    expect(there.status).toBe(401);
    expect(there.data.result.error[""]).toEqual(["Wrong e-mail or password."]);
    // A's session token replayed under B's cookie name is worthless.
    const replay = `${memberCookieName(b.slug)}=${encodeURIComponent(tokenOf(cookie))}`;
    expect(await getMember(get(`/p/${b.slug}`, replay), b)).toBeNull();
    const bHome = await run(() => home.loader({ request: get(`/p/${b.slug}`, replay), params: { merchant: b.slug }, context: {} }));
    expect(bHome.data.kind).toBe("visitor");
    const bProfile = await run(() => profile.loader({ request: get(`/p/${b.slug}/profile`, replay), params: { merchant: b.slug }, context: {} }));
    expect(bProfile.status).toBe(302);
    expect(bProfile.location).toMatch(new RegExp(`^/p/${b.slug}/login`));
    // Password reset at B for A's member sends nothing.
    await run(() => forgot.action({ request: post(`/p/${b.slug}/forgot-password`, { email }), params: { merchant: b.slug }, context: {} }));
    expect(await lastTenantEmail(b.id, email)).toBeUndefined();
    // Signing up at B is a separate account.
    const bJoin = await portalSignup(b, { name: "Mia at B", email, password: "another password" });
    expect(bJoin.status).toBe(302);
    expect((await memberRow(a, email))!.id).not.toBe((await memberRow(b, email))!.id);
  });

  it("answers 404 for an unknown merchant", async () => {
    const slug = uniq("nope");
    for (const out of [
      await run(() => layout.loader({ request: get(`/p/${slug}`), params: { merchant: slug }, context: {} })),
      await run(() =>
        login.action({ request: post(`/p/${slug}/login`, { email: "a@example.com", password: PASSWORD }), params: { merchant: slug }, context: {} }),
      ),
      await run(() =>
        signup.action({
          request: post(`/p/${slug}/signup`, { name: "x", email: "a@example.com", password: PASSWORD }),
          params: { merchant: slug },
          context: {},
        }),
      ),
      await run(() => layout.loader({ request: get(`/p/BAD%20SLUG`), params: { merchant: "BAD SLUG" }, context: {} })),
    ]) {
      expect(out.status).toBe(404);
    }
  });
});

describe("portal password reset", () => {
  it("is single use, expires after an hour and revokes every session", async () => {
    const { merchant: shop } = await newMerchant();
    const { email, cookie } = await joined(shop);
    const sent = await run(() =>
      forgot.action({ request: post(`/p/${shop.slug}/forgot-password`, { email }), params: { merchant: shop.slug }, context: {} }),
    );
    const unknown = await run(() =>
      forgot.action({
        request: post(`/p/${shop.slug}/forgot-password`, { email: `${uniq()}@example.com` }),
        params: { merchant: shop.slug },
        context: {},
      }),
    );
    expect(sent.data).toEqual(unknown.data);
    const token = tokenFromLink((await lastTenantEmail(shop.id, email))!.link);
    expect((await run(() => reset.loader({ request: get("/"), params: { merchant: shop.slug, token }, context: {} }))).data.email).toBe(email);

    const done = await run(() =>
      reset.action({
        request: post("/", { password: "new secret words", confirm: "new secret words" }),
        params: { merchant: shop.slug, token },
        context: {},
      }),
    );
    expect(done.status).toBe(302);
    expect(await validateMemberSessionToken(testDb(), shop.id, tokenOf(cookie))).toBeNull();
    expect(await validateMemberSessionToken(testDb(), shop.id, tokenOf(cookiePair(done.setCookie)))).not.toBeNull();
    const twice = await run(() =>
      reset.action({
        request: post("/", { password: "third password!", confirm: "third password!" }),
        params: { merchant: shop.slug, token },
        context: {},
      }),
    );
    expect(twice.status).toBe(400);

    await run(() => forgot.action({ request: post(`/p/${shop.slug}/forgot-password`, { email }), params: { merchant: shop.slug }, context: {} }));
    const late = tokenFromLink((await lastTenantEmail(shop.id, email))!.link);
    advanceClock(61 * 60 * 1000);
    const expired = await run(() =>
      reset.action({
        request: post("/", { password: "too late now!", confirm: "too late now!" }),
        params: { merchant: shop.slug, token: late },
        context: {},
      }),
    );
    expect(expired.status).toBe(400);
  });

  it("does not accept another merchant's reset token", async () => {
    const { merchant: a } = await newMerchant();
    const { merchant: b } = await newMerchant();
    const { email } = await joined(a);
    await run(() => forgot.action({ request: post(`/p/${a.slug}/forgot-password`, { email }), params: { merchant: a.slug }, context: {} }));
    const token = tokenFromLink((await lastTenantEmail(a.id, email))!.link);
    expect((await run(() => reset.loader({ request: get("/"), params: { merchant: b.slug, token }, context: {} }))).data.email).toBeNull();
    const out = await run(() =>
      reset.action({
        request: post("/", { password: "sneaky password", confirm: "sneaky password" }),
        params: { merchant: b.slug, token },
        context: {},
      }),
    );
    expect(out.status).toBe(400);
  });

  it("rejects a bad forgot-password e-mail with a 400 and queues nothing", async () => {
    const { merchant: shop } = await newMerchant();
    const out = await run(() =>
      forgot.action({ request: post(`/p/${shop.slug}/forgot-password`, { email: "x".repeat(300) }), params: { merchant: shop.slug }, context: {} }),
    );
    expect(out.status).toBe(400);
    expect(fieldErrors(out).email).toBeTruthy();
    expect(await tenantCount(shop.id, "email_outbox")).toBe(0);
  });
});

describe("portal profile and home", () => {
  function profileAction(shop: Shop, cookie: string, form: Record<string, string>) {
    return run(() => profile.action({ request: post(`/p/${shop.slug}/profile`, form, cookie), params: { merchant: shop.slug }, context: {} }));
  }

  it("requires a member session", async () => {
    const { merchant: shop } = await newMerchant();
    const out = await run(() => profile.loader({ request: get(`/p/${shop.slug}/profile`), params: { merchant: shop.slug }, context: {} }));
    expect(out.status).toBe(302);
    expect(out.location).toBe(`/p/${shop.slug}/login?redirectTo=${encodeURIComponent(`/p/${shop.slug}/profile`)}`);
    expect((await profileAction(shop, "", { intent: "profile", name: "x" })).status).toBe(302);
  });

  it("edits name and birthday, rejecting bad values without writing", async () => {
    const { merchant: shop } = await newMerchant();
    const { email, cookie } = await joined(shop);
    const bad = await profileAction(shop, cookie, { intent: "profile", name: "", birthday: "1800-01-01" });
    expect(bad.status).toBe(400);
    expect(fieldErrors(bad).name).toBeTruthy();
    expect(fieldErrors(bad).birthday).toBeTruthy();
    expect(await memberRow(shop, email)).toMatchObject({ name: "Mia Member", birthday: null });
    const ok = await profileAction(shop, cookie, { intent: "profile", name: "Mia Renamed", birthday: "1985-12-01" });
    expect(ok.status).toBe(200);
    expect(await memberRow(shop, email)).toMatchObject({ name: "Mia Renamed", birthday: "1985-12-01" });
    const cleared = await profileAction(shop, cookie, { intent: "profile", name: "Mia Renamed", birthday: "" });
    expect(cleared.status).toBe(200);
    expect((await memberRow(shop, email))!.birthday).toBeNull();
  });

  it("changes the password only with the current one, revoking every other session", async () => {
    const { merchant: shop } = await newMerchant();
    const { email, cookie } = await joined(shop);
    const elsewhere = cookiePair((await portalLogin(shop, email)).setCookie);
    const wrong = await profileAction(shop, cookie, {
      intent: "password",
      currentPassword: "nope nope",
      newPassword: "fresh password!",
      confirm: "fresh password!",
    });
    expect(wrong.status).toBe(400);
    expect(fieldErrors(wrong).currentPassword).toEqual(["Your current password is not right."]);
    const mismatch = await profileAction(shop, cookie, {
      intent: "password",
      currentPassword: PASSWORD,
      newPassword: "fresh password!",
      confirm: "other",
    });
    expect(mismatch.status).toBe(400);
    expect(fieldErrors(mismatch).confirm).toBeTruthy();
    expect(await validateMemberSessionToken(testDb(), shop.id, tokenOf(elsewhere))).not.toBeNull();

    const ok = await profileAction(shop, cookie, {
      intent: "password",
      currentPassword: PASSWORD,
      newPassword: "fresh password!",
      confirm: "fresh password!",
    });
    expect(ok.status).toBe(200);
    const fresh = cookiePair(ok.setCookie);
    expect(await validateMemberSessionToken(testDb(), shop.id, tokenOf(elsewhere))).toBeNull();
    expect(await validateMemberSessionToken(testDb(), shop.id, tokenOf(cookie))).toBeNull();
    expect(await validateMemberSessionToken(testDb(), shop.id, tokenOf(fresh))).not.toBeNull();
    expect((await portalLogin(shop, email, "fresh password!")).status).toBe(302);
    expect(ok.data.result.initialValue?.newPassword).toBeUndefined();
  });

  it("shows order count and total spend from the orders table", async () => {
    const { merchant: shop } = await newMerchant();
    const { email, cookie } = await joined(shop);
    const member = (await memberRow(shop, email))!;
    await withTenant(testDb(), shop.id, (trx) =>
      trx
        .insertInto("orders")
        .values(
          [1250, 4999].map((amount, i) => ({
            merchant_id: shop.id,
            id: newId("order"),
            member_id: member.id,
            source: "api" as const,
            external_order_id: `o-${i}`,
            amount_minor: amount,
            currency: "EUR",
            occurred_at: new Date(Date.UTC(2026, 0, 10 + i)),
          })),
        )
        .execute(),
    );
    const out = await run(() => home.loader({ request: get(`/p/${shop.slug}`, cookie), params: { merchant: shop.slug }, context: {} }));
    expect(out.data.kind).toBe("member");
    expect(out.data.member).toMatchObject({ name: "Mia Member", email, orderCount: 2, spend: "€62.49", lastOrder: "Jan 11, 2026" });
  });

  it("shows visitors a landing page, and sends them to log in when the portal is members-only", async () => {
    const { merchant: open } = await newMerchant({ settings: { brandColor: "#0a7a4f" } });
    const layoutData = await run(() => layout.loader({ request: get(`/p/${open.slug}`), params: { merchant: open.slug }, context: {} }));
    expect(layoutData.data.brand).toMatchObject({ name: open.name, brandColor: "#0a7a4f" });
    expect((await run(() => home.loader({ request: get(`/p/${open.slug}`), params: { merchant: open.slug }, context: {} }))).data.kind).toBe(
      "visitor",
    );

    const { merchant: closed } = await newMerchant({ settings: { membersOnlyPortal: true, brandColor: "red;background:url(x)" } });
    for (const load of [layout.loader, home.loader]) {
      const out = await run(() => load({ request: get(`/p/${closed.slug}`), params: { merchant: closed.slug }, context: {} }));
      expect(out.status).toBe(302);
      expect(out.location).toMatch(new RegExp(`^/p/${closed.slug}/login\\?redirectTo=`));
    }
    for (const page of ["login", "signup", "forgot-password", "reset-password/abc"]) {
      const out = await run(() => layout.loader({ request: get(`/p/${closed.slug}/${page}`), params: { merchant: closed.slug }, context: {} }));
      expect(out.status, page).toBe(200);
      expect(out.data.brand.brandColor).toBe("#7c4a2d");
    }
    const { cookie } = await joined(closed);
    expect(
      (await run(() => home.loader({ request: get(`/p/${closed.slug}`, cookie), params: { merchant: closed.slug }, context: {} }))).data.kind,
    ).toBe("member");
  });
});
