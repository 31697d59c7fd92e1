import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { originAllowed } from "../../app/server/http.server";
import { startAppServer } from "../support/app-server";

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
