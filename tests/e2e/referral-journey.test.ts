import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { withTenant } from "~/db.server";
import { attributeMember } from "~/domain/flows/referral-rewards.server";
import { getOrCreateCode } from "~/domain/referrals/codes.server";
import { saveReferralSettings } from "~/domain/referrals/program.server";
import { DEFAULT_REFERRAL_SETTINGS } from "~/domain/referrals/settings";
import { newId } from "~/lib/ids";
import { CHROMIUM_ARGS } from "../support/chromium";
import { startAppServer } from "../support/app-server";
import { testDb } from "../support/db";
import { createTenantFixture, type TenantFixture } from "../support/tenancy";
import { seriousAxeViolations as axe } from "../support/axe";

/**
 * The referral journey in a real browser against the production build: a member shares their link, a friend lands
 * on it, signs up, buys (POST /api/v1/orders with an API key), the first order qualifies the referral, both get
 * their points, and the referrer sees the friend and the reward in the portal. Then staff see it in the admin
 * (funnel, top referrers, the tree expanding through its resource route). axe runs on every page on the way.
 */
const chromiumPath = inject("chromiumPath");
const BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36";

describe.skipIf(!chromiumPath)("referral journey", () => {
  let server: Awaited<ReturnType<typeof startAppServer>>;
  let browser: Browser;
  let fx: TenantFixture;
  const contexts: BrowserContext[] = [];
  const tag = Math.random().toString(36).slice(2, 8);
  const friendEmail = `cleo-${tag}@friends.test`;

  beforeAll(async () => {
    server = await startAppServer();
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    fx = await createTenantFixture("refjourney");
    await withTenant(testDb(), fx.merchantId, async (trx) => {
      await trx.updateTable("members").set({ name: "Ada Lovelace" }).where("id", "=", fx.memberId).execute();
      // The fixture's member has an order already; a referrer may, only the friend must be new.
      await saveReferralSettings(
        trx,
        fx.merchantId,
        {
          ...DEFAULT_REFERRAL_SETTINGS,
          enabled: true,
          qualifyingEvent: { kind: "first_order" },
          holdDays: 0,
          friendReward: { kind: "points", points: 500 },
          referrerReward: { kind: "points", points: 1000 },
        },
        { type: "system", id: null },
      );
    });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  async function newPage(cookie?: { header: string; path: string }): Promise<Page & { jsErrors: string[] }> {
    // Headless Chromium names itself "HeadlessChrome", which the landing page treats as a link-preview bot.
    const context = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 900 }, userAgent: BROWSER_UA });
    contexts.push(context);
    if (cookie) {
      const eq = cookie.header.indexOf("=");
      await context.addCookies([
        { name: cookie.header.slice(0, eq), value: cookie.header.slice(eq + 1), domain: "127.0.0.1", path: cookie.path, httpOnly: true, sameSite: "Lax" },
      ]);
    }
    const page = (await context.newPage()) as Page & { jsErrors: string[] };
    page.jsErrors = [];
    page.on("pageerror", (e) => page.jsErrors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") page.jsErrors.push(m.text());
    });
    return page;
  }

  const balance = (memberId: string) =>
    withTenant(testDb(), fx.merchantId, (trx) =>
      trx.selectFrom("member_balances").select(["available", "pending"]).where("merchant_id", "=", fx.merchantId).where("member_id", "=", memberId).executeTakeFirst(),
    );

  it("a member shares a link, a friend joins and buys, both are rewarded, the referrer sees it", async () => {
    // 1. The referrer's "Refer a friend" page: the link, a QR code, share links.
    const referrer = await newPage({ header: fx.memberCookie, path: "/p" });
    await referrer.goto(`/p/${fx.slug}/refer`, { waitUntil: "networkidle" });
    await referrer.getByRole("heading", { name: "Refer a friend" }).waitFor();
    const link = await referrer.getByLabel("Share this link").inputValue();
    expect(link).toMatch(/\/r\/[A-Z0-9]{4,16}$/);
    await referrer.getByRole("img", { name: /QR code for/ }).waitFor();
    expect(await referrer.getByRole("link", { name: /WhatsApp/ }).getAttribute("href")).toContain(encodeURIComponent(link));
    // Clicked until the page has hydrated and the button answers (a click before hydration does nothing).
    const copied = referrer.getByRole("status").filter({ hasText: /Copied|Ctrl\+C/ });
    await expect
      .poll(async () => {
        await referrer.getByRole("button", { name: "Copy link" }).click();
        return copied.count();
      })
      .toBe(1);
    expect(await axe(referrer)).toEqual([]);

    // 2. The friend opens the short link: redirected to the landing page in the program's portal.
    const friend = await newPage();
    const linkPath = new URL(link).pathname;
    await friend.goto(linkPath, { waitUntil: "networkidle" });
    expect(new URL(friend.url()).pathname).toBe(`/p/${fx.slug}${linkPath}`);
    await friend.getByRole("heading", { name: /Ada invited you to/ }).waitFor();
    await friend.getByText("500 points").waitFor();
    expect(await friend.content()).not.toContain("Lovelace");
    expect(await axe(friend)).toEqual([]);
    const friendCookies = await friend.context().cookies();
    expect(friendCookies.map((c) => c.name)).toEqual(expect.arrayContaining([`prn_ref_${fx.slug.replace(/-/g, "_")}`, "prn_dev"]));

    // 3. Sign-up: the code is already filled in; the cookie would attribute the friend anyway.
    await friend.getByRole("link", { name: /^Join / }).click();
    await friend.waitForURL(`**/p/${fx.slug}/signup?code=*`);
    await expect.poll(() => friend.getByLabel("Referral code (optional)").inputValue()).toBe(linkPath.split("/").pop());
    await friend.getByLabel("Name").fill("Cleo Friend");
    await friend.getByLabel("E-mail").fill(friendEmail);
    await friend.getByLabel("Password", { exact: true }).fill("a perfectly fine password");
    await friend.getByRole("button", { name: "Join" }).click();
    await friend.waitForURL((u) => u.pathname === `/p/${fx.slug}` || u.pathname === `/p/${fx.slug}/`);
    const friendId = await withTenant(testDb(), fx.merchantId, async (trx) => (await trx.selectFrom("members").select("id").where("email", "=", friendEmail).executeTakeFirstOrThrow()).id);
    const referral = () =>
      withTenant(testDb(), fx.merchantId, (trx) => trx.selectFrom("referrals").select(["referrer_id", "status", "via"]).where("member_id", "=", friendId).executeTakeFirstOrThrow());
    expect(await referral()).toMatchObject({ referrer_id: fx.memberId, status: "pending" });
    const referrerBefore = (await balance(fx.memberId)) ?? { available: 0, pending: 0 };

    // 4. The friend buys in the shop, which reports the order through the API: the qualifying event.
    const res = await fetch(`${server.baseUrl}/api/v1/orders`, {
      method: "POST",
      headers: { authorization: `Bearer ${fx.apiToken}`, "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ order_id: `journey-${tag}`, member: { email: friendEmail }, amount_minor: 4200, currency: "USD", occurred_at: new Date().toISOString() }),
    });
    expect(res.status).toBe(201);

    // 5. Both are rewarded.
    expect(await referral()).toMatchObject({ status: "rewarded" });
    const payouts = await withTenant(testDb(), fx.merchantId, (trx) => trx.selectFrom("referral_payouts").select(["beneficiary_id", "role", "points", "status"]).orderBy("role").execute());
    expect(payouts).toEqual([
      { beneficiary_id: friendId, role: "friend", points: 500, status: "paid" },
      { beneficiary_id: fx.memberId, role: "referrer", points: 1000, status: "paid" },
    ]);
    const after = (await balance(fx.memberId))!;
    expect(after.available + after.pending - (referrerBefore.available + referrerBefore.pending)).toBe(1000);
    const friendBalance = (await balance(friendId))!;
    expect(friendBalance.available + friendBalance.pending).toBeGreaterThanOrEqual(500);

    // 6. The referrer sees the friend (first name and initial), the status and the reward.
    await referrer.reload({ waitUntil: "networkidle" });
    const row = referrer.getByRole("listitem").filter({ hasText: "Cleo F." });
    await row.waitFor();
    await row.getByText("Rewarded").waitFor();
    await row.getByText("1,000 points").waitFor();
    expect(await referrer.getByText("Cleo Friend").count()).toBe(0);
    expect(await referrer.content()).not.toContain(friendEmail);
    expect(referrer.jsErrors).toEqual([]);
    expect(friend.jsErrors).toEqual([]);
  });

  it("staff see the funnel and top referrers, and expand the tree through its resource route", async () => {
    // One more level: the friend refers someone, so the friend's node can be expanded.
    const grand = newId("member");
    await withTenant(testDb(), fx.merchantId, async (trx) => {
      await trx.insertInto("members").values({ merchant_id: fx.merchantId, id: grand, email: `gina-${tag}@friends.test`, name: "Gina Grand" }).execute();
      const friendId = (await trx.selectFrom("members").select("id").where("email", "=", friendEmail).executeTakeFirstOrThrow()).id;
      const code = (await getOrCreateCode(trx, fx.merchantId, friendId)).code;
      await attributeMember(trx, fx.merchantId, { memberId: grand, code, via: "api", actor: { type: "system", id: null } });
    });
    const staff = await newPage({ header: fx.staffCookie, path: "/" });
    await staff.goto(`/admin/${fx.slug}/referrals`, { waitUntil: "networkidle" });
    await staff.getByRole("img", { name: /Clicks, sign-ups, qualified and rewarded referrals per week/ }).waitFor();
    const top = staff.getByRole("table", { name: "Top referrers by network value" });
    await top.getByRole("link", { name: "Ada Lovelace", exact: true }).waitFor();
    expect(await axe(staff)).toEqual([]);

    await top.getByRole("link", { name: "View tree of Ada Lovelace" }).click();
    await staff.waitForURL(`**/admin/${fx.slug}/referrals/tree/${fx.memberId}`);
    await staff.getByRole("heading", { name: "Referral tree of Ada Lovelace" }).waitFor();
    // Clicked until the page has hydrated and the button answers; once open it reads "Hide", so it is not clicked again.
    const gina = staff.getByRole("list", { name: "Referrals of Cleo Friend" }).getByRole("link", { name: "Gina Grand" });
    await expect
      .poll(async () => {
        const show = staff.getByRole("button", { name: /Show 1 referrals of Cleo Friend/ });
        if (await show.count()) await show.click();
        return gina.count();
      })
      .toBe(1);
    await expect.poll(() => staff.getByRole("button", { name: /Hide 1 referrals of Cleo Friend/ }).getAttribute("aria-expanded")).toBe("true");
    expect(await axe(staff)).toEqual([]);
    // Collapsing keeps the loaded page: expanding again shows it without another request.
    await staff.getByRole("button", { name: /Hide 1 referrals of Cleo Friend/ }).click();
    expect(await staff.getByRole("link", { name: "Gina Grand" }).count()).toBe(0);
    await staff.getByRole("button", { name: /Show 1 referrals of Cleo Friend/ }).click();
    await staff.getByRole("link", { name: "Gina Grand" }).waitFor();
    expect(staff.jsErrors).toEqual([]);
  });
});
