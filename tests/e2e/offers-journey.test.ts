import { runOnce } from "graphile-worker";
import { chromium, type Browser, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createMemberSession } from "~/auth/member-session.server";
import { memberCookieName } from "~/auth/cookies.server";
import { withTenant } from "~/db.server";
import { jobsLogger } from "~/jobs/worker.server";
import { offersTasks } from "~/jobs/tasks/offers";
import { CHROMIUM_ARGS } from "../support/chromium";
import { startAppServer } from "../support/app-server";
import { insertMembers } from "../support/admin";
import { ownerUrl, testDb } from "../support/db";
import { createTenantFixture, type TenantFixture } from "../support/tenancy";

/**
 * The offers journey in a real browser: staff build a segment (the live count follows the rule), create an offer for
 * it with a 50% holdout, and send the announcement; then a held-out member sees nothing (empty list, 404 for the
 * offer's page, no e-mail) while a treated member sees the offer and claims it.
 */
const chromiumPath = inject("chromiumPath");

describe.skipIf(!chromiumPath)("offers journey", () => {
  let server: Awaited<ReturnType<typeof startAppServer>>;
  let browser: Browser;
  let fx: TenantFixture;
  const VIP = 12;

  beforeAll(async () => {
    server = await startAppServer();
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    fx = await createTenantFixture("offers");
    const ids = await insertMembers(
      fx.merchantId,
      Array.from({ length: VIP + 3 }, (_, i) => ({ email: `journey${i}-${fx.slug}@example.com`, name: `Journey ${i}` })),
    );
    await withTenant(testDb(), fx.merchantId, (trx) =>
      trx.insertInto("member_tags").values(ids.slice(0, VIP).map((member_id) => ({ merchant_id: fx.merchantId, member_id, tag: "vip" }))).execute(),
    );
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function context(cookie: string): Promise<{ ctx: BrowserContext; errors: string[] }> {
    const ctx = await browser.newContext({ baseURL: server.baseUrl, viewport: { width: 1280, height: 900 } });
    const eq = cookie.indexOf("=");
    await ctx.addCookies([{ name: cookie.slice(0, eq), value: cookie.slice(eq + 1), domain: "127.0.0.1", path: "/", httpOnly: true, sameSite: "Lax" }]);
    const errors: string[] = [];
    ctx.on("weberror", (e) => errors.push(e.error().message));
    return { ctx, errors };
  }

  it("staff create a segment and an offer with a holdout and send it; only treated members see and get it", async () => {
    const { ctx, errors } = await context(fx.staffCookie);
    const page = await ctx.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" && !m.text().includes("status of 404")) errors.push(m.text());
    });

    // Segment: tags has any of "vip", with the live count.
    await page.goto(`/admin/${fx.slug}/segments/new`, { waitUntil: "networkidle" });
    await page.getByLabel("Name").fill("VIP members");
    const count = page.getByTestId("segment-count");
    await expect.poll(() => count.innerText()).toBe(String(VIP + 3 + 1)); // every active member (the fixture's own member too)
    await page.getByRole("button", { name: "Add condition" }).click();
    await page.getByLabel("Attribute").selectOption({ label: "Tags" });
    await page.getByLabel("Tags, separated by commas").fill("vip");
    await expect.poll(() => count.innerText()).toBe(String(VIP));
    await page.getByRole("button", { name: "Save segment" }).click();
    await page.getByText("Segment saved.").waitFor();

    // Offer: a double-points multiplier for the segment, half of it held out.
    await page.goto(`/admin/${fx.slug}/offers/new`, { waitUntil: "networkidle" });
    await page.getByLabel("Title").fill("Double points for VIPs");
    await page.getByLabel("Segment").selectOption({ label: "VIP members" });
    await page.getByLabel("Grants").selectOption({ label: "A points multiplier for a period" });
    await page.getByLabel(/Hold out/).fill("50");
    await expect.poll(() => page.locator("output").first().innerText()).toBe("50%");
    await page.getByRole("button", { name: "Create offer" }).click();
    await page.getByRole("heading", { name: "Double points for VIPs" }).waitFor();
    const offerId = new URL(page.url()).pathname.split("/").pop()!;

    const arms = await withTenant(testDb(), fx.merchantId, async (trx) => {
      const o = await trx.selectFrom("offers").select("experiment_id").where("id", "=", offerId).executeTakeFirstOrThrow();
      return trx.selectFrom("experiment_assignments").select(["member_id", "arm"]).where("experiment_id", "=", o.experiment_id).execute();
    });
    expect(arms).toHaveLength(VIP);
    const treated = arms.filter((a) => a.arm === "treatment").map((a) => a.member_id);
    const control = arms.filter((a) => a.arm === "control").map((a) => a.member_id);
    expect(treated.length).toBeGreaterThan(0);
    expect(control.length).toBeGreaterThan(0);

    // Send the announcement; the worker's task runs it; the page shows the progress.
    await page.getByLabel("E-mails per minute").fill("100");
    await page.getByRole("button", { name: "Send announcement" }).click();
    await page.getByText(`Sending to ${treated.length} treated members.`).waitFor();
    await runOnce({ connectionString: ownerUrl, taskList: offersTasks(), logger: jobsLogger });
    await page.reload({ waitUntil: "networkidle" });
    await page.getByText(`${treated.length} e-mailed, 0 skipped`).waitFor();
    expect(errors).toEqual([]);

    const emails = await withTenant(testDb(), fx.merchantId, (trx) =>
      trx
        .selectFrom("email_outbox as e")
        .innerJoin("members as m", (j) => j.onRef("m.merchant_id", "=", "e.merchant_id").onRef("m.email", "=", "e.to_address"))
        .select("m.id")
        .where("e.template", "=", "offer-announcement")
        .execute(),
    );
    expect(emails.map((e) => e.id).sort()).toEqual([...treated].sort());

    // A held-out member: no offers, and the offer's page is a 404.
    const session = async (memberId: string) => `${memberCookieName(fx.slug)}=${(await createMemberSession(testDb(), fx.merchantId, memberId)).token}`;
    const held = await context(await session(control[0]!));
    const heldPage = await held.ctx.newPage();
    await heldPage.goto(`/p/${fx.slug}/offers`, { waitUntil: "networkidle" });
    await heldPage.getByText("No offers for you right now").waitFor();
    const res = await heldPage.goto(`/p/${fx.slug}/offers/${offerId}`);
    expect(res?.status()).toBe(404);
    await held.ctx.close();

    // A treated member sees it and claims it.
    const member = await context(await session(treated[0]!));
    const memberPage = await member.ctx.newPage();
    await memberPage.goto(`/p/${fx.slug}/offers`, { waitUntil: "networkidle" });
    await memberPage.getByRole("link", { name: "Double points for VIPs" }).click();
    await memberPage.getByRole("button", { name: "Claim offer" }).click();
    await memberPage.getByText("You claimed this offer").waitFor();
    expect(member.errors).toEqual([]);
    await member.ctx.close();
    await ctx.close();
  });
});
