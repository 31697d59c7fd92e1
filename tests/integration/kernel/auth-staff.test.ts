import { afterEach, describe, expect, it } from "vitest";
import { advanceClock, resetClock } from "~/lib/clock.server";
import { hashSecret } from "~/auth/tokens.server";
import { IDLE_MS } from "~/auth/session-policy";
import { validateStaffSessionToken } from "~/auth/staff-session.server";
import * as adminIndex from "~/routes/admin._index";
import * as forgot from "~/routes/forgot-password";
import * as login from "~/routes/login";
import * as logout from "~/routes/logout";
import * as reset from "~/routes/reset-password.$token";
import * as signup from "~/routes/signup";
import { withTenant } from "~/db.server";
import { staffMemberships } from "~/domain/merchants/merchants.server";
import { removeStaff } from "~/domain/staff/team.server";
import { createStaff } from "../../support/admin";
import { createMerchant } from "../../support/api";
import { testDb } from "../../support/db";
import {
  cookiePair,
  count,
  fieldErrors,
  get,
  lastPlatformEmail,
  newMerchant,
  PASSWORD,
  post,
  run,
  tokenFromLink,
  tokenOf,
  uniq,
} from "../../support/auth";

afterEach(() => resetClock());

const signupForm = (over: Record<string, string> = {}) => {
  const slug = uniq("su");
  return {
    merchantName: "Sign-up Shop",
    slug,
    currency: "EUR",
    timezone: "Europe/Berlin",
    name: "Sam Signup",
    email: `${slug}@example.com`,
    password: PASSWORD,
    ...over,
  };
};

async function loginAs(email: string, password = PASSWORD, extra: Record<string, string> = {}, cookie?: string) {
  return run(() => login.action({ request: post("/login", { email, password, ...extra }, cookie), params: {}, context: {} }));
}

describe("merchant sign-up", () => {
  it("creates merchant, owner and membership in one go, logs in and opens the admin", async () => {
    const form = signupForm({ slug: uniq("Su").toUpperCase(), email: `MiXeD-${uniq()}@Example.com` });
    const out = await run(() => signup.action({ request: post("/signup", form), params: {}, context: {} }));
    expect(out.status).toBe(302);
    const slug = form.slug.toLowerCase();
    expect(out.location).toBe(`/admin/${slug}`);
    const merchant = await testDb().selectFrom("merchants").selectAll().where("slug", "=", slug).executeTakeFirstOrThrow();
    expect(merchant).toMatchObject({ name: "Sign-up Shop", currency: "EUR", timezone: "Europe/Berlin" });
    const user = await testDb().selectFrom("staff_users").selectAll().where("email", "=", form.email.toLowerCase()).executeTakeFirstOrThrow();
    expect(user.email).toBe(form.email.toLowerCase());
    // S5: argon2id with the OWASP minimum parameters, read from the stored hash itself.
    expect(user.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const auth = await validateStaffSessionToken(testDb(), tokenOf(cookiePair(out.setCookie)));
    expect(auth?.user.id).toBe(user.id);
    expect(out.setCookie).toMatch(/Path=\/;/);
    expect(out.setCookie).toMatch(/HttpOnly/);
    expect(out.setCookie).toMatch(/SameSite=Lax/);
    // The picker sends a single-merchant user straight in.
    const picker = await run(() => adminIndex.loader({ request: get("/admin", cookiePair(out.setCookie)), params: {}, context: {} }));
    expect(picker).toMatchObject({ status: 302, location: `/admin/${slug}` });
  });

  it("refuses an e-mail that already has an account, without creating anything", async () => {
    const { owner } = await newMerchant();
    const before = [await count("merchants"), await count("staff_users")];
    const out = await run(() =>
      signup.action({ request: post("/signup", signupForm({ email: owner.email.toUpperCase() })), params: {}, context: {} }),
    );
    expect(out.status).toBe(409);
    expect(fieldErrors(out).email?.[0]).toMatch(/already has an account — log in/);
    expect([await count("merchants"), await count("staff_users")]).toEqual(before);
  });

  it("refuses a taken address", async () => {
    const { merchant } = await newMerchant();
    const before = await count("staff_users");
    const out = await run(() => signup.action({ request: post("/signup", signupForm({ slug: merchant.slug })), params: {}, context: {} }));
    expect(out.status).toBe(409);
    expect(fieldErrors(out).slug?.[0]).toMatch(/taken/);
    expect(await count("staff_users")).toBe(before);
  });

  it.each([
    ["slug", { slug: "Bad Slug!" }],
    ["slug", { slug: "-dash" }],
    ["slug", { slug: "x".repeat(41) }],
    ["currency", { currency: "XYZ" }],
    ["currency", { currency: "" }],
    ["timezone", { timezone: "Mars/Olympus" }],
    ["merchantName", { merchantName: "" }],
    ["merchantName", { merchantName: "n".repeat(121) }],
    ["name", { name: " " }],
    ["email", { email: "not-an-email" }],
    ["email", { email: `${"a".repeat(250)}@example.com` }],
    ["password", { password: "short" }],
    ["password", { password: "p".repeat(129) }],
  ])("rejects bad %s (%j) with a field error and writes nothing", async (field, over) => {
    const before = [await count("merchants"), await count("staff_users")];
    const out = await run(() => signup.action({ request: post("/signup", signupForm(over)), params: {}, context: {} }));
    expect(out.status).toBe(400);
    expect(fieldErrors(out)[field]?.length).toBeGreaterThan(0);
    expect(out.data.result.initialValue?.password).toBeUndefined();
    expect([await count("merchants"), await count("staff_users")]).toEqual(before);
  });

  it("answers a body that is not a form with 400, not 500", async () => {
    const request = new Request("http://localhost:3000/signup", {
      method: "POST",
      headers: { Origin: "http://localhost:3000", "Content-Type": "application/json" },
      body: "{",
    });
    const out = await run(() => signup.action({ request, params: {}, context: {} }));
    expect(out.status).toBe(400);
  });

  it("accepts a 64-character password (S5)", async () => {
    const pw = "x".repeat(32) + "Y".repeat(31) + "!";
    expect(pw).toHaveLength(64);
    const form = signupForm({ password: pw });
    expect((await run(() => signup.action({ request: post("/signup", form), params: {}, context: {} }))).status).toBe(302);
    expect((await loginAs(form.email, pw)).status).toBe(302);
    expect((await loginAs(form.email, pw.slice(0, 63))).status).toBe(401);
  });
});

describe("staff login and logout", () => {
  it("starts a new session on every login and drops the one the browser carried (S4)", async () => {
    const { owner, merchant } = await newMerchant();
    const first = await loginAs(owner.email);
    expect(first).toMatchObject({ status: 302, location: "/admin" });
    const c1 = cookiePair(first.setCookie);
    const second = await loginAs(owner.email, PASSWORD, {}, c1);
    const c2 = cookiePair(second.setCookie);
    const id1 = tokenOf(c1).split(".")[0];
    const id2 = tokenOf(c2).split(".")[0];
    expect(id1).not.toBe(id2);
    expect(await validateStaffSessionToken(testDb(), tokenOf(c1))).toBeNull();
    expect((await validateStaffSessionToken(testDb(), tokenOf(c2)))?.user.id).toBe(owner.id);
    // Only SHA-256 of the secret is stored (S1).
    const row = await testDb().selectFrom("staff_sessions").selectAll().where("id", "=", id2!).executeTakeFirstOrThrow();
    const secret = tokenOf(c2).split(".")[1]!;
    expect(Buffer.from(row.secret_hash).equals(hashSecret(secret))).toBe(true);
    expect(JSON.stringify(row)).not.toContain(secret);
    // A token with the right id and a wrong secret is refused.
    expect(await validateStaffSessionToken(testDb(), `${id2}.${"a".repeat(32)}`)).toBeNull();
    void merchant;
  });

  it("follows a local redirectTo and ignores a foreign one", async () => {
    const { owner, merchant } = await newMerchant();
    expect((await loginAs(owner.email, PASSWORD, { redirectTo: `/admin/${merchant.slug}/members` })).location).toBe(
      `/admin/${merchant.slug}/members`,
    );
    expect((await loginAs(owner.email, PASSWORD, { redirectTo: "https://evil.example/" })).location).toBe("/admin");
    expect((await loginAs(owner.email, PASSWORD, { redirectTo: "//evil.example/x" })).location).toBe("/admin");
    const page = await run(() => login.loader({ request: get("/login?redirectTo=%2F%2Fevil.example"), params: {}, context: {} }));
    expect(page.data).toEqual({ redirectTo: "/admin" });
  });

  it("gives the same answer for an unknown e-mail and a wrong password (S6)", async () => {
    const { owner } = await newMerchant();
    const wrong = await loginAs(owner.email, "wrong password!");
    const unknown = await loginAs(`${uniq("nobody")}@example.com`, "wrong password!");
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.data.result.error).toEqual(unknown.data.result.error);
    expect(wrong.data.result.error[""]).toEqual(["Wrong e-mail or password."]);
    expect(wrong.setCookie).toBeNull();
  });

  it("rejects bad login input with field errors", async () => {
    const out = await loginAs("nope", "");
    expect(out.status).toBe(400);
    expect(fieldErrors(out).email).toBeTruthy();
    expect(fieldErrors(out).password).toBeTruthy();
    expect((await loginAs("a@example.com", "p".repeat(129))).status).toBe(400);
  });

  it("logout is POST only and revokes the session server-side (S4)", async () => {
    const { owner } = await newMerchant();
    const cookie = cookiePair((await loginAs(owner.email)).setCookie);
    const getOut = await run(() => logout.loader());
    expect(getOut.status).toBe(302);
    expect(await validateStaffSessionToken(testDb(), tokenOf(cookie))).not.toBeNull();
    const out = await run(() => logout.action({ request: post("/logout", {}, cookie), params: {}, context: {} }));
    expect(out).toMatchObject({ status: 302, location: "/login" });
    expect(out.setCookie).toMatch(/Max-Age=0/);
    expect(await validateStaffSessionToken(testDb(), tokenOf(cookie))).toBeNull();
    const id = tokenOf(cookie).split(".")[0]!;
    expect(await count("staff_sessions", { column: "id", value: id })).toBe(0);
  });

  it("expires sessions after the idle timeout and renews active ones (S2, fake clock)", async () => {
    const { owner } = await newMerchant();
    const token = tokenOf(cookiePair((await loginAs(owner.email)).setCookie));
    advanceClock(IDLE_MS / 2 + 60_000);
    const renewed = await validateStaffSessionToken(testDb(), token);
    expect(renewed).not.toBeNull();
    // Renewed: another almost-full idle window from now is still fine.
    advanceClock(IDLE_MS - 120_000);
    expect(await validateStaffSessionToken(testDb(), token)).not.toBeNull();
    advanceClock(IDLE_MS + 1000);
    expect(await validateStaffSessionToken(testDb(), token)).toBeNull();
    expect(await count("staff_sessions", { column: "id", value: token.split(".")[0]! })).toBe(0);
  });
});

describe("staff password reset", () => {
  async function requestReset(email: string) {
    return run(() => forgot.action({ request: post("/forgot-password", { email }), params: {}, context: {} }));
  }

  it("answers the same whether or not the e-mail exists, and e-mails only real accounts", async () => {
    const { owner } = await newMerchant();
    const nobody = `${uniq("nobody")}@example.com`;
    const a = await requestReset(owner.email);
    const b = await requestReset(nobody);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(a.data).toEqual(b.data);
    expect(await lastPlatformEmail(nobody)).toBeUndefined();
    const mail = await lastPlatformEmail(owner.email);
    expect(mail?.template).toBe("password-reset");
    expect(mail?.link).toMatch(/\/reset-password\/pwr_/);
  });

  it("sends at most one e-mail a minute per account", async () => {
    const { owner } = await newMerchant();
    for (let i = 0; i < 5; i++) expect((await requestReset(owner.email)).status).toBe(200);
    expect(await count("platform_email_outbox", { column: "to_address", value: owner.email })).toBe(1);
    advanceClock(61_000);
    await requestReset(owner.email);
    expect(await count("platform_email_outbox", { column: "to_address", value: owner.email })).toBe(2);
  });

  it("rejects a bad e-mail with a field error and sends nothing", async () => {
    const before = await count("platform_email_outbox");
    const out = await requestReset("not an email");
    expect(out.status).toBe(400);
    expect(fieldErrors(out).email).toBeTruthy();
    expect(await count("platform_email_outbox")).toBe(before);
  });

  it("sets the password once, revokes every session and logs in anew (S1, S4)", async () => {
    const { owner } = await newMerchant();
    const other = cookiePair((await loginAs(owner.email)).setCookie);
    await requestReset(owner.email);
    const token = tokenFromLink((await lastPlatformEmail(owner.email))!.link);
    // Stored as SHA-256 only.
    const [id, secret] = token.split(".") as [string, string];
    const row = await testDb().selectFrom("staff_password_resets").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    expect(Buffer.from(row.token_hash).equals(hashSecret(secret))).toBe(true);
    expect(secret.length * 5).toBeGreaterThanOrEqual(120);

    const page = await run(() => reset.loader({ request: get(`/reset-password/${token}`), params: { token }, context: {} }));
    expect(page.data).toEqual({ email: owner.email });
    // A wrong secret with the right id does not work.
    const forged = `${id}.${"a".repeat(32)}`;
    expect((await run(() => reset.loader({ request: get(`/reset-password/${forged}`), params: { token: forged }, context: {} }))).data).toEqual({
      email: null,
    });

    const newPassword = "a brand new passphrase";
    const mismatch = await run(() =>
      reset.action({ request: post(`/reset-password/${token}`, { password: newPassword, confirm: "other" }), params: { token }, context: {} }),
    );
    expect(mismatch.status).toBe(400);
    expect(fieldErrors(mismatch).confirm).toBeTruthy();

    const out = await run(() =>
      reset.action({ request: post(`/reset-password/${token}`, { password: newPassword, confirm: newPassword }), params: { token }, context: {} }),
    );
    expect(out).toMatchObject({ status: 302, location: "/admin" });
    expect(await validateStaffSessionToken(testDb(), tokenOf(other))).toBeNull();
    expect((await validateStaffSessionToken(testDb(), tokenOf(cookiePair(out.setCookie))))?.user.id).toBe(owner.id);
    expect((await loginAs(owner.email, PASSWORD)).status).toBe(401);
    expect((await loginAs(owner.email, newPassword)).status).toBe(302);

    // Single use.
    const again = await run(() =>
      reset.action({
        request: post(`/reset-password/${token}`, { password: "yet another one!", confirm: "yet another one!" }),
        params: { token },
        context: {},
      }),
    );
    expect(again.status).toBe(400);
    expect(again.data.result.error[""][0]).toMatch(/invalid, already used or expired/);
  });

  it("expires the link after an hour (fake clock)", async () => {
    const { owner } = await newMerchant();
    await requestReset(owner.email);
    const token = tokenFromLink((await lastPlatformEmail(owner.email))!.link);
    advanceClock(60 * 60 * 1000 + 1000);
    expect((await run(() => reset.loader({ request: get(`/reset-password/${token}`), params: { token }, context: {} }))).data).toEqual({
      email: null,
    });
    const out = await run(() =>
      reset.action({
        request: post(`/reset-password/${token}`, { password: "late new password", confirm: "late new password" }),
        params: { token },
        context: {},
      }),
    );
    expect(out.status).toBe(400);
    resetClock();
    expect((await loginAs(owner.email, PASSWORD)).status).toBe(302);
  });

  it("shows an invalid link for garbage tokens without a 500", async () => {
    for (const token of ["", "garbage", "pwr_x.y", `pwr_${"a".repeat(26)}.${"b".repeat(32)}`, "x".repeat(500)]) {
      expect((await run(() => reset.loader({ request: get(`/reset-password/x`), params: { token }, context: {} }))).data).toEqual({ email: null });
    }
  });
});

describe("another merchant for a logged-in user, and the picker", () => {
  it("creates a second merchant owned by the same account, with a fresh session, and lists both", async () => {
    const { owner, merchant } = await newMerchant();
    const cookie = cookiePair((await loginAs(owner.email)).setCookie);
    const page = await run(() => signup.loader({ request: get("/signup", cookie), params: {}, context: {} }));
    expect(page.data.me).toEqual({ email: owner.email });
    const users = await count("staff_users");

    const bad = await run(() =>
      signup.action({ request: post("/signup", { merchantName: "", slug: "x", currency: "EUR", timezone: "UTC" }, cookie), params: {}, context: {} }),
    );
    expect(bad.status).toBe(400);
    expect(Object.keys(fieldErrors(bad)).sort()).toEqual(["merchantName", "slug"]);
    const taken = await run(() =>
      signup.action({
        request: post("/signup", { merchantName: "Two", slug: merchant.slug, currency: "EUR", timezone: "UTC" }, cookie),
        params: {},
        context: {},
      }),
    );
    expect(taken.status).toBe(409);

    const slug = uniq("second");
    const out = await run(() =>
      signup.action({
        request: post("/signup", { merchantName: "Second Shop", slug, currency: "JPY", timezone: "Asia/Tokyo" }, cookie),
        params: {},
        context: {},
      }),
    );
    expect(out).toMatchObject({ status: 302, location: `/admin/${slug}` });
    expect(await count("staff_users")).toBe(users);
    expect(await validateStaffSessionToken(testDb(), tokenOf(cookie))).toBeNull();
    const fresh = cookiePair(out.setCookie);
    const picker = await run(() => adminIndex.loader({ request: get("/admin", fresh), params: {}, context: {} }));
    expect(picker.status).toBe(200);
    expect(picker.data.merchants.map((m: { slug: string; role: string }) => [m.slug, m.role]).sort()).toEqual(
      [
        [merchant.slug, "owner"],
        [slug, "owner"],
      ].sort(),
    );
  });

  it("redirects anonymous visitors to login", async () => {
    const anon = await run(() => adminIndex.loader({ request: get("/admin"), params: {}, context: {} }));
    expect(anon).toMatchObject({ status: 302, location: "/login?redirectTo=%2Fadmin" });
  });
});

describe("a staff user's memberships (issue 15: read before the merchant is known)", () => {
  it("lists exactly the merchants the user is on, with their roles, and follows removals", async () => {
    const a = await createMerchant("ms-a");
    const b = await createMerchant("ms-b");
    const c = await createMerchant("ms-c");
    const user = await createStaff(a.id, "owner");
    await withTenant(testDb(), b.id, (trx) => trx.insertInto("merchant_staff").values({ merchant_id: b.id, staff_user_id: user.id, role: "analyst" }).execute());
    const ownerOfB = await createStaff(b.id, "owner");
    await createStaff(c.id, "owner");

    const of = async (id: string) => (await staffMemberships(testDb(), id)).map((m) => [m.merchant.id, m.role]).sort();
    expect(await of(user.id)).toEqual([[a.id, "owner"], [b.id, "analyst"]].sort());
    expect(await of(ownerOfB.id)).toEqual([[b.id, "owner"]]);
    await removeStaff(testDb(), b.id, { type: "staff", id: ownerOfB.id }, user.id);
    expect(await of(user.id)).toEqual([[a.id, "owner"]]);
    // merchant_staff stays tenant-scoped for the app: only the SECURITY DEFINER door reads across merchants.
    expect(await testDb().selectFrom("merchant_staff").selectAll().where("staff_user_id", "=", user.id).execute()).toEqual([]);
  });
});
