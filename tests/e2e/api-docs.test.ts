import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CHROMIUM_ARGS } from "../support/chromium";
import { startAppServer } from "../support/app-server";
import { signedInPage } from "../support/browser-page";

/**
 * The API reference in a browser: the search is a GET form that works with JavaScript off, filters as you type
 * with it on, and every page stays short enough to read on a phone. Axe runs on these pages in accessibility.test.ts.
 */
const chromiumPath = inject("chromiumPath");
const PHONE = { width: 390, height: 844 };

describe.skipIf(!chromiumPath)("API reference (/api/v1/docs)", () => {
  let server: Awaited<ReturnType<typeof startAppServer>>;
  let browser: Browser;

  beforeAll(async () => {
    server = await startAppServer();
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const operationLinks = (page: Page) => page.getByRole("main").getByRole("listitem").getByRole("link");

  it("without JavaScript, the search form filters by ?q= and a result opens its operation on the tag's page", async () => {
    const context = await browser.newContext({ baseURL: server.baseUrl, viewport: PHONE, javaScriptEnabled: false });
    try {
      const page = await context.newPage();
      expect((await page.goto("/api/v1/docs"))?.status()).toBe(200);
      const all = await operationLinks(page).count();
      const search = page.getByRole("searchbox", { name: "Search operations" });
      await search.fill("record refund");
      await search.press("Enter");
      await page.waitForURL(/\/api\/v1\/docs\?q=record\+refund$/);
      expect(await page.getByRole("status").innerText()).toBe(`1 of ${all} operations match “record refund”.`);
      await expect(search.inputValue()).resolves.toBe("record refund");
      const result = operationLinks(page);
      expect(await result.allInnerTexts()).toEqual([expect.stringContaining("Record a refund")]);
      await result.click();
      await page.waitForURL("**/api/v1/docs/orders#post-api-v1-refunds");
      expect(await page.getByRole("heading", { level: 1 }).innerText()).toBe("Orders");
      expect(await page.locator("#post-api-v1-refunds").isVisible()).toBe(true);
    } finally {
      await context.close();
    }
  });

  it("with JavaScript, typing filters the index at once; a result, and a link into the old one-page reference, open their operation", async () => {
    const { context, page, errors } = await signedInPage(browser, server.baseUrl, null, { viewport: PHONE });
    try {
      await page.goto("/api/v1/docs", { waitUntil: "networkidle" });
      const all = await operationLinks(page).count();
      await page.getByRole("searchbox", { name: "Search operations" }).fill("ledger");
      await expect.poll(() => page.getByRole("status").innerText()).toMatch(/^\d+ of \d+ operations match “ledger”\.$/);
      const shown = await operationLinks(page).allInnerTexts();
      expect(shown.length).toBeGreaterThan(0);
      expect(shown.length).toBeLessThan(all);
      expect(shown.some((t) => t.includes("List a member's ledger"))).toBe(true);
      expect(new URL(page.url()).search).toBe(""); // filtered in the page, no request per keystroke

      await operationLinks(page).filter({ hasText: "List a member's ledger" }).click();
      await page.waitForURL("**/api/v1/docs/points#get-api-v1-members-id-ledger");
      await expect.poll(() => page.getByRole("heading", { level: 1 }).innerText()).toBe("Points");

      await page.goto("about:blank"); // a link from elsewhere: a fresh load, not a hash change
      await page.goto("/api/v1/docs#get-api-v1-members-id-ledger");
      await page.waitForURL("**/api/v1/docs/points#get-api-v1-members-id-ledger");
      await expect.poll(() => page.locator("#get-api-v1-members-id-ledger").isVisible()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("every page of the reference is a few screens on a phone, not one 57,000-px page", async () => {
    const { context, page, errors } = await signedInPage(browser, server.baseUrl, null, { viewport: PHONE });
    try {
      await page.goto("/api/v1/docs", { waitUntil: "networkidle" });
      const tagPages = await page.getByRole("navigation", { name: "API sections" }).getByRole("link").evaluateAll((links) =>
        links.map((a) => (a as HTMLAnchorElement).pathname).filter((p) => p.startsWith("/api/v1/docs/")),
      );
      expect(tagPages.length).toBeGreaterThan(5);
      const heights: Record<string, number> = {};
      for (const path of ["/api/v1/docs", ...tagPages]) {
        expect((await page.goto(path, { waitUntil: "networkidle" }))?.status(), path).toBe(200);
        heights[path] = await page.evaluate(() => document.documentElement.scrollHeight);
      }
      for (const [path, height] of Object.entries(heights)) expect(height, path).toBeLessThan(20_000);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
