import { sql } from "kysely";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { StaticRouter } from "react-router-dom/server";
import { describe, expect, it } from "vitest";
import { IncrementalityResponse, toApiReport } from "~/api/incrementality-schemas";
import { ReferralLanding } from "~/components/referrals/landing";
import { createExperiment } from "~/domain/experiments/assignment.server";
import { buildReferralSection } from "~/domain/incrementality/referral.server";
import { incrementalReferralValue, rateRatioKatz } from "~/domain/incrementality/referral-stats";
import { referralSentence, referralTables } from "~/domain/incrementality/referral-summary";
import { buildIncrementalityReport, reportEconomics } from "~/domain/incrementality/report.server";
import { recordPurchase, recordRefund } from "~/domain/flows/purchase.server";
import { attributeMember } from "~/domain/flows/referral-rewards.server";
import { getOrCreateCode } from "~/domain/referrals/codes.server";
import { getReferralSettings, saveReferralSettings } from "~/domain/referrals/program.server";
import { DEFAULT_REFERRAL_SETTINGS, type ReferralSettings } from "~/domain/referrals/settings";
import { HOLDOUT_NOTE_FOR_FRIEND, HOLDOUT_NOTE_FOR_REFERRER } from "~/domain/referrals/terms";
import type { DomainError } from "~/lib/errors";
import { newId } from "~/lib/ids";
import * as reportExport from "~/routes/admin.$merchant.reports.$experimentId.export.$table";
import * as reportPage from "~/routes/admin.$merchant.reports.$experimentId";
import * as settingsPage from "~/routes/admin.$merchant.referrals.settings";
import * as landingPage from "~/routes/p.$merchant.r.$code";
import * as referPage from "~/routes/p.$merchant.refer";
import * as signupPage from "~/routes/p.$merchant.signup";
import { createStaff, getRequest, postRequest } from "../../support/admin";
import { ORIGIN, run } from "../../support/auth";
import { testDb } from "../../support/db";
import { ledgerFixture, SYSTEM } from "../../support/ledger";
import { memberCookie } from "../../support/offers";

/**
 * The referral program's friend holdout, through the real landing loader and sign-up action against PostgreSQL: the
 * sticky per-device arm; held out is the friend's welcome gift only (issue 17 item 1) — the held-out friend sees who
 * invited them, joins as the referrer's referral (edge, fraud checks, referrer reward, no gift), and the terms on the
 * landing, sign-up and Refer pages say some invited friends get no gift; the offer arm unchanged; and the report's
 * referral section (p_organic of the gift and its incremental value net of its cost) on a constructed dataset with a
 * known answer, with tenancy.
 */

const STAFF = { type: "staff" as const, id: "stf_test" };
const BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";
const DAY = 86_400_000;

async function shop(settings: Partial<ReferralSettings> = {}) {
  const f = await ledgerFixture({ bonuses: { signup: 0, firstOrder: 0, birthday: 0, profileCompleted: 0 } });
  const m = await testDb().selectFrom("merchants").select(["slug", "name"]).where("id", "=", f.merchantId).executeTakeFirstOrThrow();
  await f.tx((trx) => saveReferralSettings(trx, f.merchantId, { ...DEFAULT_REFERRAL_SETTINGS, enabled: true, ...settings }, STAFF));
  return {
    ...f,
    slug: m.slug,
    name: m.name,
    async member(name: string | null) {
      const id = newId("member");
      await f.tx((trx) => trx.insertInto("members").values({ merchant_id: f.merchantId, id, email: `${id.slice(-10)}@friend.test`, name }).execute());
      return id;
    },
    code: (memberId: string) => f.tx(async (trx) => (await getOrCreateCode(trx, f.merchantId, memberId)).code),
    count: (table: string, where = sql`true`) =>
      f.tx(async (trx) => (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where ${where}`.execute(trx)).rows[0]!.n),
    memberByEmail: (email: string) => f.tx((trx) => trx.selectFrom("members").select("id").where("email", "=", email).executeTakeFirstOrThrow()),
  };
}
type Shop = Awaited<ReturnType<typeof shop>>;

function setCookies(raw: unknown): Record<string, string> {
  const h = new Headers((raw as { init?: ResponseInit | null }).init?.headers);
  return Object.fromEntries(h.getSetCookie().map((c) => [c.slice(0, c.indexOf("=")), c.split(";")[0]!]));
}

/** One landing visit; `cookie` carries the device (and anything else) of a returning browser. */
async function land(s: Shop, code: string, cookie = "") {
  const request = new Request(`${ORIGIN}/p/${s.slug}/r/${code}`, { headers: { "User-Agent": BROWSER, ...(cookie ? { Cookie: cookie } : {}) } });
  const raw = await landingPage.loader({ request, params: { merchant: s.slug, code }, context: {} });
  const outcome = await run(async () => raw);
  return { outcome, cookies: setCookies(raw) };
}

/** Lands with fresh devices until one is in `arm`; returns its cookies (device + referral). */
async function deviceIn(s: Shop, code: string, arm: "offer" | "holdout") {
  for (let i = 0; i < 60; i++) {
    const { outcome, cookies } = await land(s, code);
    // Both arms see the invitation; only the offer arm is shown the gift.
    if ((outcome.data.view.friendOffer === null ? "holdout" : "offer") === arm) return { outcome, cookie: Object.values(cookies).join("; "), device: cookies.prn_dev!.split("=")[1]! };
  }
  throw new Error(`no ${arm} device in 60 landings`);
}

function signup(s: Shop, form: Record<string, string>, cookie: string) {
  const request = new Request(`${ORIGIN}/p/${s.slug}/signup`, {
    method: "POST",
    headers: { Origin: ORIGIN, "Content-Type": "application/x-www-form-urlencoded", "User-Agent": BROWSER, Cookie: cookie },
    body: new URLSearchParams(form).toString(),
  });
  return run(() => signupPage.action({ request, params: { merchant: s.slug }, context: {} }));
}

describe("friend holdout setting", () => {
  it("is saved from the settings page as a whole percentage from 0 to 50, and defaults to 0", async () => {
    const s = await shop();
    expect((await s.tx((trx) => getReferralSettings(trx, s.merchantId))).friendHoldoutPercent).toBe(0);
    const admin = await createStaff(s.merchantId, "admin");
    const form = { enabled: "on", qualifyingKind: "first_order", holdDays: "30", friendKind: "points", friendPoints: "500", referrerKind: "points", referrerPoints: "500", depthCap: "1", cookieDays: "30", velocityPerHour: "10", ipWindowHours: "24", invitesPerDay: "5" };
    const save = (v: string) => run(() => settingsPage.action({ request: postRequest(`/admin/${s.slug}/referrals/settings`, admin.cookie, { ...form, friendHoldoutPercent: v }), params: { merchant: s.slug }, context: {} }));
    expect((await save("25")).status).toBe(200);
    expect((await s.tx((trx) => getReferralSettings(trx, s.merchantId))).friendHoldoutPercent).toBe(25);
    for (const bad of ["51", "-1", "2.5", "many"]) {
      const r = await save(bad);
      expect(r.status, bad).toBe(400);
      expect(r.data.result.error.friendHoldoutPercent, bad).toBeTruthy();
    }
    expect((await s.tx((trx) => getReferralSettings(trx, s.merchantId))).friendHoldoutPercent).toBe(25);
  });
});

describe("friend holdout at the landing page", () => {
  it("assigns each device once and keeps its arm on every later landing; 0% changes nothing", async () => {
    const s = await shop({ friendHoldoutPercent: 50 });
    const ada = await s.member("Ada Lovelace");
    const code = await s.code(ada);
    const seen = new Set<string>();
    for (let d = 0; d < 24; d++) {
      const first = await land(s, code);
      const cookie = first.cookies.prn_dev!;
      const device = cookie.split("=")[1]!;
      for (let again = 0; again < 3; again++) await land(s, code, cookie);
      const arms = await s.tx((trx) => trx.selectFrom("referral_clicks").select("friend_arm").where("merchant_id", "=", s.merchantId).where("device_id", "=", device).execute());
      expect(arms).toHaveLength(4);
      expect(new Set(arms.map((a) => a.friend_arm)).size).toBe(1);
      const stored = await s.tx((trx) => trx.selectFrom("referral_friend_arms").select("arm").where("merchant_id", "=", s.merchantId).where("device_id", "=", device).execute());
      expect(stored).toEqual([{ arm: arms[0]!.friend_arm }]);
      seen.add(stored[0]!.arm);
    }
    // 24 devices at 50%: both arms (all alike has probability 2⁻²³).
    expect(seen).toEqual(new Set(["offer", "holdout"]));
    expect(await s.count("referral_friend_arms")).toBe(24);

    const off = await shop({ friendHoldoutPercent: 0 });
    const bob = await off.member("Bob Builder");
    const bobCode = await off.code(bob);
    for (let i = 0; i < 5; i++) expect((await land(off, bobCode)).outcome.data.kind).toBe("landing");
    expect(await off.count("referral_friend_arms")).toBe(0);
    expect(await off.count("referral_clicks", sql`friend_arm is not null`)).toBe(0);
  });

  it("shows held-out friends the same invitation without the gift, and every friend the terms' line", async () => {
    const s = await shop({ friendHoldoutPercent: 50, friendReward: { kind: "points", points: 750 }, qualifyingEvent: { kind: "first_order_above", minAmountMinor: 1_500 } });
    const ada = await s.member("Ada Lovelace");
    const code = await s.code(ada);
    const held = await deviceIn(s, code, "holdout");
    expect(held.outcome.status).toBe(200);
    expect(held.outcome.data).toMatchObject({
      kind: "landing",
      view: { referrer: "Ada", code, friendOffer: null, giftCondition: null, holdoutNote: HOLDOUT_NOTE_FOR_FRIEND, signupHref: `/p/${s.slug}/signup?code=${code}` },
    });
    expect(JSON.stringify(held.outcome.data)).not.toContain("750");
    const render = (view: typeof held.outcome.data.view) => renderToString(createElement(StaticRouter, { location: "/" }, createElement(ReferralLanding, { view }))).replace(/<!-- -->/g, "");
    const heldHtml = render(held.outcome.data.view);
    expect(heldHtml).toContain("Ada invited you to");
    expect(heldHtml).toContain(code);
    expect(heldHtml).toContain("Some invited friends receive no welcome gift, as part of a measurement");
    expect(heldHtml).not.toContain("750");
    expect(heldHtml).not.toContain("Your welcome gift");
    // The sign-up page keeps the invitation (and prefills the code), without a gift for this device.
    const signupView = async (cookie: string) =>
      (await run(() => signupPage.loader({ request: new Request(`${ORIGIN}/p/${s.slug}/signup`, { headers: { Cookie: cookie, "User-Agent": BROWSER } }), params: { merchant: s.slug }, context: {} }))).data.referral;
    expect(await signupView(held.cookie)).toEqual({ enabled: true, code, invitation: { referrer: "Ada", gift: null, giftCondition: null, holdoutNote: HOLDOUT_NOTE_FOR_FRIEND } });

    const shown = await deviceIn(s, code, "offer");
    expect(shown.outcome.data).toMatchObject({ kind: "landing", view: { referrer: "Ada", friendOffer: "750 points", giftCondition: "after your first order of $15 or more", code, holdoutNote: HOLDOUT_NOTE_FOR_FRIEND } });
    const shownHtml = render(shown.outcome.data.view);
    expect(shownHtml).toContain("750 points");
    expect(shownHtml).toContain("after your first order of $15 or more");
    expect(shownHtml).toContain("Some invited friends receive no welcome gift");
    expect(await signupView(shown.cookie)).toEqual({
      enabled: true,
      code,
      invitation: { referrer: "Ada", gift: "750 points", giftCondition: "after your first order of $15 or more", holdoutNote: HOLDOUT_NOTE_FOR_FRIEND },
    });
  });

  it("says on the referrer's Refer page that some invited friends get no gift and still count; nothing while the holdout is off", async () => {
    const refer = async (s: Shop, memberId: string) => {
      const session = await memberCookie({ id: s.merchantId, slug: s.slug }, memberId);
      return (await run(() => referPage.loader({ request: new Request(`${ORIGIN}/p/${s.slug}/refer`, { headers: { Cookie: session } }), params: { merchant: s.slug }, context: {} }))).data.share;
    };
    const s = await shop({ friendHoldoutPercent: 30, qualifyingEvent: { kind: "first_order" } });
    const ada = await s.member("Ada Lovelace");
    const on = await refer(s, ada);
    expect(on).toMatchObject({ friendOffer: "500 points after your first order", referrerLine: "You get 500 points for each friend who joins and places a first order.", holdoutNote: HOLDOUT_NOTE_FOR_REFERRER });
    expect(on.holdoutNote).toContain("they count for you just the same");
    // The share message, sent in the member's name, promises no gift while some friends go without.
    expect(JSON.stringify(on.shares)).not.toContain("500");

    const off = await shop({ qualifyingEvent: { kind: "first_order" } });
    const bob = await off.member("Bob Builder");
    const offShare = await refer(off, bob);
    expect(offShare).toMatchObject({ friendOffer: "500 points after your first order", holdoutNote: null });
    expect(decodeURIComponent(JSON.stringify(offShare.shares))).toContain("500 points after your first order");
  });

  it("makes a held-out friend the referrer's referral: edge, referrer reward and e-mail, but no welcome gift", async () => {
    const s = await shop({ friendHoldoutPercent: 50, qualifyingEvent: { kind: "signup" }, holdDays: 0 });
    const ada = await s.member("Ada Lovelace");
    const code = await s.code(ada);
    const held = await deviceIn(s, code, "holdout");
    const r = await signup(s, { name: "Hal Held", email: "hal@friend.test", password: "a perfectly fine password" }, held.cookie);
    expect(r.status).toBe(302);
    const hal = await s.memberByEmail("hal@friend.test");
    const click = await s.tx((trx) => trx.selectFrom("referral_clicks").select(["id", "friend_arm"]).where("merchant_id", "=", s.merchantId).where("device_id", "=", held.device).orderBy("landed_at", "desc").executeTakeFirstOrThrow());
    expect(click.friend_arm).toBe("holdout");
    const halReferral = await s.tx((trx) => trx.selectFrom("referrals").selectAll().where("merchant_id", "=", s.merchantId).where("member_id", "=", hal.id).executeTakeFirstOrThrow());
    expect(halReferral).toMatchObject({ referrer_id: ada, via: "cookie", friend_arm: "holdout", click_id: click.id, device_id: held.device, status: "rewarded" });
    expect(await s.count("referral_edges", sql`member_id = ${hal.id} and referrer_id = ${ada}`)).toBe(1);
    const payouts = await s.tx((trx) => trx.selectFrom("referral_payouts").select(["role", "beneficiary_id", "points"]).where("merchant_id", "=", s.merchantId).execute());
    expect(payouts).toEqual([{ role: "referrer", beneficiary_id: ada, points: 500 }]);
    expect(await s.count("email_outbox", sql`template = 'referral-welcome'`)).toBe(0);
    expect(await s.count("email_outbox", sql`template = 'referral-qualified'`)).toBe(1);
    expect(await s.count("referral_holdout_signups")).toBe(0);
    // An API attribution with the same code is a replay, not a second referral.
    expect(await s.tx((trx) => attributeMember(trx, s.merchantId, { memberId: hal.id, code, via: "api", actor: STAFF }))).toMatchObject({ created: false, referrerId: ada });

    // The offer arm is unchanged: a referral (recording its arm), the edge, both rewards and the welcome e-mail.
    const offer = await deviceIn(s, code, "offer");
    expect((await signup(s, { name: "Olga Offer", email: "olga@friend.test", password: "a perfectly fine password" }, offer.cookie)).status).toBe(302);
    const olga = await s.memberByEmail("olga@friend.test");
    const referral = await s.tx((trx) => trx.selectFrom("referrals").selectAll().where("merchant_id", "=", s.merchantId).where("member_id", "=", olga.id).executeTakeFirstOrThrow());
    expect(referral).toMatchObject({ referrer_id: ada, via: "cookie", friend_arm: "offer", device_id: offer.device });
    expect(["qualified", "rewarded"]).toContain(referral.status);
    expect(await s.count("referral_edges")).toBe(2);
    expect(await s.count("referral_payouts")).toBe(3);
    expect(await s.count("email_outbox", sql`template = 'referral-welcome'`)).toBe(1);
  });

  it("keeps a held-out device held out when the friend types the code instead of using the link's cookie", async () => {
    const s = await shop({ friendHoldoutPercent: 50, qualifyingEvent: { kind: "signup" }, holdDays: 0 });
    const ada = await s.member("Ada Lovelace");
    const bob = await s.member("Bob Builder");
    const held = await deviceIn(s, await s.code(ada), "holdout");
    // Only the device cookie: the friend types another member's code (no click of this device on it).
    const deviceOnly = held.cookie.split("; ").filter((c) => c.startsWith("prn_dev=")).join("; ");
    expect((await signup(s, { name: "Tia Typed", email: "tia@friend.test", password: "a perfectly fine password", referralCode: await s.code(bob) }, deviceOnly)).status).toBe(302);
    const tia = await s.memberByEmail("tia@friend.test");
    const referral = await s.tx((trx) => trx.selectFrom("referrals").select(["referrer_id", "friend_arm", "click_id"]).where("member_id", "=", tia.id).executeTakeFirstOrThrow());
    expect(referral).toEqual({ referrer_id: bob, friend_arm: "holdout", click_id: null });
    expect(await s.count("referral_payouts", sql`role = 'friend'`)).toBe(0);
  });

  it("puts held-out friends through the same fraud checks: same device rejected, a refund inside the hold voids the referrer's reward", async () => {
    const s = await shop({ friendHoldoutPercent: 50, qualifyingEvent: { kind: "first_order" }, holdDays: 30 });
    const ada = await s.member("Ada Lovelace");
    const code = await s.code(ada);
    const held = await deviceIn(s, code, "holdout");
    expect((await signup(s, { name: "Hal Held", email: "hal@friend.test", password: "a perfectly fine password" }, held.cookie)).status).toBe(302);
    // R1: a second sign-up from the same device for the same referrer is rejected (no reward ever).
    const again = await land(s, code, held.cookie);
    expect((await signup(s, { name: "Sam Same", email: "sam@friend.test", password: "a perfectly fine password" }, Object.values({ ...Object.fromEntries(held.cookie.split("; ").map((c) => [c.split("=")[0], c])), ...again.cookies }).join("; "))).status).toBe(302);
    const sam = await s.memberByEmail("sam@friend.test");
    const samReferral = await s.tx((trx) => trx.selectFrom("referrals").select(["status", "reasons", "friend_arm"]).where("member_id", "=", sam.id).executeTakeFirstOrThrow());
    expect(samReferral).toEqual({ status: "rejected", reasons: ["same_device"], friend_arm: "holdout" });

    // R4: the held-out friend's qualifying order refunded inside the hold period reverses the referrer's reward.
    const hal = await s.memberByEmail("hal@friend.test");
    const order = await s.tx((trx) =>
      recordPurchase(trx, s.merchantId, { memberId: hal.id, externalOrderId: "hal-1", amountMinor: 4_000, currency: "USD", occurredAt: new Date(), cardFingerprint: null, awardPoints: true }, { channel: "api", actor: SYSTEM }),
    );
    const qualified = await s.tx((trx) => trx.selectFrom("referrals").select(["id", "status"]).where("member_id", "=", hal.id).executeTakeFirstOrThrow());
    expect(qualified.status).toBe("qualified");
    expect(await s.tx((trx) => trx.selectFrom("referral_payouts").select(["role", "status"]).where("referral_id", "=", qualified.id).execute())).toEqual([{ role: "referrer", status: "paid" }]);
    await s.tx((trx) => recordRefund(trx, s.merchantId, { orderId: order.order.id, externalRefundId: "hal-rf", amountMinor: 4_000, actor: SYSTEM }));
    expect((await s.tx((trx) => trx.selectFrom("referrals").select(["status", "reasons"]).where("id", "=", qualified.id).executeTakeFirstOrThrow()))).toEqual({ status: "void", reasons: ["refunded"] });
    expect(await s.tx((trx) => trx.selectFrom("referral_payouts").select(["role", "status"]).where("referral_id", "=", qualified.id).execute())).toEqual([{ role: "referrer", status: "reversed" }]);
  });

  it("leaves members of the earlier design's holdout (plain join page, never attributed) unreferred", async () => {
    const s = await shop({ friendHoldoutPercent: 50 });
    const ada = await s.member("Ada Lovelace");
    const code = await s.code(ada);
    const hal = await s.member("Hal Held");
    await s.tx(async (trx) => {
      const clickId = newId("referralClick");
      await trx.insertInto("referral_clicks").values({ merchant_id: s.merchantId, id: clickId, code, referrer_id: ada, device_id: "legacydevice", friend_arm: "holdout", landed_at: new Date() }).execute();
      await trx.insertInto("referral_holdout_signups").values({ merchant_id: s.merchantId, id: newId("referralHoldoutSignup"), member_id: hal, referrer_id: ada, click_id: clickId, device_id: "legacydevice", created_at: new Date() }).execute();
    });
    await expect(s.tx((trx) => attributeMember(trx, s.merchantId, { memberId: hal, code, via: "api", actor: STAFF }))).rejects.toMatchObject({ code: "holdout_friend" } satisfies Partial<DomainError>);
  });

  it("records no friend arm on referrals while the holdout is off", async () => {
    const s = await shop({ qualifyingEvent: { kind: "signup" }, holdDays: 0 });
    const ada = await s.member("Ada Lovelace");
    const code = await s.code(ada);
    const { cookies } = await land(s, code);
    expect((await signup(s, { name: "Nia None", email: "nia@friend.test", password: "a perfectly fine password" }, Object.values(cookies).join("; "))).status).toBe(302);
    const nia = await s.memberByEmail("nia@friend.test");
    const referral = await s.tx((trx) => trx.selectFrom("referrals").select(["friend_arm", "status"]).where("member_id", "=", nia.id).executeTakeFirstOrThrow());
    expect(referral.friend_arm).toBeNull();
    expect(await s.count("referral_holdout_signups")).toBe(0);
  });
});

/**
 * A constructed friend holdout with a known answer. Offer arm: 200 landing devices, 80 sign-ups, 50 of whom order
 * 100.00 after joining (margin 40% = 40.00) and are scored at 10.00 of predicted CLTV → 50.00 each. Holdout arm: 100
 * devices, 15 sign-ups (12 referrals without the gift, and 3 from the earlier design's plain join page recorded in
 * referral_holdout_signups), 10 of whom order 50.00 (20.00 each, unscored). Rewards: 100 (friend) + 200 (referrer)
 * points per converted offer referral, one more referrer payout reversed (not counted); 200 referrer points per
 * converted held-out referral (paid either way, so not the gift's cost).
 */
async function constructed(s: Shop) {
  const now = Date.now();
  const referrer = await s.member("Rita Referrer");
  const code = await s.code(referrer);
  await s.tx(async (trx) => {
    const clicks: Array<{ merchant_id: string; id: string; code: string; referrer_id: string; device_id: string; friend_arm: "offer" | "holdout"; landed_at: Date }> = [];
    const at = (daysAgo: number) => new Date(now - daysAgo * DAY);
    for (const [arm, devices] of [["offer", 200], ["holdout", 100]] as const) {
      for (let i = 0; i < devices; i++) clicks.push({ merchant_id: s.merchantId, id: newId("referralClick"), code, referrer_id: referrer, device_id: `${arm}${i}`, friend_arm: arm, landed_at: at(30) });
    }
    await trx.insertInto("referral_friend_arms").values(clicks.map((c) => ({ merchant_id: s.merchantId, device_id: c.device_id!, arm: c.friend_arm, assigned_at: c.landed_at }))).execute();
    await trx.insertInto("referral_clicks").values(clicks).execute();
    const members = [];
    const orders = [];
    const stats = [];
    const referrals = [];
    const holdouts = [];
    const payouts = [];
    for (const [arm, signups, converts, amount, cltv] of [["offer", 80, 50, 10_000, 1_000], ["holdout", 15, 10, 5_000, null]] as const) {
      const armClicks = clicks.filter((c) => c.friend_arm === arm);
      for (let i = 0; i < signups; i++) {
        const id = newId("member");
        members.push({ merchant_id: s.merchantId, id, email: `${arm}${i}@constructed.test`, name: null, created_at: at(29) });
        const converted = i < converts;
        if (converted) {
          orders.push({ merchant_id: s.merchantId, id: newId("order"), member_id: id, source: "api" as const, external_order_id: `${arm}-${i}`, amount_minor: amount, currency: "USD", occurred_at: at(20), created_at: at(20) });
          if (cltv !== null) stats.push({ merchant_id: s.merchantId, member_id: id, cltv_12m_minor: cltv });
        } else if (i === signups - 1) {
          // An order before the sign-up counts for nothing.
          orders.push({ merchant_id: s.merchantId, id: newId("order"), member_id: id, source: "api" as const, external_order_id: `${arm}-${i}-before`, amount_minor: 99_900, currency: "USD", occurred_at: at(100), created_at: at(100) });
        }
        if (arm === "holdout" && i < 3) {
          holdouts.push({ merchant_id: s.merchantId, id: newId("referralHoldoutSignup"), member_id: id, referrer_id: referrer, click_id: armClicks[i]!.id, device_id: armClicks[i]!.device_id, created_at: at(29) });
        } else {
          const rid = newId("referral");
          referrals.push({ merchant_id: s.merchantId, id: rid, member_id: id, referrer_id: referrer, code, via: "cookie" as const, status: converted ? ("rewarded" as const) : ("pending" as const), click_id: armClicks[i]!.id, friend_arm: arm, created_at: at(29), updated_at: at(29) });
          if (converted && arm === "holdout") {
            payouts.push({ merchant_id: s.merchantId, id: newId("referralPayout"), referral_id: rid, beneficiary_id: referrer, role: "referrer" as const, level: 1, kind: "points" as const, points: 200, status: "paid" as const });
          } else if (converted) {
            payouts.push({ merchant_id: s.merchantId, id: newId("referralPayout"), referral_id: rid, beneficiary_id: id, role: "friend" as const, level: 0, kind: "points" as const, points: 100, status: "paid" as const });
            payouts.push({ merchant_id: s.merchantId, id: newId("referralPayout"), referral_id: rid, beneficiary_id: referrer, role: "referrer" as const, level: 1, kind: "points" as const, points: i === 0 ? 5_000 : 200, status: i === 0 ? ("reversed" as const) : ("paid" as const) });
          }
        }
      }
    }
    await trx.insertInto("members").values(members).execute();
    await trx.insertInto("orders").values(orders).execute();
    await trx.insertInto("member_stats").values(stats).onConflict((oc) => oc.columns(["merchant_id", "member_id"]).doUpdateSet({ cltv_12m_minor: (eb) => eb.ref("excluded.cltv_12m_minor") })).execute();
    await trx.insertInto("referral_holdout_signups").values(holdouts).execute();
    await trx.insertInto("referrals").values(referrals).execute();
    await trx.insertInto("referral_payouts").values(payouts).execute();
  });
  return { referrer, code };
}

describe("the report's referral section", () => {
  it("computes p_organic of the gift and its incremental value net of its cost on a constructed dataset", async () => {
    const s = await shop({ friendHoldoutPercent: 30, qualifyingEvent: { kind: "first_order" } });
    await constructed(s);
    const experiment = await s.tx((trx) => createExperiment(trx, s.merchantId, { kind: "referral_program", name: "Referrals", holdoutBps: 1000 }));
    const report = await s.tx((trx) => buildIncrementalityReport(trx, s.merchantId, experiment.id));
    const r = report.referral!;
    expect(r.friendHoldout).toBe(true);
    expect(r.arms.map((a) => [a.arm, a.landingDevices, a.signups, a.conversions])).toEqual([
      ["offer", 200, 80, 50],
      ["holdout", 100, 15, 10],
    ]);
    expect(r.arms[0]!.conversionRate.rate).toBe(0.25);
    expect(r.arms[1]!.conversionRate.rate).toBe(0.1);
    expect(r.arms[0]!.meanValue).toBeCloseTo(5_000, 6);
    expect(r.arms[1]!.meanValue).toBeCloseTo(2_000, 6);
    // p_organic = 0.10 / 0.25, Katz: SE = √(1/10 − 1/100 + 1/50 − 1/200).
    expect(r.pOrganic!.estimate).toBeCloseTo(0.4, 12);
    const se = Math.sqrt(1 / 10 - 1 / 100 + 1 / 50 - 1 / 200);
    expect(r.pOrganic!.ci95[0]).toBeCloseTo(0.4 * Math.exp(-1.959964 * se), 5);
    expect(r.pOrganic!.ci95[1]).toBeCloseTo(0.4 * Math.exp(1.959964 * se), 5);
    expect(r.referred).toMatchObject({ converts: 50, realizedMarginMinor: 200_000, predictedMinor: 50_000, totalMinor: 250_000, perMemberMinor: 5_000 });
    // Offer arm: 50 × 100 friend points + 49 × 200 referrer points (the reversed one excluded); the held-out arm's
    // referrer points are not counted (paid with or without the gift).
    const econ = await s.tx((trx) => reportEconomics(trx, s.merchantId));
    const perPoint = econ.pointValue.minor / econ.pointValue.points;
    const gifts = 50 * 100 * perPoint;
    const referrerRewards = 49 * 200 * perPoint;
    expect(r.rewardCost.pointsPaid).toBe(50 * 100 + 49 * 200);
    expect(r.rewardCost.totalMinor).toBeCloseTo(gifts + referrerRewards, 6);
    expect(r.rewardCost.friendMinor).toBeCloseTo(gifts, 6);
    expect(r.rewardCost.referrerMinor).toBeCloseTo(referrerRewards, 6);
    // premium = 50 × 0.4 × (5,000 − 2,000) = 60,000; the gift's incremental value = 250,000 × 0.6 + 60,000 − every
    // gift − the referrer rewards of the 60% who came for the gift.
    expect(r.premiumMinor).toBeCloseTo(60_000, 4);
    expect(r.incremental!.valueMinor).toBeCloseTo(150_000 + 60_000 - gifts - 0.6 * referrerRewards, 4);
    // The same from first principles, per landing device: (0.25 × 5,000 − 0.10 × 2,000) × 200 devices less the gifts
    // and the referrer rewards of the extra conversions ((0.25 − 0.10) × 200 = 30 friends at the mean referrer reward).
    expect(r.incremental!.valueMinor).toBeCloseTo((0.25 * 5_000 - 0.1 * 2_000) * 200 - gifts - 30 * (referrerRewards / 50), 4);
    const x = { converts: 50, sumValue: 250_000, meanOffer: 5_000, meanHoldout: 2_000, friendRewardCost: gifts, referrerRewardCost: referrerRewards };
    expect(r.incremental!.ci95[0]).toBeCloseTo(incrementalReferralValue(x, rateRatioKatz(10, 100, 50, 200)!.ci95[1]), 4);
    expect(r.incremental!.ci95[1]).toBeCloseTo(incrementalReferralValue(x, rateRatioKatz(10, 100, 50, 200)!.ci95[0]), 4);

    // Page sentence, CSV tables and the API JSON carry the same figures.
    expect(referralSentence(r, "USD")).toMatch(/^About 40% of invited friends who qualified with the welcome gift would have qualified without it, on the invitation alone \(95% interval 2\d% to 7\d%\)/);
    expect(referralSentence(r, "USD")).toContain("50 referred customers offered the welcome gift are worth $2,500");
    const [arms, value] = referralTables(r, "USD");
    expect(arms!.rows).toHaveLength(2);
    expect(value!.columns[8]!.label).toMatch(/p_organic/);
    expect(value!.rows[0]![8]).toBeCloseTo(0.4, 12);
    const api = IncrementalityResponse.parse(toApiReport(report));
    expect(api.referral).toMatchObject({ friend_holdout: true, referred: { converts: 50, total: 250_000 }, p_organic: { estimate: expect.closeTo(0.4, 12) } });
  });

  it("shows the section on the report page and exports it as CSV; other programs have no referral table", async () => {
    const s = await shop({ friendHoldoutPercent: 30, qualifyingEvent: { kind: "first_order" } });
    await constructed(s);
    const experiment = await s.tx((trx) => createExperiment(trx, s.merchantId, { kind: "referral_program", name: "Referrals", holdoutBps: 1000 }));
    const loyalty = await s.tx((trx) => createExperiment(trx, s.merchantId, { kind: "loyalty_program", name: "Loyalty", holdoutBps: 1000 }));
    const staff = await createStaff(s.merchantId, "analyst");
    const page = await run(() => reportPage.loader({ request: getRequest(`/admin/${s.slug}/reports/${experiment.id}`, staff.cookie), params: { merchant: s.slug, experimentId: experiment.id }, context: {} }));
    expect(page.data.referralSentence).toMatch(/^About 40% of invited friends who qualified with the welcome gift would have qualified without it/);
    expect(page.data.tables.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(["referral_arms", "referral_value"]));
    const csv = await reportExport.loader({ request: getRequest(`/admin/${s.slug}/reports/${experiment.id}/export/referral_arms`, staff.cookie), params: { merchant: s.slug, experimentId: experiment.id, table: "referral_arms" }, context: {} });
    const lines = (await csv.text()).trim().split("\n");
    expect(lines[0]).toMatch(/^Friend arm,Landing devices,Sign-ups,Qualified conversions,Conversion rate/);
    expect(lines.slice(1).map((l) => l.split(",").slice(0, 5).join(","))).toEqual(["offer,200,80,50,0.25", "holdout,100,15,10,0.1"]);
    const other = await run(() => reportExport.loader({ request: getRequest(`/admin/${s.slug}/reports/${loyalty.id}/export/referral_arms`, staff.cookie), params: { merchant: s.slug, experimentId: loyalty.id, table: "referral_arms" }, context: {} }));
    expect(other.status).toBe(404);
    const loyaltyPage = await run(() => reportPage.loader({ request: getRequest(`/admin/${s.slug}/reports/${loyalty.id}`, staff.cookie), params: { merchant: s.slug, experimentId: loyalty.id }, context: {} }));
    expect(loyaltyPage.data.referralSentence).toBeNull();
  });

  it("says plainly when the friend holdout never ran: value and reward cost only, no p_organic", async () => {
    const s = await shop({ qualifyingEvent: { kind: "first_order" } });
    await constructed(s);
    await s.tx((trx) => sql`update referral_clicks set friend_arm = 'offer'`.execute(trx));
    const r = await s.tx(async (trx) => buildReferralSection(trx, s.merchantId, await reportEconomics(trx, s.merchantId)));
    expect(r.friendHoldout).toBe(false);
    expect(r.pOrganic).toBeNull();
    expect(r.incremental).toBeNull();
    expect(r.premiumMinor).toBeNull();
    expect(r.arms).toEqual([]);
    // Without a holdout every referral counts: the 50 gifted converts and the 7 converted referrals without a gift
    // (the 3 plain-page sign-ups of the earlier design are no referrals).
    expect(r.referred.converts).toBe(57);
    expect(r.rewardCost.pointsPaid).toBe(50 * 100 + 49 * 200 + 7 * 200);
    expect(referralSentence(r, "USD")).toMatch(/friend holdout has not run/);
    expect(referralSentence(r, "USD")).not.toMatch(/would have qualified without it/);
  });

  it("keeps each merchant's friend holdout to itself", async () => {
    const a = await shop({ friendHoldoutPercent: 30 });
    const { code } = await constructed(a);
    const b = await shop({ friendHoldoutPercent: 30 });
    const r = await b.tx(async (trx) => buildReferralSection(trx, b.merchantId, await reportEconomics(trx, b.merchantId)));
    expect(r).toMatchObject({ friendHoldout: false, referred: { converts: 0, totalMinor: 0 }, rewardCost: { totalMinor: 0 } });
    // Row level security: B's tenant sees none of A's arms, clicks or held-out sign-ups.
    for (const t of ["referral_friend_arms", "referral_holdout_signups", "referral_clicks"]) expect(await b.count(t)).toBe(0);
    // A's code is unknown on B's landing page, and draws no arm there.
    expect((await land(b, code)).outcome.status).toBe(404);
    expect(await b.count("referral_friend_arms")).toBe(0);
  });
});
