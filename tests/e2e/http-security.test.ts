import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { sql } from "kysely";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { withTenant } from "../../app/db.server";
import { getStripeConnection } from "../../app/domain/stripe/connection.server";
import { originAllowed } from "../../app/server/http.server";
import { startAppServer } from "../support/app-server";
import { signedInPage } from "../support/browser-page";
import { CHROMIUM_ARGS } from "../support/chromium";
import { testDb } from "../support/db";
import { createTenantFixture, type TenantFixture } from "../support/tenancy";

// reliability.md S3: any non-GET with a foreign or missing Origin → 403, checked over real HTTP against the built app.
let server: Awaited<ReturnType<typeof startAppServer>>;
beforeAll(async () => {
  server = await startAppServer();
});
afterAll(async () => {
  await server?.close();
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe("Origin check on state-changing requests", () => {
  for (const path of ["/login", "/signup", "/logout", "/p/northwind/login"]) {
    it(`POST ${path} without Origin → 403`, async () => {
      const res = await fetch(server.baseUrl + path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form({ email: "a@example.com", password: "whatever-123" }),
        redirect: "manual",
      });
      expect(res.status).toBe(403);
    });

    it(`POST ${path} from a foreign Origin → 403`, async () => {
      const res = await fetch(server.baseUrl + path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
        body: form({ email: "a@example.com", password: "whatever-123" }),
        redirect: "manual",
      });
      expect(res.status).toBe(403);
    });
  }

  it("lets a same-origin POST through to the route (which then answers on its own terms)", async () => {
    const res = await fetch(`${server.baseUrl}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: server.baseUrl },
      body: form({ email: "nobody@example.com", password: "wrong-password-1" }),
      redirect: "manual",
    });
    expect(res.status).not.toBe(403);
    expect(res.status).toBeLessThan(500);
  });

  it("does not apply to the bearer-authenticated API (no ambient credentials there)", async () => {
    const res = await fetch(`${server.baseUrl}/api/v1/members`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example" },
      body: "{}",
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "unauthenticated" } });
  });

  it("sends security headers", async () => {
    const res = await fetch(`${server.baseUrl}/login`);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-powered-by")).toBeNull();
  });
});

describe("originAllowed", () => {
  const req = (method: string, path: string, headers: Record<string, string>) => ({ method, path, headers });
  it("allows safe methods and exempt paths, matches the request host", () => {
    expect(originAllowed(req("GET", "/x", {}), [])).toBe(true);
    expect(originAllowed(req("POST", "/webhooks/stripe/mch_1", {}), [])).toBe(true);
    expect(originAllowed(req("POST", "/login", { host: "shop.test", origin: "https://shop.test" }), [])).toBe(true);
    expect(originAllowed(req("POST", "/login", { host: "shop.test", origin: "https://shop.test.evil" }), [])).toBe(false);
    expect(originAllowed(req("DELETE", "/login", { host: "shop.test" }), [])).toBe(false);
    expect(originAllowed(req("POST", "/login", { host: "internal:3000", origin: "https://loyalty.shop" }), ["https://loyalty.shop"])).toBe(true);
  });
});

/** A request sent byte for byte: fetch() would resolve `..` and `%2e%2e` itself before anything reaches the server. */
function rawRequest(method: string, target: string, headers: Record<string, string>, body?: string): Promise<{ status: number; type: string; body: string }> {
  const base = new URL(server.baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method, path: target, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, type: String(res.headers["content-type"] ?? ""), body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * Every spelling that walks from an Origin-exempt prefix (/api/, /webhooks/) to `p` (a canonical path starting
 * with /), plus the ones that only change under normalisation. Before the fix the first seven (and the backslash
 * ones) reached the action behind `p` without an Origin header.
 */
function traversals(p: string, query = ""): string[] {
  const rest = p.slice(1);
  const spellings = [
    `/webhooks/..${p}`,
    `/webhooks/%2e%2e${p}`,
    `/webhooks/%2E%2e${p}`,
    `/webhooks/.%2e${p}`,
    `/webhooks/%2e.${p}`,
    `/webhooks/./..${p}`,
    `/api/v1/../..${p}`,
    `/api/v1/%2e%2e/%2e%2e${p}.data`,
    `/webhooks/stripe\\..\\..${p}`,
    `/api/v1\\..\\..\\${rest.replace(/\//g, "\\")}`,
    `/webhooks/stripe%5c..%5c..${p}`,
    `/webhooks/stripe/..%2f..${p}`,
    `/webhooks/..//${rest}`,
    `/${p}`,
    `/webhooks/x#/../..${p}`,
  ];
  return spellings.map((t) => t + query);
}

type BuiltRoute = { id: string; parentId?: string; path?: string; index?: boolean; module: { action?: unknown } };

/** Every route with an action outside the Origin-exempt API and webhooks, from the build's route manifest. */
async function actionRoutes(): Promise<Array<{ id: string; path: string; index: boolean }>> {
  const build = (await import(pathToFileURL(path.resolve("build/server/index.js")).href)) as ServerBuild;
  const routes = build.routes as unknown as Record<string, BuiltRoute>;
  const fullPath = (id: string): string => {
    const r = routes[id]!;
    const parent = r.parentId ? fullPath(r.parentId) : "";
    return r.path ? `${parent.replace(/\/$/, "")}/${r.path}` : parent;
  };
  return Object.values(routes)
    .filter((r) => r.module.action)
    .map((r) => ({ id: r.id, path: fullPath(r.id) || "/", index: Boolean(r.index) }))
    .filter((r) => !/^\/(api|webhooks)\//.test(r.path))
    .sort((a, b) => a.id.localeCompare(b.id));
}

describe("path spellings that normalise differently cannot walk around the Origin check", async () => {
  const routes = await actionRoutes();
  let T: TenantFixture;
  const snapshot = async () => ({
    audit: await withTenant(testDb(), T.merchantId, async (trx) => Number((await trx.selectFrom("audit_log").select(sql<string>`count(*)`.as("n")).executeTakeFirstOrThrow()).n)),
    merchant: await testDb().selectFrom("merchants").selectAll().where("id", "=", T.merchantId).executeTakeFirstOrThrow(),
    member: await withTenant(testDb(), T.merchantId, (trx) => trx.selectFrom("members").selectAll().where("id", "=", T.memberId).executeTakeFirstOrThrow()),
    stripe: await getStripeConnection(testDb(), T.merchantId),
  });
  let before: Awaited<ReturnType<typeof snapshot>>;
  const CONTROL_SECRET = `whsec_${"c".repeat(20)}ctrl`;

  beforeAll(async () => {
    T = await createTenantFixture("traverse");
    // The witness works: the same form, sent properly, does change the Stripe secret.
    const res = await rawRequest("POST", `/admin/${T.slug}/settings/stripe`, { cookie: T.staffCookie, origin: server.baseUrl, "content-type": "application/x-www-form-urlencoded" }, form({ intent: "save", webhookSecret: CONTROL_SECRET }));
    expect(res.status).toBe(200);
    before = await snapshot();
    expect(before.stripe.webhookSecretHint).toMatch(/ctrl$/);
  });

  it("covers every admin and portal action route of the build", () => {
    const ids = routes.map((r) => r.id);
    expect(ids).toContain("routes/admin.$merchant.settings.stripe");
    expect(ids).toContain("routes/p.$merchant.profile");
    expect(ids.filter((id) => id.startsWith("routes/admin.")).length).toBeGreaterThan(20);
    expect(ids.filter((id) => id.startsWith("routes/p.")).length).toBeGreaterThan(5);
  });

  it.each(routes.map((r) => [r.id, r] as const))("a signed-in POST without Origin to %s through any spelling is refused", async (_id, route) => {
    const ids: Record<string, string> = { merchant: T.slug, memberId: T.memberId };
    const p = route.path.replace(/:(\w+)\??/g, (_, k: string) => ids[k] ?? "x");
    const cookie = p.startsWith("/p/") ? T.memberCookie : T.staffCookie;
    const body = form({ intent: "save", webhookSecret: `whsec_${"t".repeat(20)}trav`, name: "Walked Around", email: "walked@around.test", apiKey: `rk_test_${"w".repeat(24)}` });
    for (const target of traversals(p, route.index ? "?index" : "")) {
      const res = await rawRequest("POST", target, { cookie, "content-type": "application/x-www-form-urlencoded" }, body);
      expect([400, 403, 404], `${target} → ${res.status} ${res.body.slice(0, 120)}`).toContain(res.status);
      // A 400 must be the HTTP layer's refusal, not the action's own form error.
      if (res.status === 400) expect(res.body, target).toMatch(/non_canonical_path|malformed_path|^Bad request: /);
    }
  });

  it("changed nothing, and both sessions still work", async () => {
    expect(await snapshot()).toEqual(before);
    const admin = await rawRequest("GET", `/admin/${T.slug}`, { cookie: T.staffCookie });
    expect(admin.status).toBe(200);
    const portal = await rawRequest("GET", `/p/${T.slug}/profile`, { cookie: T.memberCookie });
    expect(portal.status).toBe(200);
  });
});

describe("malformed percent-escapes in the path", () => {
  for (const target of ["/api/v1/members/%", "/api/v1/members/%zz", "/api/v1/members/%e9", "/webhooks/stripe/%"]) {
    for (const method of ["GET", "POST"]) {
      it(`${method} ${target} → 400 in the API's JSON error shape`, async () => {
        const res = await rawRequest(method, target, { "content-type": "application/json" }, method === "POST" ? "{}" : undefined);
        expect(res.status).toBe(400);
        expect(res.type).toMatch(/^application\/json/);
        expect(JSON.parse(res.body)).toEqual({ error: { code: "malformed_path", message: expect.any(String) } });
      });
    }
  }
  for (const target of ["/admin/%", "/admin/%zz/settings", "/p/northwind/%", "/%", "/assets/%", "/admin/%00"]) {
    it(`GET ${target} → 400, not Express's HTML error page`, async () => {
      const res = await rawRequest("GET", target, {});
      expect(res.status).toBe(400);
      expect(res.type).toMatch(/^text\/plain/);
      expect(res.body).not.toMatch(/URIError|<html|at /i);
    });
  }
});

describe("Content-Security-Policy", () => {
  it("is sent on pages with a fresh nonce that every inline script carries", async () => {
    const [a, b] = await Promise.all([fetch(`${server.baseUrl}/login`), fetch(`${server.baseUrl}/login`)]);
    const csp = a.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/]{22}=='/);
    for (const d of ["frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "default-src 'self'"]) expect(csp).toContain(d);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(a.headers.get("x-frame-options")).toBe("DENY");
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(b.headers.get("content-security-policy")).not.toContain(nonce);
    const html = await a.text();
    const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((m) => m[1]!);
    expect(inline.length).toBeGreaterThan(1);
    for (const attrs of inline) expect(attrs).toContain(`nonce="${nonce}"`);
    await b.text();
  });

  const chromiumPath = inject("chromiumPath");
  it.skipIf(!chromiumPath)("admin and portal pages hydrate in Chromium with no CSP violation", async () => {
    const T = await createTenantFixture("csp");
    const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    try {
      for (const [cookie, target, cookiePath] of [
        [T.staffCookie, `/admin/${T.slug}/settings/stripe`, "/"],
        [T.memberCookie, `/p/${T.slug}/profile`, "/p"],
      ] as const) {
        const { context, page, errors } = await signedInPage(browser, server.baseUrl, cookie, { cookiePath });
        const violations: string[] = [];
        await page.exposeFunction("reportCspViolation", (v: string) => violations.push(v));
        await page.addInitScript(() => {
          document.addEventListener("securitypolicyviolation", (e) => {
            (window as unknown as { reportCspViolation: (v: string) => void }).reportCspViolation(`${e.violatedDirective} ${e.blockedURI}`);
          });
        });
        const res = await page.goto(target, { waitUntil: "networkidle" });
        expect(res?.status(), target).toBe(200);
        expect(res?.headers()["content-security-policy"]).toContain("'nonce-");
        // Remix's inline module script ran and hydrated the page.
        await page.waitForFunction(() => "__remixRouter" in window);
        expect(violations, target).toEqual([]);
        expect(errors.filter((e) => /Content Security Policy/i.test(e)), target).toEqual([]);
        expect(errors, target).toEqual([]);
        await context.close();
      }
    } finally {
      await browser.close();
    }
  });
});

describe("an empty Idempotency-Key header through the real server", () => {
  let T: TenantFixture;
  beforeAll(async () => {
    T = await createTenantFixture("emptykey");
  });

  // @remix-run/express drops empty header values; the HTTP layer keeps the key visible so the API can refuse it.
  const cases: Array<[target: string, kind: string, body: object]> = [
    ["/api/v1/members", "optional key", { email: "empty-key@example.com" }],
    ["/api/v1/orders", "required key", { member: { email: "empty-key-order@example.com" }, order_id: "o-empty-key", amount_minor: 1000, currency: "USD" }],
  ];
  it.each(cases)("POST %s (%s) → 400 invalid_idempotency_key, nothing written", async (target, _kind, body) => {
    const count = () =>
      withTenant(testDb(), T.merchantId, async (trx) => Number((await trx.selectFrom("members").select(sql<string>`count(*)`.as("n")).executeTakeFirstOrThrow()).n));
    const before = await count();
    for (const key of ["", "   "]) {
      const res = await rawRequest("POST", target, { authorization: `Bearer ${T.apiToken}`, "content-type": "application/json", "idempotency-key": key }, JSON.stringify(body));
      expect(res.status, res.body).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: "invalid_idempotency_key", field: "Idempotency-Key" } });
    }
    expect(await count()).toBe(before);
  });
});
