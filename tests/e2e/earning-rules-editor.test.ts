import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { withTenant } from "~/db.server";
import { earnPoints, spendPoints } from "~/domain/points/ledger.server";
import { CHROMIUM_ARGS } from "../support/chromium";
import { startAppServer } from "../support/app-server";
import { signedInPage } from "../support/browser-page";
import { testDb } from "../support/db";
import { createTenantFixture, type TenantFixture } from "../support/tenancy";
import { seriousAxeViolations as axe } from "../support/axe";

/**
 * The program page in a real browser: the live preview is computed client-side from the form as it is edited, so
 * only a browser can show it follows the fields. Also: rows added and saved, errors next to their fields, the
 * analyst's read-only view, axe at desktop and phone sizes, and no sideways scrolling on a phone.
 */
const chromiumPath = inject("chromiumPath");

describe.skipIf(!chromiumPath)("earning-rules editor", () => {
  let server: Awaited<ReturnType<typeof startAppServer>>;
  let browser: Browser;
  let fx: TenantFixture;

  beforeAll(async () => {
    server = await startAppServer();
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    fx = await createTenantFixture("rules");
    // Some ledger activity so the stats and the monthly chart have something to show.
    const actor = { type: "system" as const, id: "e2e" };
    await withTenant(testDb(), fx.merchantId, async (trx) => {
      for (let i = 0; i < 4; i++) {
        const earnedAt = new Date(Date.now() - i * 35 * 86_400_000);
        await earnPoints(trx, fx.merchantId, { memberId: fx.memberId, points: 100 * (i + 1), source: "order", idempotencyKey: `e2e:${i}`, description: "Order", earnedAt, actor });
      }
      await spendPoints(trx, fx.merchantId, { memberId: fx.memberId, points: 250, idempotencyKey: "e2e:spend", description: "Reward", actor });
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(viewport: { width: number; height: number }, cookie: string) {
    // A form answered with 400 is logged by the browser as a failed resource; that is the expected validation reply.
    const { page, errors } = await signedInPage(browser, server.baseUrl, cookie, { viewport });
    const res = await page.goto(`/admin/${fx.slug}/programs`, { waitUntil: "networkidle" });
    expect(res?.status()).toBe(200);
    return { page, errors };
  }

  it("previews as the merchant types, saves rows, and shows errors next to the fields", async () => {
    const { page, errors } = await open({ width: 1280, height: 800 }, fx.staffCookie);
    await expect(page.getByText("750", { exact: true }).first().isVisible()).resolves.toBe(true); // 100+200+300+400 − 250 outstanding
    expect(await axe(page)).toEqual([]);

    const preview = page.getByRole("status").filter({ hasText: "An order of" });
    await expect.poll(() => preview.innerText()).toBe("An order of $42.50 earns 42 points.");
    await page.getByLabel("Points per USD 1 spent").fill("3");
    await expect.poll(() => preview.innerText()).toBe("An order of $42.50 earns 127 points.");
    await page.getByLabel("Rounding").selectOption("nearest");
    await expect.poll(() => preview.innerText()).toBe("An order of $42.50 earns 128 points.");
    await page.getByLabel("Try an order of (USD)").fill("10");
    await expect.poll(() => preview.innerText()).toBe("An order of $10.00 earns 30 points.");
    await page.getByLabel("Minimum order (USD)").fill("20");
    await expect.poll(() => preview.innerText()).toBe("An order of $10.00 earns no points: orders under $20.00 do not earn.");
    await page.getByLabel("Minimum order (USD)").fill("0");

    // The fixture merchant is on UTC, so the campaign's local times are UTC.
    const local = (ms: number) => new Date(Date.now() + ms).toISOString().slice(0, 16);
    await page.getByRole("button", { name: "Add campaign" }).click();
    await page.getByLabel("Name", { exact: true }).fill("Always double");
    await page.getByLabel("Starts").fill(local(-86_400_000));
    await page.getByLabel("Ends").fill(local(86_400_000));
    await expect.poll(() => preview.innerText()).toBe("An order of $10.00 earns 60 points (30 points × 200% during “Always double”).");
    await page.getByRole("button", { name: "Add event" }).click();
    await page.getByLabel("Key").fill("review_posted");
    await page.getByLabel("Name", { exact: true }).first().fill("Review posted");
    await page.getByRole("button", { name: "Save earning rules" }).click();
    await page.getByText("Earning rules saved.").waitFor();

    await page.reload({ waitUntil: "networkidle" });
    await expect(page.getByLabel("Points per USD 1 spent").inputValue()).resolves.toBe("3");
    await expect(page.getByLabel("Key").inputValue()).resolves.toBe("review_posted");
    await expect(page.getByLabel("Name", { exact: true }).last().inputValue()).resolves.toBe("Always double");

    await page.getByLabel("Points per USD 1 spent").fill("-1");
    await page.getByLabel("Ends").fill(await page.getByLabel("Starts").inputValue());
    await page.getByRole("button", { name: "Save earning rules" }).click();
    await page.getByText("Points per currency unit must be at least 0").waitFor();
    await page.getByText("Campaign end must be after its start").waitFor();
    await expect(page.getByLabel("Points per USD 1 spent").getAttribute("aria-invalid")).resolves.toBe("true");
    await expect(page.getByLabel("Ends").getAttribute("aria-invalid")).resolves.toBe("true");
    expect(await axe(page)).toEqual([]);

    await page.getByRole("button", { name: "Remove campaign 1" }).click();
    await page.getByRole("button", { name: "Remove event 1" }).click();
    await expect(page.getByText("No campaigns.").isVisible()).resolves.toBe(true);
    expect(errors).toEqual([]);
  });

  it("fits a phone, and analysts get a read-only view", async () => {
    const phone = await open({ width: 390, height: 844 }, fx.staffCookie);
    expect(await axe(phone.page)).toEqual([]);
    const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(1);

    const analyst = await open({ width: 1280, height: 800 }, fx.analystCookie);
    await analyst.page.getByText("You can view the earning rules").waitFor();
    await expect(analyst.page.getByRole("button", { name: "Save earning rules" }).count()).resolves.toBe(0);
    await expect(analyst.page.getByRole("button", { name: "Add campaign" }).count()).resolves.toBe(0);
    await expect(analyst.page.getByLabel("Points per USD 1 spent").isDisabled()).resolves.toBe(true);
    expect(await axe(analyst.page)).toEqual([]);
    expect([...phone.errors, ...analyst.errors]).toEqual([]);
  });
});
