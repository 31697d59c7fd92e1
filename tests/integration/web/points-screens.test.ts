import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { resetClock } from "~/lib/clock.server";
import { memberCookieName } from "~/auth/cookies.server";
import { createMemberSession } from "~/auth/member-session.server";
import { updateMemberProfile } from "~/domain/flows/profile.server";
import { signUpMember } from "~/domain/flows/portal-signup.server";
import { spendPoints } from "~/domain/points/ledger.server";
import { recordPurchase, recordRefund } from "~/domain/flows/purchase.server";
import * as memberPage from "~/routes/admin.$merchant.members.$memberId";
import * as portalHome from "~/routes/p.$merchant._index";
import * as portalPoints from "~/routes/p.$merchant.points";
import { createStaff, getRequest, postRequest } from "../../support/admin";
import { get, run } from "../../support/auth";
import { testDb } from "../../support/db";
import { ledgerFixture, SYSTEM, type LedgerFixture } from "../../support/ledger";

/** The points screens through their loaders and actions with real requests: the admin member page and the portal. */

afterEach(() => resetClock());

async function shop(overrides: Parameters<typeof ledgerFixture>[0] = {}) {
  const f = await ledgerFixture(overrides);
  const { slug } = await testDb().selectFrom("merchants").select("slug").where("id", "=", f.merchantId).executeTakeFirstOrThrow();
  return { ...f, slug };
}
type Shop = Awaited<ReturnType<typeof shop>>;

const KEY = () => crypto.randomUUID();

function adminAction(s: Shop, cookie: string, memberId: string, form: Record<string, string>) {
  return run(() =>
    memberPage.action({ request: postRequest(`/admin/${s.slug}/members/${memberId}`, cookie, form), params: { merchant: s.slug, memberId }, context: {} }),
  );
}

function adminLoader(s: Shop, cookie: string, memberId: string, query = "") {
  return memberPage.loader({ request: getRequest(`/admin/${s.slug}/members/${memberId}${query}`, cookie), params: { merchant: s.slug, memberId }, context: {} });
}

async function ledgerCount(f: LedgerFixture, memberId: string) {
  return f.tx(async (trx) => Number((await trx.selectFrom("ledger_journals").select(sql<string>`count(*)`.as("n")).where("member_id", "=", memberId).executeTakeFirstOrThrow()).n));
}

async function order(f: LedgerFixture, memberId: string, amountMinor: number, externalOrderId: string) {
  return f.tx((trx) =>
    recordPurchase(trx, f.merchantId, { memberId, externalOrderId, amountMinor, currency: "USD", occurredAt: new Date(), awardPoints: true }, { channel: "api", actor: SYSTEM }),
  );
}

describe("admin: adjust points", () => {
  it("answers field errors and writes nothing for bad input", async () => {
    const s = await shop();
    const admin = await createStaff(s.merchantId, "admin");
    const member = await s.newMember();
    const cases: Array<[Record<string, string>, Record<string, RegExp>]> = [
      [{ intent: "adjust", key: KEY(), points: "", reason: "" }, { points: /required/, reason: /required/ }],
      [{ intent: "adjust", key: KEY(), points: "1.5", reason: "x" }, { points: /whole number/ }],
      [{ intent: "adjust", key: KEY(), points: "0", reason: "x" }, { points: /not be zero/ }],
      [{ intent: "adjust", key: KEY(), points: "abc", reason: "x" }, { points: /whole number/ }],
      [{ intent: "adjust", key: KEY(), points: "99999999", reason: "x" }, { points: /at most 1,000,000/ }],
      [{ intent: "adjust", key: KEY(), points: "5", reason: "r".repeat(201) }, { reason: /at most 200/ }],
      [{ intent: "adjust", key: "short", points: "5", reason: "x" }, { key: /reload the page/ }],
      [{ intent: "adjust", key: KEY(), points: "5", reason: "a\u0000b", note: "n\u0000" }, { reason: /plain text/, note: /plain text/ }],
      // More than the member has: the ledger's 409, shown on the field.
      [{ intent: "adjust", key: KEY(), points: "-5", reason: "Correction" }, { points: /0 points available/ }],
    ];
    for (const [form, expected] of cases) {
      const r = await adminAction(s, admin.cookie, member, form);
      expect(r.status, JSON.stringify(form)).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      const errors = r.data.result.error as Record<string, string[]>;
      for (const [field, re] of Object.entries(expected)) expect(errors[field]?.join(" "), `${field} for ${JSON.stringify(form)}`).toMatch(re);
    }
    expect(await ledgerCount(s, member)).toBe(0);
    expect(await s.balance(member)).toMatchObject({ available: 0 });
  });

  it("records an adjustment once per rendered form, with actor, reason, note and an audit entry", async () => {
    const s = await shop();
    const admin = await createStaff(s.merchantId, "admin");
    const member = await s.newMember();
    const page = await adminLoader(s, admin.cookie, member);
    const form = { intent: "adjust", key: page.adjustKey, points: "50", reason: "Goodwill for a late delivery", note: "Ticket 123" };

    const [a, b] = await Promise.all([adminAction(s, admin.cookie, member, form), adminAction(s, admin.cookie, member, form)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.data.notice, b.data.notice].sort()).toEqual(["+50 points recorded.", "This adjustment was already recorded."]);
    expect(await s.balance(member)).toMatchObject({ available: 50 });
    const journals = await s.tx((trx) => trx.selectFrom("ledger_journals").selectAll().where("member_id", "=", member).execute());
    expect(journals).toHaveLength(1);
    expect(journals[0]).toMatchObject({ kind: "adjust", points: 50, reason: "Goodwill for a late delivery", note: "Ticket 123", actor_type: "staff", actor_id: admin.id });
    const audit = await s.tx((trx) => trx.selectFrom("audit_log").selectAll().where("target_id", "=", member).where("action", "=", "points.adjusted").execute());
    expect(audit).toHaveLength(1);

    // The answer and the page after the success carry a new key, so the next adjustment is a new one.
    expect(a.data.nextKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.data.nextKey).not.toBe(page.adjustKey);
    const next = await adminLoader(s, admin.cookie, member);
    expect(next.adjustKey).not.toBe(page.adjustKey);
    // The used key with other points is refused rather than taken for a replay.
    const reused = await adminAction(s, admin.cookie, member, { ...form, points: "60" });
    expect(reused.status).toBe(409);
    expect(reused.data.result.error[""]).toEqual([expect.stringMatching(/already used for another adjustment/)]);
    const minus = await adminAction(s, admin.cookie, member, { intent: "adjust", key: next.adjustKey, points: "-20", reason: "Correction" });
    expect(minus.data.notice).toBe("\u221220 points recorded.");
    expect(await s.balance(member)).toMatchObject({ available: 30 });
  });

  it("is refused to analysts (403) and to another merchant's member (404)", async () => {
    const s = await shop();
    const other = await shop();
    const analyst = await createStaff(s.merchantId, "analyst");
    const admin = await createStaff(s.merchantId, "admin");
    const member = await s.newMember();
    const foreign = await other.newMember();

    const refused = await adminAction(s, analyst.cookie, member, { intent: "adjust", key: KEY(), points: "10", reason: "x" });
    expect(refused.status).toBe(403);
    const forgive = await adminAction(s, analyst.cookie, member, { intent: "forgive", key: KEY() });
    expect(forgive.status).toBe(403);

    const forms: Array<Record<string, string>> = [
      { intent: "adjust", key: KEY(), points: "10", reason: "x" },
      { intent: "forgive", key: KEY() },
    ];
    for (const form of forms) {
      expect((await adminAction(s, admin.cookie, foreign, form)).status).toBe(404);
    }
    const page = await run(() => adminLoader(s, admin.cookie, foreign));
    expect(page.status).toBe(404);
    expect(await ledgerCount(s, member)).toBe(0);
    expect(await ledgerCount(other, foreign)).toBe(0);
    expect(await other.balance(foreign)).toMatchObject({ available: 0 });
  });
});

describe("admin: clawback debt", () => {
  it("shows the debt and lets an admin forgive it, once", async () => {
    const s = await shop();
    const admin = await createStaff(s.merchantId, "admin");
    const member = await s.newMember();
    const o = await order(s, member, 4200, "1043");
    await s.tx((trx) => spendPoints(trx, s.merchantId, { memberId: member, points: 42, idempotencyKey: "spend", description: "Reward: tote bag", actor: SYSTEM }));
    await s.tx((trx) => recordRefund(trx, s.merchantId, { orderId: o.order.id, externalRefundId: "re_1", amountMinor: 4200, actor: SYSTEM }));
    expect(await s.balance(member)).toMatchObject({ available: 0, clawback_debt: 42 });

    const page = await adminLoader(s, admin.cookie, member);
    expect(page.points).toMatchObject({ available: 0, owed: 42 });
    expect(page.ledger.map((r) => [r.kind, r.description, r.availableAfter])).toEqual([
      ["reverse", "Order #1043 refunded", "0"],
      ["spend", "Reward: tote bag", "0"],
      ["earn", "Points for order #1043", "42"],
    ]);
    expect(page.ledger[0]!.owed).toBe("+42");

    const r = await adminAction(s, admin.cookie, member, { intent: "forgive", key: page.forgiveKey });
    expect(r).toMatchObject({ status: 200, data: { notice: "42 points of debt forgiven." } });
    expect(await s.balance(member)).toMatchObject({ clawback_debt: 0 });
    const again = await adminAction(s, admin.cookie, member, { intent: "forgive", key: page.forgiveKey });
    expect(again.data.notice).toBe("The debt was already forgiven.");
    const fresh = await adminAction(s, admin.cookie, member, { intent: "forgive", key: KEY() });
    expect(fresh.status).toBe(409);
    expect(fresh.data.error).toMatch(/owes no points/);
    const audit = await s.tx((trx) => trx.selectFrom("audit_log").select("action").where("target_id", "=", member).where("action", "=", "points.clawback_forgiven").execute());
    expect(audit).toHaveLength(1);
    expect((await s.reconcile()).mismatches).toEqual([]);
  });
});

describe("admin: ledger table", () => {
  it("pages through the ledger with running balances", async () => {
    const s = await shop();
    const owner = await createStaff(s.merchantId, "owner");
    const member = await s.newMember();
    for (let i = 1; i <= 30; i++) {
      const page = await adminLoader(s, owner.cookie, member);
      await adminAction(s, owner.cookie, member, { intent: "adjust", key: page.adjustKey, points: String(i), reason: `Gift ${i}` });
    }
    const first = await adminLoader(s, owner.cookie, member);
    expect(first.ledger).toHaveLength(25);
    expect(first.ledger[0]).toMatchObject({ kind: "adjust", description: "Gift 30", available: "+30", availableAfter: "465", by: "Staff owner" });
    expect(first.newerHref).toBeNull();
    expect(first.olderHref).toMatch(/\?ledger=/);
    const second = await adminLoader(s, owner.cookie, member, first.olderHref!.slice(first.olderHref!.indexOf("?")));
    expect(second.ledger.map((r) => r.availableAfter)).toEqual(["15", "10", "6", "3", "1"]);
    expect(second.olderHref).toBeNull();
    expect(second.newerHref).toBe(`/admin/${s.slug}/members/${member}`);
    expect((await run(() => adminLoader(s, owner.cookie, member, "?ledger=garbage"))).status).toBe(400);
  });
});

describe("portal: points", () => {
  async function memberCookie(s: Shop, memberId: string) {
    const { token } = await createMemberSession(testDb(), s.merchantId, memberId);
    return `${memberCookieName(s.slug)}=${token}`;
  }

  it("shows the balance, pending points with their date, and the history in plain words", async () => {
    const s = await shop({ pendingDays: 14, expiry: { mode: "after_earning", months: 12 } });
    const member = await s.newMember({ name: "Ada" });
    const admin = await createStaff(s.merchantId, "admin");
    const cookie = await memberCookie(s, member);
    const o = await order(s, member, 4250, "1043");
    const page = await adminLoader(s, admin.cookie, member);
    await adminAction(s, admin.cookie, member, { intent: "adjust", key: page.adjustKey, points: "10", reason: "Welcome gift" });
    const lot = await s.tx((trx) => trx.selectFrom("point_lots").select("expires_at").where("member_id", "=", member).where("source", "=", "adjustment").executeTakeFirstOrThrow());
    expect(lot.expires_at).not.toBeNull();

    const home = await run(() => portalHome.loader({ request: get(`/p/${s.slug}`, cookie), params: { merchant: s.slug }, context: {} }));
    expect(home.status).toBe(200);
    expect(home.data.kind).toBe("member");
    const points = home.data.points;
    expect(points.balance).toMatchObject({ available: 10, pending: 42, owed: 0 });
    expect(points.balance.pendingLines).toEqual([{ points: "42 points", when: expect.stringMatching(/^available on [A-Z][a-z]{2} \d{1,2}(, \d{4})? after the 14-day return window$/) }]);
    // The order's points expire first; the adjustment (earned a moment later) follows the same 12-month policy.
    expect(points.balance.expiry).toMatch(/^42 points expire on [A-Z][a-z]{2} \d{1,2}, \d{4}\.$/);
    expect(points.history.items.map((i: { text: string }) => i.text)).toEqual(["+10 points added: Welcome gift", "+42 points for order #1043"]);

    await s.tx((trx) => recordRefund(trx, s.merchantId, { orderId: o.order.id, externalRefundId: "r1", amountMinor: 4250, actor: SYSTEM }));
    const after = await run(() => portalPoints.loader({ request: get(`/p/${s.slug}/points`, cookie), params: { merchant: s.slug }, context: {} }));
    expect(after.data.history.items[0].text).toBe("\u221242 points · Order #1043 refunded");
    expect(after.data.balance).toMatchObject({ available: 10, pending: 0 });
  });

  it("pages the history with a cursor, and refuses visitors and bad cursors", async () => {
    const s = await shop();
    const member = await s.newMember();
    const admin = await createStaff(s.merchantId, "admin");
    for (let i = 1; i <= 23; i++) {
      const page = await adminLoader(s, admin.cookie, member);
      await adminAction(s, admin.cookie, member, { intent: "adjust", key: page.adjustKey, points: String(i), reason: `Gift ${i}` });
    }
    const cookie = await memberCookie(s, member);
    const load = (q: string, c: string | null = cookie) => run(() => portalPoints.loader({ request: get(`/p/${s.slug}/points${q}`, c), params: { merchant: s.slug }, context: {} }));
    const first = await load("");
    expect(first.data.history.items).toHaveLength(20);
    expect(first.data.history.items[0].text).toBe("+23 points added: Gift 23");
    const second = await load(`?cursor=${encodeURIComponent(first.data.history.nextCursor)}`);
    expect(second.data.history.items.map((i: { text: string }) => i.text)).toEqual(["+3 points added: Gift 3", "+2 points added: Gift 2", "+1 point added: Gift 1"]);
    expect(second.data.history.nextCursor).toBeNull();
    expect((await load("?cursor=nope")).status).toBe(400);
    const visitor = await load("", null);
    expect(visitor.status).toBe(302);
    expect(visitor.location).toMatch(/\/login\?redirectTo=/);
  });

  it("gives the sign-up bonus on joining and the profile bonus once the profile is complete", async () => {
    const s = await shop({ bonuses: { signup: 100, firstOrder: 0, birthday: 0, profileCompleted: 50 } });
    const merchant = { id: s.merchantId, slug: s.slug, name: "Shop" };
    const joined = await signUpMember(testDb(), merchant, { email: `ada-${KEY()}@example.com`, name: "Ada", password: "correct horse battery", birthday: null });
    if (joined.kind !== "created") throw new Error("expected a new member");
    expect(await s.balance(joined.memberId)).toMatchObject({ available: 100 });
    await updateMemberProfile(testDb(), merchant, joined.memberId, { name: "Ada L.", birthday: "1990-12-10" });
    await updateMemberProfile(testDb(), merchant, joined.memberId, { name: "Ada Lovelace", birthday: "1990-12-10" });
    expect(await s.balance(joined.memberId)).toMatchObject({ available: 150 });

    const complete = await signUpMember(testDb(), merchant, { email: `grace-${KEY()}@example.com`, name: "Grace", password: "correct horse battery", birthday: "1985-01-02" });
    if (complete.kind !== "created") throw new Error("expected a new member");
    expect(await s.balance(complete.memberId)).toMatchObject({ available: 150 });
  });
});
