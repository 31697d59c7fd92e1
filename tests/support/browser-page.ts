import type { Browser, BrowserContext, Page } from "playwright-core";

/**
 * A browser page signed in with a session cookie (`name=value`, as the fixtures hand it out), collecting the page's
 * JavaScript errors and console errors. Statuses in `expectedStatuses` are form replies the test provokes on purpose
 * (a 400 with field errors): the browser logs those as failed resources, which are not errors of the page.
 */
export async function signedInPage(
  browser: Browser,
  baseUrl: string,
  cookie: string | null,
  opts: { viewport?: { width: number; height: number }; cookiePath?: string; expectedStatuses?: number[]; permissions?: string[] } = {},
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ baseURL: baseUrl, viewport: opts.viewport ?? { width: 1280, height: 900 } });
  if (opts.permissions) await context.grantPermissions(opts.permissions, { origin: baseUrl });
  if (cookie) {
    const eq = cookie.indexOf("=");
    await context.addCookies([
      { name: cookie.slice(0, eq), value: cookie.slice(eq + 1), domain: new URL(baseUrl).hostname, path: opts.cookiePath ?? "/", httpOnly: true, sameSite: "Lax" },
    ]);
  }
  const page = await context.newPage();
  const errors: string[] = [];
  const expected = (opts.expectedStatuses ?? [400]).map((s) => `status of ${s}`);
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && !expected.some((s) => m.text().includes(s))) errors.push(m.text());
  });
  return { context, page, errors };
}
