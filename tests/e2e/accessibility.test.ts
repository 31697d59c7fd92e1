import type { AxeResults } from "axe-core";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CHROMIUM_ARGS } from "../support/chromium";
import { startAppServer } from "../support/app-server";
import { injectAxe } from "../support/axe";
import { createTenantFixture, type TenantFixture } from "../support/tenancy";

/**
 * "Responsive, accessible (labels, focus states, contrast)": axe-core's WCAG 2.1 A/AA rules on every admin and
 * portal page, in Debian's Chromium against the production build, at a desktop and a phone viewport. Any
 * violation of impact "serious" or "critical" fails, listed with its rule, help text and the offending selectors.
 */
const chromiumPath = inject("chromiumPath");
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  mobile: { width: 390, height: 844 },
} as const;
type ViewportName = keyof typeof VIEWPORTS;
type Who = "visitor" | "staff" | "member";

/** Paths are templates: `<slug>`, `<memberId>` and `<emailId>` come from the fixture created in beforeAll. */
const PAGES: Array<{ who: Who; path: string }> = [
  { who: "visitor", path: "/" },
  { who: "visitor", path: "/login" },
  { who: "visitor", path: "/signup" },
  { who: "visitor", path: "/forgot-password" },
  { who: "visitor", path: "/p/<slug>/login" },
  { who: "visitor", path: "/p/<slug>/signup" },
  { who: "staff", path: "/admin/<slug>" },
  { who: "staff", path: "/admin/<slug>/members" },
  { who: "staff", path: "/admin/<slug>/members/<memberId>" },
  { who: "staff", path: "/admin/<slug>/programs" },
  { who: "staff", path: "/admin/<slug>/imports" },
  { who: "staff", path: "/admin/<slug>/reports" },
  { who: "staff", path: "/admin/<slug>/experiments" },
  { who: "staff", path: "/admin/<slug>/settings" },
  { who: "staff", path: "/admin/<slug>/settings/stripe" },
  { who: "staff", path: "/admin/<slug>/settings/team" },
  { who: "staff", path: "/admin/<slug>/settings/api-keys" },
  { who: "staff", path: "/admin/<slug>/settings/cltv" },
  { who: "staff", path: "/admin/<slug>/cltv" },
  { who: "staff", path: "/admin/<slug>/mailbox" },
  { who: "staff", path: "/admin/<slug>/mailbox/<emailId>" },
  // The API reference's index and its longest tag page (the reference used to be one page too long to check in time).
  { who: "visitor", path: "/api/v1/docs" },
  { who: "visitor", path: "/api/v1/docs/points" },
  { who: "member", path: "/p/<slug>" },
  { who: "member", path: "/p/<slug>/profile" },
  { who: "member", path: "/p/<slug>/points" },
  { who: "staff", path: "/admin/<slug>/tiers" },
  { who: "member", path: "/p/<slug>/tier" },
  { who: "staff", path: "/admin/<slug>/segments" },
  { who: "staff", path: "/admin/<slug>/segments/new" },
  { who: "staff", path: "/admin/<slug>/offers" },
  { who: "staff", path: "/admin/<slug>/offers/new" },
  { who: "staff", path: "/admin/<slug>/offers/gifts/new" },
  { who: "member", path: "/p/<slug>/offers" },
  { who: "member", path: "/p/<slug>/refer" },
  { who: "staff", path: "/admin/<slug>/referrals" },
  { who: "staff", path: "/admin/<slug>/referrals/review" },
  { who: "staff", path: "/admin/<slug>/referrals/settings" },
  { who: "staff", path: "/admin/<slug>/referrals/tree/<memberId>" },
  { who: "staff", path: "/admin/<slug>/rewards" },
  { who: "staff", path: "/admin/<slug>/rewards/new" },
  { who: "member", path: "/p/<slug>/rewards" },
  { who: "member", path: "/p/<slug>/rewards/mine" },
];

/** One line per serious or critical violation: rule id, impact, help, and the first few offending elements. */
function seriousViolations(results: AxeResults): string[] {
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => {
      const targets = v.nodes.slice(0, 3).map((n) => n.target.map(String).join(" > "));
      const more = v.nodes.length > 3 ? ` (+${v.nodes.length - 3} more)` : "";
      return `${v.id} [${v.impact}] ${v.help} — ${v.nodes.length} element(s): ${targets.join(" | ")}${more}`;
    });
}

async function runAxe(page: Page): Promise<string[]> {
  await injectAxe(page);
  const results = await page.evaluate(
    (tags) =>
      (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<AxeResults> } }).axe.run(document, {
        runOnly: { type: "tag", values: tags },
      }),
    WCAG_TAGS,
  );
  return seriousViolations(results);
}

/**
 * Responsive: the page must not make a phone scroll sideways. Returns the innermost elements that stick out past
 * the viewport's right edge (wide tables and code blocks scroll inside their own box and so do not count).
 */
async function horizontalOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const limit = document.documentElement.clientWidth + 1;
    if (document.documentElement.scrollWidth <= limit) return [];
    const clipped = (el: Element) => {
      for (let p = el.parentElement; p; p = p.parentElement) if (getComputedStyle(p).overflowX !== "visible") return true;
      return false;
    };
    const out = [...document.body.querySelectorAll("*")].filter(
      (el) => el.getBoundingClientRect().right > limit && !clipped(el) && ![...el.children].some((c) => c.getBoundingClientRect().right > limit),
    );
    return out.slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join(".")} sticks out to ${Math.round(el.getBoundingClientRect().right)}px`);
  });
}

describe.skipIf(!chromiumPath)("accessibility (axe-core, WCAG 2.1 AA)", () => {
  let server: Awaited<ReturnType<typeof startAppServer>>;
  let browser: Browser;
  let fx: TenantFixture;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    server = await startAppServer();
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    fx = await createTenantFixture("a11y");
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.close();
  });

  const fill = (path: string) => path.replace("<slug>", fx.slug).replace("<memberId>", fx.memberId).replace("<emailId>", fx.emailId);

  /** A fresh page at `viewport`, signed in as `who` through the fixture's session cookies. */
  async function openPage(who: Who, viewport: ViewportName): Promise<Page> {
    const context = await browser.newContext({ baseURL: server.baseUrl, viewport: VIEWPORTS[viewport] });
    contexts.push(context);
    const cookie = who === "staff" ? fx.staffCookie : who === "member" ? fx.memberCookie : null;
    if (cookie) {
      const eq = cookie.indexOf("=");
      await context.addCookies([
        { name: cookie.slice(0, eq), value: cookie.slice(eq + 1), domain: "127.0.0.1", path: who === "staff" ? "/" : "/p", httpOnly: true, sameSite: "Lax" },
      ]);
    }
    return context.newPage();
  }

  async function visit(page: Page, path: string): Promise<void> {
    const res = await page.goto(path, { waitUntil: "networkidle" });
    expect(res?.status(), `GET ${path}`).toBe(200);
    // Signed-in pages must not have bounced to a login screen.
    expect(new URL(page.url()).pathname).toBe(new URL(path, server.baseUrl).pathname);
  }

  /** The field's error is announced: aria-invalid, and aria-describedby points at a visible role=alert message. */
  async function expectAnnouncedError(page: Page, field: Locator): Promise<void> {
    await expect.poll(() => field.getAttribute("aria-invalid")).toBe("true");
    const ids = ((await field.getAttribute("aria-describedby")) ?? "").split(/\s+/).filter(Boolean);
    const messages = await Promise.all(
      ids.map(async (id) => {
        const el = page.locator(`[id="${id}"]`);
        const inAlert = await el.evaluate((node) => Boolean(node.closest('[role="alert"]')));
        return { inAlert, text: (await el.innerText()).trim(), visible: await el.isVisible() };
      }),
    );
    expect(messages.filter((m) => m.inAlert && m.visible && m.text.length > 0), `aria-describedby=${ids.join(" ")}`).not.toEqual([]);
  }

  for (const viewport of Object.keys(VIEWPORTS) as ViewportName[]) {
    describe(`${viewport} ${VIEWPORTS[viewport].width}×${VIEWPORTS[viewport].height}`, () => {
      for (const { who, path } of PAGES) {
        it(`${path} (${who}) has no serious or critical violations`, async () => {
          const page = await openPage(who, viewport);
          await visit(page, fill(path));
          expect(await runAxe(page)).toEqual([]);
          if (viewport === "mobile") {
            // Responsive: nothing forces the phone to scroll sideways (wide tables scroll inside their own box).
            expect(await horizontalOverflow(page)).toEqual([]);
          }
        });
      }

      it("/login submitted with a bad e-mail announces the errors and passes axe", async () => {
        const page = await openPage("visitor", viewport);
        await visit(page, "/login");
        await page.getByLabel("E-mail").fill("not-an-email");
        await page.getByRole("button", { name: "Log in" }).click();
        await expectAnnouncedError(page, page.getByLabel("E-mail"));
        await expectAnnouncedError(page, page.getByLabel("Password"));
        expect(await runAxe(page)).toEqual([]);
      });

      it("/login with wrong credentials announces the form error and passes axe", async () => {
        const page = await openPage("visitor", viewport);
        await visit(page, "/login");
        await page.getByLabel("E-mail").fill(`nobody-${viewport}@a11y.test`);
        await page.getByLabel("Password").fill("not the right password");
        await page.getByRole("button", { name: "Log in" }).click();
        const alert = page.getByRole("alert");
        await alert.first().waitFor();
        expect((await alert.first().innerText()).trim()).not.toBe("");
        expect(await runAxe(page)).toEqual([]);
      });

      it("portal signup with a short password announces the error and passes axe", async () => {
        const page = await openPage("visitor", viewport);
        await visit(page, fill("/p/<slug>/signup"));
        await page.getByLabel("Name").fill("Ada Accessible");
        await page.getByLabel("E-mail").fill(`ada-${viewport}@a11y.test`);
        await page.getByLabel("Password").fill("short");
        await page.getByRole("button", { name: "Join" }).click();
        await expectAnnouncedError(page, page.getByLabel("Password"));
        expect(await runAxe(page)).toEqual([]);
      });
    });
  }

  it("mobile: the menu button reveals the admin navigation, which reaches Members", async () => {
    const page = await openPage("staff", "mobile");
    await visit(page, fill("/admin/<slug>"));
    const nav = page.getByRole("navigation", { name: "Admin sections" });
    await expect(nav.isVisible()).resolves.toBe(false);
    const menu = page.getByRole("button", { name: "Menu" });
    await expect(menu.getAttribute("aria-expanded")).resolves.toBe("false");
    await menu.click();
    await expect(menu.getAttribute("aria-expanded")).resolves.toBe("true");
    const members = nav.getByRole("link", { name: "Members" });
    await members.waitFor({ state: "visible" });
    expect(await runAxe(page)).toEqual([]);
    await members.click();
    await page.waitForURL(`**/admin/${fx.slug}/members`);
  });

  it("keyboard: Tab on /login reaches e-mail, password and the submit button in order, each with a visible focus ring", async () => {
    const page = await openPage("visitor", "desktop");
    await visit(page, "/login");
    const stops: Array<{ label: string; indicator: boolean }> = [];
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press("Tab");
      const stop = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return null;
        const style = getComputedStyle(el);
        const label = el.id ? document.querySelector(`label[for="${CSS.escape(el.id)}"]`)?.textContent : null;
        return {
          label: (label ?? el.textContent ?? "").trim(),
          indicator: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none",
        };
      });
      if (stop) stops.push(stop);
      if (stop?.label === "Log in") break;
    }
    const order = stops.map((s) => s.label);
    const [email, password, submit] = ["E-mail", "Password", "Log in"].map((l) => order.indexOf(l));
    expect(email, order.join(" → ")).toBeGreaterThanOrEqual(0);
    expect(password).toBeGreaterThan(email!);
    expect(submit).toBeGreaterThan(password!);
    for (const s of stops) expect(s.indicator, `focus indicator on "${s.label}"`).toBe(true);
  });
});
