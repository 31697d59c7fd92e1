import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CHROMIUM_ARGS } from "../support/chromium";
import { startAppServer } from "../support/app-server";

// The two journeys the Foundation issue names, in a real browser against the production build.
const chromiumPath = inject("chromiumPath");

describe.skipIf(!chromiumPath)("browser journeys", () => {
  let server: Awaited<ReturnType<typeof startAppServer>>;
  let browser: Browser;
  const tag = Math.random().toString(36).slice(2, 8);
  const slug = `e2e-${tag}`;
  const staff = { name: "Erin Example", email: `erin-${tag}@example.com`, password: "correct horse battery staple" };

  beforeAll(async () => {
    server = await startAppServer();
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ baseURL: server.baseUrl });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    (page as Page & { jsErrors: string[] }).jsErrors = errors;
    return page;
  }

  it("a staff member signs up, logs out, logs in and creates an API key that works", async () => {
    const page = await newPage();
    await page.goto("/signup");
    await page.getByLabel("Business name").fill(`E2E Roasters ${tag}`);
    await page.getByLabel("Address").fill(slug);
    await page.getByLabel("Your name").fill(staff.name);
    await page.getByLabel("E-mail").fill(staff.email);
    await page.getByLabel("Password").fill(staff.password);
    await page.getByRole("button", { name: "Create merchant" }).click();
    await page.waitForURL(`**/admin/${slug}`);
    await expect(page.getByRole("heading", { level: 1 }).first().textContent()).resolves.toBeTruthy();

    await page.getByRole("button", { name: "Log out" }).first().click();
    await page.waitForURL((u) => !u.pathname.startsWith("/admin"));

    await page.goto(`/admin/${slug}/settings/api-keys`);
    await page.waitForURL("**/login?**");
    await page.getByLabel("E-mail").fill(staff.email);
    await page.getByLabel("Password").fill(staff.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`**/admin/${slug}/settings/api-keys`);

    await page.getByLabel("Name", { exact: true }).fill("E2E shop sync");
    await page.getByRole("checkbox").first().check();
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByText("Copy the key").waitFor();
    const secret = await page.getByLabel("API key").inputValue();
    expect(secret).toMatch(/^prn_/);

    const res = await fetch(`${server.baseUrl}/api/v1/members`, { headers: { authorization: `Bearer ${secret}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ data: [] });
    expect((page as Page & { jsErrors: string[] }).jsErrors).toEqual([]);
  });

  it("a member signs up in the portal and sees the home page", async () => {
    const page = await newPage();
    await page.goto(`/p/${slug}/signup`);
    await page.getByLabel("Name").fill("Mia Member");
    await page.getByLabel("E-mail").fill(`mia-${tag}@example.com`);
    await page.getByLabel("Password").fill("a perfectly fine password");
    await page.getByRole("button", { name: "Join" }).click();
    await page.waitForURL((u) => u.pathname === `/p/${slug}` || u.pathname === `/p/${slug}/`);
    await page.getByRole("heading", { name: /Hi Mia Member/ }).waitFor();
    expect((page as Page & { jsErrors: string[] }).jsErrors).toEqual([]);
  });
});
