import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { createMemberSession } from "~/auth/member-session.server";
import { getOrCreateCode } from "~/domain/referrals/codes.server";
import { getReferralSettings, saveReferralSettings } from "~/domain/referrals/program.server";
import { DEFAULT_REFERRAL_SETTINGS, type ReferralSettings } from "~/domain/referrals/settings";
import { newId } from "~/lib/ids";
import * as overviewPage from "~/routes/admin.$merchant.referrals._index";
import * as reviewPage from "~/routes/admin.$merchant.referrals.review";
import * as settingsPage from "~/routes/admin.$merchant.referrals.settings";
import * as treePage from "~/routes/admin.$merchant.referrals.tree.$memberId";
import * as treeChildren from "~/routes/admin.$merchant.referrals.tree.$memberId.children";
import * as portalLayout from "~/routes/p.$merchant";
import * as landingPage from "~/routes/p.$merchant.r.$code";
import * as referPage from "~/routes/p.$merchant.refer";
import * as signupPage from "~/routes/p.$merchant.signup";
import * as shortLink from "~/routes/r.$code";
import { createStaff, getRequest, postRequest } from "../../support/admin";
import { ORIGIN, run } from "../../support/auth";
import { testDb } from "../../support/db";
import { ledgerFixture } from "../../support/ledger";

/**
 * The referral pages through their loaders and actions with real requests against PostgreSQL: the landing page and
 * its cookies, the short link, sign-up attribution (cookie and typed code), the portal's Refer page (privacy of the
 * network view, invite errors), and the admin overview, tree, review queue and settings (field errors, tenancy).
 */

const STAFF = { type: "staff" as const, id: "stf_test" };
const BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";

async function shop(settings: Partial<ReferralSettings> = {}) {
  const f = await ledgerFixture({ bonuses: { signup: 0, firstOrder: 0, birthday: 0, profileCompleted: 0 } });
  const m = await testDb().selectFrom("merchants").select(["slug", "name"]).where("id", "=", f.merchantId).executeTakeFirstOrThrow();
  await f.tx((trx) => saveReferralSettings(trx, f.merchantId, { ...DEFAULT_REFERRAL_SETTINGS, enabled: true, ...settings }, STAFF));
  const memberCookie = (token: string) => `prn_m_${m.slug.replace(/-/g, "_")}=${encodeURIComponent(token)}`;
  let n = 0;
  return {
    ...f,
    slug: m.slug,
    name: m.name,
    async member(name: string | null, email?: string) {
      const id = newId("member");
      n += 1;
      await f.tx((trx) => trx.insertInto("members").values({ merchant_id: f.merchantId, id, email: email ?? `p${n}-${id.slice(-8)}@pages.test`, name }).execute());
      return id;
    },
    code: (memberId: string) => f.tx(async (trx) => (await getOrCreateCode(trx, f.merchantId, memberId)).code),
    async session(memberId: string) {
      const { token } = await createMemberSession(testDb(), f.merchantId, memberId);
      return memberCookie(token);
    },
    referralOf: (memberId: string) =>
      f.tx((trx) => trx.selectFrom("referrals").select(["id", "referrer_id", "via", "status", "device_id"]).where("merchant_id", "=", f.merchantId).where("member_id", "=", memberId).executeTakeFirst()),
    count: (table: "referral_clicks" | "referrals" | "members" | "referral_invites" | "audit_log") =>
      f.tx(async (trx) => (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(trx)).rows[0]!.n),
  };
}
type Shop = Awaited<ReturnType<typeof shop>>;

function visit(path: string, headers: Record<string, string> = {}): Request {
  return new Request(`${ORIGIN}${path}`, { headers: { "User-Agent": BROWSER, ...headers } });
}

function landing(s: Shop, code: string, headers: Record<string, string> = {}) {
  return run(() => landingPage.loader({ request: visit(`/p/${s.slug}/r/${code}`, headers), params: { merchant: s.slug, code }, context: {} }));
}

/** Every Set-Cookie of a `data()` result, by cookie name. */
function cookies(raw: unknown): Record<string, string> {
  const init = (raw as { init?: ResponseInit | null }).init;
  const h = new Headers(init?.headers);
  return Object.fromEntries(h.getSetCookie().map((c) => [c.slice(0, c.indexOf("=")), c]));
}

async function landingWithCookies(s: Shop, code: string, headers: Record<string, string> = {}) {
  const raw = await landingPage.loader({ request: visit(`/p/${s.slug}/r/${code}`, headers), params: { merchant: s.slug, code }, context: {} });
  const outcome = await run(async () => raw);
  return { outcome, cookies: cookies(raw) };
}

/** A flat "name=value" cookie header from Set-Cookie lines. */
const cookieHeader = (...setCookies: string[]) => setCookies.map((c) => c.split(";")[0]).join("; ");

function signup(s: Shop, form: Record<string, string>, cookie = "") {
  const request = new Request(`${ORIGIN}/p/${s.slug}/signup`, {
    method: "POST",
    headers: { Origin: ORIGIN, "Content-Type": "application/x-www-form-urlencoded", "User-Agent": BROWSER, ...(cookie ? { Cookie: cookie } : {}) },
    body: new URLSearchParams(form).toString(),
  });
  return run(() => signupPage.action({ request, params: { merchant: s.slug }, context: {} }));
}

const fieldErrors = (o: { data: { result?: { error?: Record<string, string[] | null> } } }) => o.data?.result?.error ?? {};

describe("landing page /p/<slug>/r/<code>", () => {
  it("shows the referrer's first name and the friend's offer, records the click and sets both cookies", async () => {
    const s = await shop({ cookieDays: 7, friendReward: { kind: "points", points: 750 } });
    const ada = await s.member("Ada Lovelace", "ada.private@pages.test");
    const code = await s.code(ada);
    const { outcome, cookies: set } = await landingWithCookies(s, code.toLowerCase());
    expect(outcome.status).toBe(200);
    expect(outcome.data.view).toMatchObject({ referrer: "Ada", friendOffer: "750 points", code, programName: s.name });
    expect(outcome.data.view.signupHref).toBe(`/p/${s.slug}/signup?code=${code}`);
    const body = JSON.stringify(outcome.data);
    for (const secret of ["Lovelace", "ada.private", ada]) expect(body).not.toContain(secret);
    expect(await s.count("referral_clicks")).toBe(1);

    const ref = set[`prn_ref_${s.slug.replace(/-/g, "_")}`]!;
    expect(ref).toMatch(new RegExp(`=${code};`));
    expect(ref).toContain("Path=/p");
    expect(ref).toContain("HttpOnly");
    expect(ref).toContain("SameSite=Lax");
    // The configured lifetime: 7 days from now.
    const expires = new Date(/Expires=([^;]+)/.exec(ref)![1]!).getTime();
    expect(Math.abs(expires - (Date.now() + 7 * 86_400_000))).toBeLessThan(60_000);
    expect(set.prn_dev).toMatch(/^prn_dev=[a-z2-7]{26}; Path=\//);

    // The device keeps its id on the next visit: no new device cookie, the click carries the same id.
    const again = await landingWithCookies(s, code, { Cookie: cookieHeader(set.prn_dev!) });
    expect(again.cookies.prn_dev).toBeUndefined();
    const devices = await s.tx((trx) => trx.selectFrom("referral_clicks").select("device_id").execute());
    expect(new Set(devices.map((d) => d.device_id)).size).toBe(1);
  });

  it("answers an unknown, malformed or switched-off code with a friendly 404 and no attribution cookie", async () => {
    const s = await shop();
    for (const code of ["NOSUCH7", "x", "<script>"]) {
      const { outcome, cookies: set } = await landingWithCookies(s, code);
      expect(outcome.status).toBe(404);
      expect(outcome.data).toMatchObject({ kind: "unknown", signupHref: `/p/${s.slug}/signup` });
      expect(Object.keys(set).filter((k) => k.startsWith("prn_ref_"))).toEqual([]);
    }
    const off = await shop({ enabled: false });
    const bob = await off.member("Bob Builder");
    const code = await off.code(bob);
    expect((await landing(off, code)).status).toBe(404);
    expect(await off.count("referral_clicks")).toBe(0);
  });

  it("gives link-preview bots a generic invitation and counts no click", async () => {
    const s = await shop();
    const ada = await s.member("Ada Lovelace");
    const code = await s.code(ada);
    const r = await landing(s, code, { "User-Agent": "WhatsApp/2.23.20.0 A" });
    expect(r.status).toBe(200);
    expect(r.data.kind).toBe("preview");
    expect(JSON.stringify(r.data)).not.toContain("Ada");
    expect(await s.count("referral_clicks")).toBe(0);
  });

  it("stays open to visitors on a members-only portal", async () => {
    const s = await shop();
    await testDb().updateTable("merchants").set({ settings: JSON.stringify({ membersOnlyPortal: true }) }).where("id", "=", s.merchantId).execute();
    const layout = (path: string) => run(() => portalLayout.loader({ request: visit(path), params: { merchant: s.slug }, context: {} }));
    expect((await layout(`/p/${s.slug}/r/ABCD2345`)).status).toBe(200);
    expect((await layout(`/p/${s.slug}/refer`)).location).toMatch(/\/login\?redirectTo=/);
  });

  it("does not attribute a visitor who is already a member", async () => {
    const s = await shop();
    const ada = await s.member("Ada Lovelace");
    const bob = await s.member("Bob Builder");
    const { outcome, cookies: set } = await landingWithCookies(s, await s.code(ada), { Cookie: await s.session(bob) });
    expect(outcome.data).toMatchObject({ kind: "landing", member: true });
    expect(Object.keys(set).filter((k) => k.startsWith("prn_ref_"))).toEqual([]);
  });
});

describe("short link /r/<code>", () => {
  it("redirects to the one program with the code, keeping the query", async () => {
    const s = await shop();
    const code = await s.code(await s.member("Ada Lovelace"));
    const r = await run(() => shortLink.loader({ request: visit(`/r/${code}?utm_source=wa`), params: { code }, context: {} }));
    expect(r.status).toBe(302);
    expect(r.location).toBe(`/p/${s.slug}/r/${code}?utm_source=wa`);
  });

  it("is a 404 for an unknown code and a chooser when two programs issued the same code", async () => {
    const unknown = await run(() => shortLink.loader({ request: visit("/r/ZZZZ9999"), params: { code: "ZZZZ9999" }, context: {} }));
    expect(unknown.status).toBe(404);
    const a = await shop();
    const b = await shop();
    const code = `DUP${Math.random().toString(36).slice(2, 8).toUpperCase()}`.replace(/[^A-Z0-9]/g, "").slice(0, 10);
    for (const s of [a, b]) {
      const id = await s.member("Same Code");
      await s.tx((trx) => trx.insertInto("referral_codes").values({ merchant_id: s.merchantId, member_id: id, code }).execute());
    }
    const r = await run(() => shortLink.loader({ request: visit(`/r/${code}`), params: { code }, context: {} }));
    expect(r.status).toBe(200);
    expect(r.data.programs.map((p: { name: string }) => p.name).sort()).toEqual([a.name, b.name].sort());
    expect(JSON.stringify(r.data)).not.toContain("Same Code");
  });
});

describe("sign-up attribution", () => {
  it("attributes by the landing page's cookie, then drops the cookie", async () => {
    const s = await shop();
    const ada = await s.member("Ada Lovelace");
    const code = await s.code(ada);
    const { cookies: set } = await landingWithCookies(s, code);
    const refName = `prn_ref_${s.slug.replace(/-/g, "_")}`;
    const r = await signup(s, { name: "Cleo Friend", email: "cleo@pages.test", password: "a perfectly fine password" }, cookieHeader(set[refName]!, set.prn_dev!));
    expect(r.status).toBe(302);
    const cleo = await s.tx((trx) => trx.selectFrom("members").select("id").where("email", "=", "cleo@pages.test").executeTakeFirstOrThrow());
    const referral = await s.referralOf(cleo.id);
    expect(referral).toMatchObject({ referrer_id: ada, via: "cookie", device_id: /^[a-z2-7]{26}$/ });
    // The response both starts the session and drops the attribution cookie (Max-Age=0).
    expect(r.setCookie).toContain(`${refName}=; Path=/p`);
  });

  it("attributes by a typed code (spaces, dashes and case ignored), which wins over a cookie", async () => {
    const s = await shop();
    const ada = await s.member("Ada Lovelace");
    const bob = await s.member("Bob Builder");
    const adaCode = await s.code(ada);
    const bobCode = await s.code(bob);
    const { cookies: set } = await landingWithCookies(s, adaCode);
    const typed = `${bobCode.slice(0, 3).toLowerCase()}-${bobCode.slice(3)} `;
    const r = await signup(s, { name: "Dan Friend", email: "dan@pages.test", password: "a perfectly fine password", referralCode: typed }, cookieHeader(...Object.values(set)));
    expect(r.status).toBe(302);
    const dan = await s.tx((trx) => trx.selectFrom("members").select("id").where("email", "=", "dan@pages.test").executeTakeFirstOrThrow());
    expect(await s.referralOf(dan.id)).toMatchObject({ referrer_id: bob, via: "code" });
  });

  it("refuses an unknown or malformed typed code with a field error and creates nobody", async () => {
    const s = await shop();
    const before = await s.count("members");
    for (const [code, message] of [
      ["NOPE2345", /don't know this referral code/],
      ["a!", /4 to 16 letters and digits/],
      ["x".repeat(41), /at most 16/],
    ] as const) {
      const r = await signup(s, { name: "Eve Friend", email: "eve@pages.test", password: "a perfectly fine password", referralCode: code });
      expect(r.status).toBe(400);
      expect(fieldErrors(r).referralCode?.join(" ")).toMatch(message);
    }
    expect(await s.count("members")).toBe(before);
  });

  it("offers the code field only while the program is on, prefilled from the cookie or the link", async () => {
    const s = await shop();
    const code = await s.code(await s.member("Ada Lovelace"));
    const fromLink = await run(() => signupPage.loader({ request: visit(`/p/${s.slug}/signup?code=${code}`), params: { merchant: s.slug }, context: {} }));
    // The sign-up keeps the invitation's context: who invited them (first name only) and the gift with its condition.
    expect(fromLink.data.referral).toMatchObject({ enabled: true, code, invitation: { referrer: "Ada" } });
    const off = await shop({ enabled: false });
    const r = await run(() => signupPage.loader({ request: visit(`/p/${off.slug}/signup?code=${code}`), params: { merchant: off.slug }, context: {} }));
    expect(r.data.referral).toEqual({ enabled: false, code: null, invitation: null });
  });
});

describe("portal Refer page", () => {
  it("shows the link, QR code and share links, and the network without other members' personal data", async () => {
    const s = await shop({ referrerReward: { kind: "points", points: 1000 }, qualifyingEvent: { kind: "signup" }, holdDays: 0 });
    const ada = await s.member("Ada Lovelace", "ada@pages.test");
    const bob = await s.member("Bob Secretsurname", "bob.private@pages.test");
    const cleo = await s.member("Cleo Deepdown", "cleo.private@pages.test");
    const { attributeMember } = await import("~/domain/flows/referral-rewards.server");
    await s.tx(async (trx) => attributeMember(trx, s.merchantId, { memberId: bob, code: await s.code(ada), via: "api", actor: STAFF }));
    await s.tx(async (trx) => attributeMember(trx, s.merchantId, { memberId: cleo, code: await s.code(bob), via: "api", actor: STAFF }));
    await s.tx((trx) =>
      trx.insertInto("orders").values({ merchant_id: s.merchantId, id: newId("order"), member_id: cleo, source: "api", external_order_id: "cleo-1", amount_minor: 98_765, currency: "USD", occurred_at: new Date() }).execute(),
    );

    const anonymous = await run(() => referPage.loader({ request: visit(`/p/${s.slug}/refer`), params: { merchant: s.slug }, context: {} }));
    expect(anonymous.status).toBe(302);
    expect(anonymous.location).toMatch(new RegExp(`^/p/${s.slug}/login`));

    const view = await run(async () => referPage.loader({ request: visit(`/p/${s.slug}/refer`, { Cookie: await s.session(ada) }), params: { merchant: s.slug }, context: {} }));
    expect(view.status).toBe(200);
    const d = view.data;
    expect(d.share.link).toMatch(new RegExp(`/r/${await s.code(ada)}$`));
    expect(d.share.qr.size).toBeGreaterThan(20);
    expect(d.share.qr.path).toMatch(/^M\d+ \d+h\d+v1h-\d+z/);
    expect(d.share.shares.map((x: { key: string }) => x.key)).toEqual(["whatsapp", "x", "facebook", "sms", "email"]);
    expect(d.referrals.rows).toEqual([{ key: expect.stringMatching(/^ref_/), friend: "Bob S.", status: "rewarded", joinedOn: expect.any(String), reward: "1,000 points" }]);
    expect(d.referrals.network).toEqual([
      { level: 1, members: 1 },
      { level: 2, members: 1 },
    ]);
    expect(d.referrals.rewardsEarned).toBe("1,000 points");
    // Privacy: nothing identifies Bob beyond "Bob S.", nothing about Cleo at all, no amounts of theirs.
    const body = JSON.stringify(d);
    for (const secret of ["Secretsurname", "bob.private", bob, "Cleo", "Deepdown", "cleo.private", cleo, "987", "98765"]) expect(body, secret).not.toContain(secret);
  });

  it("says so when the program is off, without a link", async () => {
    const s = await shop({ enabled: false });
    const ada = await s.member("Ada Lovelace");
    const r = await run(async () => referPage.loader({ request: visit(`/p/${s.slug}/refer`, { Cookie: await s.session(ada) }), params: { merchant: s.slug }, context: {} }));
    expect(r.data.share).toBeNull();
    expect(await s.tx((trx) => trx.selectFrom("referral_codes").select("code").execute())).toEqual([]);
  });

  it("sends an invite, and answers bad input, members and the daily limit as field errors", async () => {
    const s = await shop({ invitesPerDay: 1 });
    const ada = await s.member("Ada Lovelace");
    await s.member("Existing One", "existing@pages.test");
    const cookie = await s.session(ada);
    const invite = (form: Record<string, string>) =>
      run(() => referPage.action({ request: postRequest(`/p/${s.slug}/refer`, cookie, form), params: { merchant: s.slug }, context: {} }));

    const bad = await invite({ to: "not-an-email", note: "x".repeat(501) });
    expect(bad.status).toBe(400);
    expect(fieldErrors(bad).to).toEqual(["Enter a valid e-mail address"]);
    expect(fieldErrors(bad).note).toEqual(["The note must be at most 500 characters"]);

    const member = await invite({ to: "existing@pages.test" });
    expect(member.status).toBe(409);
    expect(fieldErrors(member).to).toEqual(["This person is already a member"]);

    const ok = await invite({ to: "Friend@Pages.test", note: "You'll love the coffee" });
    expect(ok.status).toBe(200);
    expect(ok.data.sent).toBe("friend@pages.test");
    const mail = await s.tx((trx) => trx.selectFrom("email_outbox").select(["template", "to_address", "text_body"]).where("template", "=", "referral-invite").executeTakeFirstOrThrow());
    expect(mail.to_address).toBe("friend@pages.test");
    expect(mail.text_body).toContain("You'll love the coffee");

    const limited = await invite({ to: "another@pages.test" });
    expect(limited.status).toBe(429);
    expect(fieldErrors(limited).to?.[0]).toMatch(/1 invitations a day/);
    expect(await s.count("referral_invites")).toBe(1);
  });
});

describe("admin referral pages", () => {
  async function staffed(settings: Partial<ReferralSettings> = {}) {
    const s = await shop(settings);
    return { s, admin: await createStaff(s.merchantId, "admin"), analyst: await createStaff(s.merchantId, "analyst") };
  }

  it("settings: validates with field errors, saves what the form says (audited), refuses a forged reward", async () => {
    const { s, admin, analyst } = await staffed();
    const view = await run(() => settingsPage.loader({ request: getRequest(`/admin/${s.slug}/referrals/settings`, analyst.cookie), params: { merchant: s.slug }, context: {} }));
    expect(view.data).toMatchObject({ editable: false, currency: "USD" });
    const form = {
      enabled: "on",
      qualifyingKind: "first_order_above",
      minAmount: "25.00",
      holdDays: "30",
      friendKind: "points",
      friendPoints: "500",
      referrerKind: "points",
      referrerPoints: "1000",
      referrerCapPerMonth: "5",
      referrerCapLifetime: "",
      depthCap: "3",
      level2: "100",
      level3: "25",
      cookieDays: "45",
      disposableDomains: "mailinator.com\nyopmail.com",
      velocityPerHour: "10",
      ipWindowHours: "24",
      invitesPerDay: "5",
    };
    const save = (f: Record<string, string>) => run(() => settingsPage.action({ request: postRequest(`/admin/${s.slug}/referrals/settings`, admin.cookie, f), params: { merchant: s.slug }, context: {} }));

    const bad = await save({ ...form, minAmount: "abc", holdDays: "-3", depthCap: "0", disposableDomains: "not a domain!" });
    expect(bad.status).toBe(400);
    expect(fieldErrors(bad)).toMatchObject({
      minAmount: ["Enter an amount like 25.00"],
      holdDays: ["Hold period must be at least 0"],
      depthCap: ["Levels paid must be at least 1"],
    });
    expect(fieldErrors(bad).disposableDomains?.[0]).toMatch(/is not a domain/);

    const forged = await save({ ...form, friendKind: "reward", friendRewardId: "rwd_notours" });
    expect(forged.status).toBe(400);
    expect(fieldErrors(forged).friendRewardId).toEqual(["Choose a reward from the catalog"]);

    const ok = await save(form);
    expect(ok.status).toBe(200);
    const saved = await s.tx((trx) => getReferralSettings(trx, s.merchantId));
    expect(saved).toMatchObject({
      qualifyingEvent: { kind: "first_order_above", minAmountMinor: 2500 },
      holdDays: 30,
      referrerCapPerMonth: 5,
      referrerCapLifetime: null,
      depthCap: 3,
      levelPoints: { "2": 100, "3": 25 },
      cookieDays: 45,
      disposableDomains: ["mailinator.com", "yopmail.com"],
    });
    const audit = await s.tx((trx) => trx.selectFrom("audit_log").select(["action", "actor_id"]).where("action", "=", "referrals.settings_saved").execute());
    expect(audit).toContainEqual({ action: "referrals.settings_saved", actor_id: admin.id });

    const asAnalyst = await run(() => settingsPage.action({ request: postRequest(`/admin/${s.slug}/referrals/settings`, analyst.cookie, form), params: { merchant: s.slug }, context: {} }));
    expect(asAnalyst.status).toBe(403);
  });

  it("review queue: a reason is required, the decision is applied and audited, another merchant's item is not found", async () => {
    const { s, admin } = await staffed({ velocityPerHour: 1, qualifyingEvent: { kind: "signup" }, holdDays: 0 });
    const ada = await s.member("Ada Lovelace");
    const { attributeMember } = await import("~/domain/flows/referral-rewards.server");
    const code = await s.code(ada);
    const friends = [await s.member("Friend One"), await s.member("Friend Two")];
    for (const f of friends) await s.tx((trx) => attributeMember(trx, s.merchantId, { memberId: f, code, via: "api", actor: STAFF }));
    // The second sign-up within the hour broke the velocity limit: flagged.
    const page = await run(() => reviewPage.loader({ request: getRequest(`/admin/${s.slug}/referrals/review`, admin.cookie), params: { merchant: s.slug }, context: {} }));
    expect(page.data.items).toHaveLength(1);
    const item = page.data.items[0];
    expect(item).toMatchObject({ friend: { name: "Friend Two" }, referrer: { name: "Ada Lovelace" }, reasons: ["Too many sign-ups per hour"] });

    const decide = (f: Record<string, string>, slug = s.slug, cookie = admin.cookie) =>
      run(() => reviewPage.action({ request: postRequest(`/admin/${slug}/referrals/review`, cookie, f), params: { merchant: slug }, context: {} }));
    const noReason = await decide({ reviewId: item.reviewId, decision: "approve", reason: "" });
    expect(noReason.status).toBe(400);
    expect(fieldErrors(noReason).reason?.[0]).toMatch(/Give a reason/);
    const badDecision = await decide({ reviewId: item.reviewId, decision: "pay-double", reason: "because" });
    expect(fieldErrors(badDecision).decision?.[0]).toMatch(/Choose approve, reject or block/);

    const other = await staffed();
    const otherAdmin = other.admin;
    const foreign = await decide({ reviewId: item.reviewId, decision: "reject", reason: "not mine" }, other.s.slug, otherAdmin.cookie);
    expect(foreign.status).toBe(404);

    const ok = await decide({ reviewId: item.reviewId, decision: "approve", reason: "Same office, checked by phone" });
    expect(ok.status).toBe(200);
    expect(ok.data.decided).toMatch(/Approved/);
    expect((await s.referralOf(friends[1]!))!.status).toBe("rewarded");
    const audit = await s.tx((trx) => trx.selectFrom("audit_log").select(["action", "actor_id"]).where("action", "=", "referrals.review_approve").execute());
    expect(audit).toEqual([{ action: "referrals.review_approve", actor_id: admin.id }]);

    const again = await decide({ reviewId: item.reviewId, decision: "reject", reason: "changed my mind" });
    expect(again.status).toBe(409);
    const after = await run(() => reviewPage.loader({ request: getRequest(`/admin/${s.slug}/referrals/review`, admin.cookie), params: { merchant: s.slug }, context: {} }));
    expect(after.data.items).toEqual([]);
    expect(after.data.decided[0]).toMatchObject({ decision: "approve", note: "Same office, checked by phone", decidedBy: "Staff admin" });
  });

  it("tree: the root with its first page of children, more pages through the resource route, 404 for another merchant's member", async () => {
    const { s, analyst } = await staffed({ velocityPerHour: 1000 });
    const { attributeMember } = await import("~/domain/flows/referral-rewards.server");
    const root = await s.member("Rita Root");
    const code = await s.code(root);
    const kids: string[] = [];
    for (let i = 0; i < 27; i++) {
      const k = await s.member(`Kid ${i}`);
      await s.tx((trx) => attributeMember(trx, s.merchantId, { memberId: k, code, via: "api", actor: STAFF }));
      kids.push(k);
    }
    const grandchild = await s.member("Gina Grand");
    await s.tx(async (trx) => attributeMember(trx, s.merchantId, { memberId: grandchild, code: await s.code(kids[0]!), via: "api", actor: STAFF }));

    const page = await run(() => treePage.loader({ request: getRequest(`/admin/${s.slug}/referrals/tree/${root}`, analyst.cookie), params: { merchant: s.slug, memberId: root }, context: {} }));
    expect(page.status).toBe(200);
    expect(page.data.root).toMatchObject({ memberId: root, name: "Rita Root", childCount: 27, referralStatus: null });
    expect(page.data.firstPage.nodes).toHaveLength(25);
    expect(page.data.network.levels.map((l: { level: number; members: number }) => [l.level, l.members])).toEqual([
      [1, 27],
      [2, 1],
    ]);
    const children = (memberId: string, cursor?: string) =>
      run(() =>
        treeChildren.loader({
          request: getRequest(`/admin/${s.slug}/referrals/tree/${memberId}/children${cursor ? `?cursor=${cursor}` : ""}`, analyst.cookie),
          params: { merchant: s.slug, memberId },
          context: {},
        }),
      );
    const next = await children(root, page.data.firstPage.nextCursor);
    expect(next.data.nodes).toHaveLength(2);
    expect(next.data.nextCursor).toBeNull();
    const all = [...page.data.firstPage.nodes, ...next.data.nodes].map((n: { memberId: string }) => n.memberId);
    expect(new Set(all)).toEqual(new Set(kids));
    const sub = await children(kids[0]!);
    expect(sub.data.nodes).toMatchObject([{ memberId: grandchild, name: "Gina Grand", childCount: 0 }]);
    const gina = await run(() => treePage.loader({ request: getRequest(`/admin/${s.slug}/referrals/tree/${grandchild}`, analyst.cookie), params: { merchant: s.slug, memberId: grandchild }, context: {} }));
    expect(gina.data.upline.map((u: { name: string; level: number }) => [u.name, u.level])).toEqual([
      ["Kid 0", 1],
      ["Rita Root", 2],
    ]);

    const other = await staffed();
    for (const fn of [
      () => treePage.loader({ request: getRequest(`/admin/${other.s.slug}/referrals/tree/${root}`, other.analyst.cookie), params: { merchant: other.s.slug, memberId: root }, context: {} }),
      () => treeChildren.loader({ request: getRequest(`/admin/${other.s.slug}/referrals/tree/${root}/children`, other.analyst.cookie), params: { merchant: other.s.slug, memberId: root }, context: {} }),
      () => treeChildren.loader({ request: getRequest(`/admin/${s.slug}/referrals/tree/${root}/children?cursor=bogus`, analyst.cookie), params: { merchant: s.slug, memberId: root }, context: {} }),
    ]) {
      const r = await run(fn);
      expect(r.status).toBe(404);
      expect(JSON.stringify(r.data)).not.toContain("Rita");
    }
  });

  it("tree: admins correct a referrer by e-mail or code with a reason (audited); analysts cannot; errors name the field", async () => {
    const { s, admin, analyst } = await staffed({ velocityPerHour: 1000 });
    const { attributeMember } = await import("~/domain/flows/referral-rewards.server");
    const ann = await s.member("Ann Wrong", "ann.wrong@pages.test");
    const ray = await s.member("Ray Right", "ray.right@pages.test");
    const fred = await s.member("Fred Friend");
    await s.tx(async (trx) => attributeMember(trx, s.merchantId, { memberId: fred, code: await s.code(ann), via: "api", actor: STAFF }));
    const correct = (cookie: string, form: Record<string, string>) =>
      run(() => treePage.action({ request: postRequest(`/admin/${s.slug}/referrals/tree/${fred}`, cookie, form), params: { merchant: s.slug, memberId: fred }, context: {} }));

    expect((await correct(analyst.cookie, { intent: "set", referrer: "ray.right@pages.test", reason: "Typo at sign-up" })).status).toBe(403);
    const noReason = await correct(admin.cookie, { intent: "set", referrer: "ray.right@pages.test", reason: "" });
    expect(noReason.status).toBe(400);
    expect(noReason.data.result.error.reason).toBeTruthy();
    const unknown = await correct(admin.cookie, { intent: "set", referrer: "nobody@pages.test", reason: "Typo at sign-up" });
    expect(unknown.status).toBe(404);
    expect(unknown.data.result.error.referrer?.[0]).toMatch(/no member/i);
    expect((await s.referralOf(fred))?.referrer_id).toBe(ann);

    const audits = await s.count("audit_log");
    const ok = await correct(admin.cookie, { intent: "set", referrer: "Ray.Right@pages.test", reason: "Typo at sign-up" });
    expect(ok.status).toBe(200);
    expect(ok.data.done).toMatch(/corrected/);
    expect((await s.referralOf(fred))?.referrer_id).toBe(ray);
    expect(await s.count("audit_log")).toBe(audits + 1);
    // By referral code too, and the edge follows.
    expect((await correct(admin.cookie, { intent: "set", referrer: (await s.code(ann)).toLowerCase(), reason: "Back to Ann after all" })).status).toBe(200);
    const edge = await s.tx((trx) => trx.selectFrom("referral_edges").select("referrer_id").where("member_id", "=", fred).executeTakeFirstOrThrow());
    expect(edge.referrer_id).toBe(ann);
    // Nobody can be their own referrer.
    const self = await correct(admin.cookie, { intent: "set", referrer: await s.code(fred), reason: "Testing self" });
    expect(self.status).toBe(422);
    expect(self.data.result.error.referrer?.[0]).toMatch(/themselves/);
  });

  it("overview: the week's funnel and the top referrers by network value", async () => {
    const { s, analyst } = await staffed({ qualifyingEvent: { kind: "signup" }, holdDays: 0 });
    const { attributeMember } = await import("~/domain/flows/referral-rewards.server");
    const ada = await s.member("Ada Lovelace");
    const bob = await s.member("Bob Builder");
    const adaCode = await s.code(ada);
    await landing(s, adaCode);
    await landing(s, adaCode);
    const friend = await s.member("Fay Friend");
    await s.tx((trx) => attributeMember(trx, s.merchantId, { memberId: friend, code: adaCode, via: "api", actor: STAFF }));
    await s.tx((trx) =>
      trx.insertInto("orders").values({ merchant_id: s.merchantId, id: newId("order"), member_id: friend, source: "api", external_order_id: "fay-1", amount_minor: 50_000, currency: "USD", occurred_at: new Date() }).execute(),
    );
    const bobFriend = await s.member("Ben Friend");
    await s.tx(async (trx) => attributeMember(trx, s.merchantId, { memberId: bobFriend, code: await s.code(bob), via: "api", actor: STAFF }));

    const r = await run(() => overviewPage.loader({ request: getRequest(`/admin/${s.slug}/referrals`, analyst.cookie), params: { merchant: s.slug }, context: {} }));
    expect(r.data.totals).toEqual({ clicks: 2, signups: 2, qualified: 2, rewarded: 2 });
    expect(r.data.points).toHaveLength(12);
    expect(r.data.points.at(-1).values).toEqual({ clicks: 2, signups: 2, qualified: 2, rewarded: 2 });
    expect(r.data.top.map((t: { name: string; networkValue: string }) => [t.name, t.networkValue])).toEqual([
      ["Ada Lovelace", "$500.00"],
      ["Bob Builder", "$0.00"],
    ]);
  });
});
