import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { withTenant } from "~/db.server";
import { earnPoints } from "~/domain/points/ledger.server";
import { createReward } from "~/domain/rewards/catalog.server";
import { CHROMIUM_ARGS } from "../support/chromium";
import { startAppServer } from "../support/app-server";
import { signedInPage } from "../support/browser-page";
import { testDb } from "../support/db";
import { createTenantFixture, type TenantFixture } from "../support/tenancy";
import { seriousAxeViolations as axe } from "../support/axe";

/**
 * Browser journeys for rewards: a member browses the catalog (affordable or not), redeems with a confirmation step
 * and copies the code from "My rewards"; staff create a reward in the catalog editor (errors next to the fields).
 */
const chromiumPath = inject("chromiumPath");

describe.skipIf(!chromiumPath)("rewards in the browser", () => {
  let server: Awaited<ReturnType<typeof startAppServer>>;
  let browser: Browser;
  let fx: TenantFixture;

  beforeAll(async () => {
    server = await startAppServer();
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    fx = await createTenantFixture("rewards");
    const actor = { type: "system" as const, id: "e2e" };
    await withTenant(testDb(), fx.merchantId, async (trx) => {
      await earnPoints(trx, fx.merchantId, { memberId: fx.memberId, points: 700, source: "order", idempotencyKey: "e2e:earn", description: "Order", actor });
      await createReward(trx, fx.merchantId, { name: "Free pastry", kind: "free_product", pointsCost: 500, productName: "pastry", codeValidDays: 30 }, actor);
      await createReward(trx, fx.merchantId, { name: "Tote bag", kind: "gift", pointsCost: 2000 }, actor);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function contextWith(cookie: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    return signedInPage(browser, server.baseUrl, cookie, { viewport: { width: 1280, height: 800 }, permissions: ["clipboard-read", "clipboard-write"] });
  }

  it("a member redeems a reward after confirming, then copies the code from My rewards", async () => {
    const { context, page, errors } = await contextWith(fx.memberCookie);
    const res = await page.goto(`/p/${fx.slug}/rewards`, { waitUntil: "networkidle" });
    expect(res?.status()).toBe(200);
    await expect.poll(() => page.getByText("You have 700 points to spend.").isVisible()).toBe(true);
    await expect.poll(() => page.getByText("You can afford this").isVisible()).toBe(true);
    await expect.poll(() => page.getByText("1,300 more points needed").isVisible()).toBe(true);
    expect(await axe(page)).toEqual([]);

    await page.getByRole("link", { name: "Redeem Free pastry" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "Redeem Free pastry?" }).isVisible()).toBe(true);
    await expect.poll(() => page.getByText("This uses 500 of your 700 points.").isVisible()).toBe(true);
    await page.getByRole("button", { name: "Confirm and redeem" }).click();

    await page.waitForURL(/\/rewards\/mine\?new=rdm_/);
    await expect.poll(() => page.getByText("Free pastry is yours").isVisible()).toBe(true);
    const code = (await page.getByTestId("reward-code").innerText()).trim();
    expect(code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    await expect.poll(() => page.getByText("Unused").isVisible()).toBe(true);
    await page.getByRole("button", { name: "Copy code for Free pastry" }).click();
    await expect.poll(() => page.getByRole("button", { name: "Copy code for Free pastry" }).innerText()).toBe("Copied");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);
    expect(await axe(page)).toEqual([]);

    // The points left the balance exactly once.
    await page.goto(`/p/${fx.slug}/rewards`, { waitUntil: "networkidle" });
    await expect.poll(() => page.getByText("You have 200 points to spend.").isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("staff create a reward in the catalog editor: errors next to the fields, then it is listed", async () => {
    const { context, page, errors } = await contextWith(fx.staffCookie);
    const res = await page.goto(`/admin/${fx.slug}/rewards/new`, { waitUntil: "networkidle" });
    expect(res?.status()).toBe(200);
    expect(await axe(page)).toEqual([]);
    await page.getByLabel("Name").fill("");
    await page.getByLabel("Type").selectOption("percent_discount");
    await page.getByRole("button", { name: "Create reward" }).click();
    await expect.poll(() => page.getByText("Name is required").isVisible()).toBe(true);
    expect(await page.getByLabel("Name").getAttribute("aria-invalid")).toBe("true");
    // Only the type-specific field missing: the error says which.
    await page.getByLabel("Name").fill("10% off beans");
    await page.getByRole("button", { name: "Create reward" }).click();
    await expect.poll(() => page.getByRole("alert").filter({ hasText: "Enter the percent off" }).count()).toBe(1);
    expect(await page.getByLabel("Percent off", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    await page.getByLabel("Percent off", { exact: true }).fill("120");
    await page.getByLabel("Minimum order (optional)").fill("abc");
    await page.getByLabel("Name").focus();
    await expect.poll(() => page.getByText("Percent must be between 1 and 100").isVisible()).toBe(true);
    await expect.poll(() => page.getByText("Minimum order must be an amount like 5.00").isVisible()).toBe(true);

    await page.getByLabel("Name").fill("10% off beans");
    await page.getByLabel("Percent off", { exact: true }).fill("10");
    await page.getByLabel("Minimum order (optional)").fill("25.00");
    await page.getByLabel("Stock (empty = unlimited)").fill("40");
    await page.getByRole("button", { name: "Create reward" }).click();
    await page.waitForURL(new RegExp(`/admin/${fx.slug}/rewards$`));
    await expect.poll(() => page.getByRole("link", { name: "10% off beans" }).isVisible()).toBe(true);
    await expect.poll(() => page.getByText("40 of 40 left").isVisible()).toBe(true);
    // The member's redemption from the first journey is in the log.
    await expect.poll(() => page.getByRole("cell", { name: "Free pastry" }).first().isVisible()).toBe(true);
    expect(await axe(page)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
