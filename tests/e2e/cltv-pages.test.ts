import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CHROMIUM_ARGS } from "../support/chromium";
import { startAppServer } from "../support/app-server";
import { signedInPage } from "../support/browser-page";
import { loadCdnow } from "../support/cltv";
import { createTenantFixture, type TenantFixture } from "../support/tenancy";
import { seriousAxeViolations as axe } from "../support/axe";

/**
 * The CLTV journey in Chromium against the production build: a merchant with the CDNOW orders refits from the CLTV
 * page, sees the model, the distribution, segments, fit charts and classic figures (axe-clean at desktop and phone
 * sizes), downloads a table as CSV, fixes a bad value in Settings → CLTV, and finds the member panel.
 */
const chromiumPath = inject("chromiumPath");

describe.skipIf(!chromiumPath)("CLTV pages", () => {
  let server: Awaited<ReturnType<typeof startAppServer>>;
  let browser: Browser;
  let fx: TenantFixture;

  beforeAll(async () => {
    server = await startAppServer();
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    fx = await createTenantFixture("cltv");
    await loadCdnow(fx.merchantId);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(viewport: { width: number; height: number }, path: string) {
    const { page, errors } = await signedInPage(browser, server.baseUrl, fx.staffCookie, { viewport });
    const res = await page.goto(path, { waitUntil: "networkidle" });
    expect(res?.status()).toBe(200);
    return { page, errors };
  }

  it("refits from the CLTV page and shows the model, charts, segments and classic figures", async () => {
    const { page, errors } = await open({ width: 1280, height: 800 }, `/admin/${fx.slug}/cltv`);
    await expect(page.getByRole("heading", { name: "No CLTV model yet" }).isVisible()).resolves.toBe(true);
    await page.getByRole("button", { name: "Refit and rescore now" }).click();
    await expect(page.getByRole("status").filter({ hasText: "members rescored" }).waitFor({ timeout: 60_000 })).resolves.toBeUndefined();
    // The status comes from the action; the page behind it revalidates a moment later.
    await page.getByText(/2,358 members scored/).waitFor({ timeout: 30_000 });
    await expect(page.getByRole("img", { name: /Distribution of predicted 12-month CLTV/ }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole("img", { name: /Customers by number of repeat purchases/ }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole("img", { name: /Repeat purchases per customer in the holdout period/ }).isVisible()).resolves.toBe(true);
    const table = page.getByRole("table", { name: "Value segments by predicted CLTV, and at-risk members" });
    await expect(table.getByRole("row").count()).resolves.toBe(5);
    await expect(page.getByRole("heading", { name: "CLV = LTV × margin" }).isVisible()).resolves.toBe(true);
    expect(await axe(page)).toEqual([]);

    const href = await page.getByRole("link", { name: "Download CSV of the segments table" }).getAttribute("href");
    const csv = await page.request.get(href!);
    expect(csv.status()).toBe(200);
    expect(csv.headers()["content-type"]).toContain("text/csv");
    expect((await csv.text()).split("\n")[0]).toBe("segment,members,cltv_12m_total,cltv_36m_total,past_value_total,mean_p_alive");
    expect(errors).toEqual([]);

    const phone = await open({ width: 390, height: 844 }, `/admin/${fx.slug}/cltv`);
    expect(await axe(phone.page)).toEqual([]);
  }, 120_000);

  it("settings show field errors, then save; the member page shows the CLTV panel", async () => {
    const { page, errors } = await open({ width: 1280, height: 800 }, `/admin/${fx.slug}/settings/cltv`);
    await page.getByLabel("Gross margin (%)").fill("150");
    await page.getByRole("button", { name: "Save CLTV settings" }).click();
    await expect(page.getByText("The gross margin must be between 0 and 100%").waitFor()).resolves.toBeUndefined();
    await expect(page.getByLabel("Gross margin (%)").getAttribute("aria-invalid")).resolves.toBe("true");
    expect(await axe(page)).toEqual([]);
    await page.getByLabel("Gross margin (%)").fill("55");
    await page.getByLabel("Acquisition cost per member").fill("20");
    await page.getByRole("button", { name: "Save CLTV settings" }).click();
    await expect(page.getByText(/CLTV settings saved/).waitFor()).resolves.toBeUndefined();
    await expect(page.getByLabel("Gross margin (%)").inputValue()).resolves.toBe("55");

    await page.goto(`/admin/${fx.slug}/members/${fx.memberId}`, { waitUntil: "networkidle" });
    const panel = page.getByRole("region", { name: "Customer lifetime value" }).or(page.locator("section", { has: page.getByRole("heading", { name: "Customer lifetime value" }) }));
    await expect(panel.getByText("CLTV 36 months").isVisible()).resolves.toBe(true);
    await expect(panel.getByText("P(alive)").isVisible()).resolves.toBe(true);
    expect(errors).toEqual([]);
  }, 120_000);
});
