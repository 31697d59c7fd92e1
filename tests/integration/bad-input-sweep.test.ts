import { beforeAll, describe, expect, it } from "vitest";
import { createTenantFixture, type TenantFixture } from "../support/tenancy";
import { expectConsoleErrors } from "../support/fail-on-console-error";

/**
 * Bad input everywhere (reliability.md): every loader and action in the route manifest, called by a legitimate
 * owner / member / API key of the merchant, with junk query strings and bodies. Whatever the route decides, it must
 * answer with a status below 500 and never throw anything but a Response. A new route is covered automatically.
 */
type Handler = (args: unknown) => unknown;
type RouteModule = { loader?: Handler; action?: Handler };
const modules = import.meta.glob<RouteModule>("../../app/routes/*.{ts,tsx}", { eager: true });
const routes = Object.entries(modules).map(([file, mod]) => ({ id: file.split("/").pop()!.replace(/\.(ts|tsx)$/, ""), mod }));

const HUGE = "x".repeat(100_000);
const JUNK_QUERIES = ["?q=%00&cursor=%ff%fe&limit=-1&status=nope", `?q=${HUGE.slice(0, 5000)}&joinedFrom=99999-99-99&redirectTo=//evil.example`];
const JUNK_BODIES: Array<{ type: string; body: string }> = [
  { type: "application/x-www-form-urlencoded", body: "" },
  { type: "application/x-www-form-urlencoded", body: new URLSearchParams({ intent: HUGE, email: HUGE, password: HUGE, name: "\u0000", role: "god", keyId: "../../etc", staffUserId: "'; drop table members; --" }).toString() },
  { type: "application/x-www-form-urlencoded", body: "email=a%40b.c&email=d%40e.f&intent=%E0%A4%A&birthday=2999-02-30" },
  { type: "application/json", body: '{"email": 42, "name": ["a"], "birthday": {"$gt": ""}, "external_id": null}' },
  { type: "application/json", body: '{"unterminated": ' },
  { type: "text/plain", body: "\u0000\u0001binary" },
];

let A: TenantFixture;
beforeAll(async () => {
  A = await createTenantFixture("junk");
});

const JUNK_IDS = ["mbr_\u0000'; select 1; --", "x".repeat(300), "%%", "..%2f..%2f"];

function paramsFor(_id: string, junk?: string): Record<string, string> {
  if (junk !== undefined) return { merchant: A.slug, memberId: junk, emailId: junk, id: junk, token: junk, "*": junk };
  return { merchant: A.slug, memberId: A.memberId, emailId: A.emailId, id: A.memberId, token: "ses_x.y", "*": "nope" };
}

function credentials(id: string): Record<string, string> {
  if (id.startsWith("api.")) return { authorization: `Bearer ${A.apiToken}` };
  if (id.startsWith("p.")) return { cookie: A.memberCookie };
  return { cookie: A.staffCookie };
}

async function call(fn: Handler, request: Request, id: string, junkId?: string): Promise<number> {
  try {
    const r = await fn({ request, params: paramsFor(id, junkId), context: {} });
    if (r instanceof Response) return r.status;
    if (r && typeof r === "object" && "init" in r) return (r as { init?: { status?: number } | null }).init?.status ?? 200;
    return 200;
  } catch (thrown) {
    if (thrown instanceof Response) return thrown.status;
    throw thrown;
  }
}

describe("junk input never produces a 5xx", () => {
  for (const { id, mod } of routes) {
    if (mod.loader) {
      it(`${id} loader`, async () => {
        for (const q of JUNK_QUERIES) {
          const request = new Request(`http://localhost/x${q}`, { headers: { origin: "http://localhost", ...credentials(id) } });
          expect(await call(mod.loader!, request, id), q.slice(0, 60)).toBeLessThan(500);
        }
        for (const junk of JUNK_IDS) {
          const request = new Request("http://localhost/x", { headers: { origin: "http://localhost", ...credentials(id) } });
          expect(await call(mod.loader!, request, id, junk), `params ${junk.slice(0, 40)}`).toBeLessThan(500);
        }
        expectConsoleErrors();
      });
    }
    if (mod.action) {
      it(`${id} action`, async () => {
        for (const { type, body } of JUNK_BODIES) {
          const request = new Request("http://localhost/x", { method: "POST", headers: { origin: "http://localhost", "content-type": type, ...credentials(id) }, body });
          expect(await call(mod.action!, request, id), `${type}: ${body.slice(0, 60)}`).toBeLessThan(500);
        }
        for (const junk of JUNK_IDS) {
          const request = new Request("http://localhost/x", { method: "POST", headers: { origin: "http://localhost", "content-type": "application/x-www-form-urlencoded", ...credentials(id) }, body: "intent=block&name=x" });
          expect(await call(mod.action!, request, id, junk), `params ${junk.slice(0, 40)}`).toBeLessThan(500);
        }
        // Errors logged on the way are allowed only if they were not 5xx answers (asserted above).
        expectConsoleErrors();
      });
    }
  }
});
