import { describe, expect, it } from "vitest";
import { contentSecurityPolicy } from "./csp.server";
import { originAllowed } from "./http.server";
import { inspectRequestPath } from "./request-path.server";

// reliability.md "bad input everywhere": path spellings that normalise differently around a rule decided on the path.
const ADMIN = "admin/acme/settings/stripe";
const TRAVERSALS = [
  `/webhooks/../${ADMIN}`,
  `/webhooks/%2e%2e/${ADMIN}`,
  `/webhooks/%2E%2e/${ADMIN}`,
  `/webhooks/.%2e/${ADMIN}`,
  `/webhooks/%2e./${ADMIN}`,
  `/webhooks/./../${ADMIN}`,
  `/api/v1/../../${ADMIN}`,
  `/api/v1/%2e%2e/%2E%2E/${ADMIN}`,
  `/webhooks/stripe\\..\\..\\${ADMIN}`,
  `/api/v1\\..\\..\\${ADMIN}`,
  `/webhooks/stripe%5c..%5c..%5c${ADMIN}`,
  `/webhooks/stripe/..%2f..%2f${ADMIN}`,
  `/webhooks//../${ADMIN}`,
  `//${ADMIN}`,
  `/admin//acme/settings/stripe`,
  `/webhooks/x#/../../${ADMIN}`,
  `http://evil.example/${ADMIN}`,
  `/webhooks/%2e/${ADMIN}`,
];

describe("inspectRequestPath", () => {
  it("accepts canonical paths and returns them decoded once, as the router matches them", () => {
    expect(inspectRequestPath("/")).toEqual({ ok: true, path: "/" });
    expect(inspectRequestPath("/admin/acme/?index")).toEqual({ ok: true, path: "/admin/acme/" });
    expect(inspectRequestPath("/admin/acme/settings/stripe.data?x=/../..")).toEqual({ ok: true, path: "/admin/acme/settings/stripe.data" });
    expect(inspectRequestPath("/p/acme/r/caf%C3%A9")).toEqual({ ok: true, path: "/p/acme/r/café" });
    // Decoded once only: %25 is a literal percent sign, and what follows it is not decoded again.
    expect(inspectRequestPath("/api/v1/members/%252e%252e")).toEqual({ ok: true, path: "/api/v1/members/%2e%2e" });
    expect(inspectRequestPath("/%61pi/v1/members")).toEqual({ ok: true, path: "/api/v1/members" });
    expect(inspectRequestPath("/.well-known/x...y")).toEqual({ ok: true, path: "/.well-known/x...y" });
  });

  it.each(TRAVERSALS)("refuses %s", (target) => {
    expect(inspectRequestPath(target)).toMatchObject({ ok: false, code: "non_canonical_path" });
  });

  it.each([
    ["/api/v1/members/%", true],
    ["/api/v1/members/%zz", true],
    ["/api/v1/members/%e9", true],
    ["/webhooks/stripe/%", true],
    ["/admin/%", false],
    ["/admin/%zz/settings", false],
    ["/p/acme/%c0%80", false],
    ["/admin/%00", false],
    ["/api/v1/members/mbr_1%0a", true],
  ])("refuses the malformed %s (JSON answer: %s)", (target, json) => {
    expect(inspectRequestPath(target)).toMatchObject({ ok: false, code: "malformed_path", json });
  });
});

describe("originAllowed decides the exemption on the routed path", () => {
  const post = (path: string, headers: Record<string, string> = {}) => ({ method: "POST", path, headers });

  it("exempts the API and webhooks in any spelling the router reads as such", () => {
    expect(originAllowed(post("/api/v1/members"), [])).toBe(true);
    expect(originAllowed(post("/webhooks/stripe/mch_1?x=1"), [])).toBe(true);
    expect(originAllowed(post("/API/v1/members"), [])).toBe(true);
    expect(originAllowed(post("/%61pi/v1/members"), [])).toBe(true);
  });

  it.each(TRAVERSALS)("does not exempt %s", (target) => {
    expect(originAllowed(post(target), [])).toBe(false);
  });

  it("still checks Origin on the paths it does not exempt", () => {
    expect(originAllowed(post(`/${ADMIN}`), [])).toBe(false);
    expect(originAllowed(post(`/${ADMIN}`, { host: "shop.test", origin: "http://shop.test" }), [])).toBe(true);
    expect(originAllowed(post("/webhooks-fake/x"), [])).toBe(false);
  });
});

describe("contentSecurityPolicy", () => {
  const directives = (p: string) => Object.fromEntries(p.split("; ").map((d) => [d.split(" ")[0], d.split(" ").slice(1)]));

  it("allows inline scripts only with the nonce, and nothing frames, embeds or re-bases the page", () => {
    const d = directives(contentSecurityPolicy("abc123=="));
    expect(d["script-src"]).toEqual(["'self'", "'nonce-abc123=='"]);
    expect(d["script-src"]).not.toContain("'unsafe-inline'");
    expect(d["style-src-elem"]).toEqual(["'self'"]);
    expect(d["frame-ancestors"]).toEqual(["'none'"]);
    expect(d["object-src"]).toEqual(["'none'"]);
    expect(d["base-uri"]).toEqual(["'self'"]);
    expect(d["form-action"]).toEqual(["'self'"]);
    expect(d["connect-src"]).toEqual(["'self'"]);
  });

  it("lets Vite's dev server inject styles and open its HMR socket only in development", () => {
    const d = directives(contentSecurityPolicy("n", { dev: true }));
    expect(d["style-src-elem"]).toContain("'unsafe-inline'");
    expect(d["connect-src"]).toContain("ws:");
    expect(d["script-src"]).toEqual(["'self'", "'nonce-n'"]);
  });
});
