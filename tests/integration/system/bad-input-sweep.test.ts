import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "~/api/request.server";
import { openApiDocument } from "~/api/openapi";
import { exampleFor } from "~/components/ui/api-docs";
import type { OpenApiDoc } from "~/api/openapi-docs";
import { action as stripeWebhook } from "~/routes/webhooks.stripe.$merchantId";
import { createTenantFixture, type TenantFixture } from "../../support/tenancy";
import { expectConsoleErrors } from "../../support/fail-on-console-error";
import { createMemberSession } from "~/auth/member-session.server";
import { memberCookieName, STAFF_COOKIE } from "~/auth/cookies.server";
import { createStaffSession } from "~/auth/staff-session.server";
import { newId } from "~/lib/ids";
import { ORIGIN } from "../../support/admin";
import { testDb } from "../../support/db";
import { api, dispatch, startRouteServer, type ApiResult } from "../../support/api";
import { charge, connectedMerchant, signatureHeader, stripeEvent, stripeFootprint } from "../../support/fake-stripe";
import { offersFixture } from "../../support/offers";

/**
 * Bad input everywhere (reliability.md): every loader and action in the route manifest, called by a legitimate
 * owner / member / API key of the merchant, with junk query strings and bodies. Whatever the route decides, it must
 * answer with a status below 500 and never throw anything but a Response. A new route is covered automatically.
 */
type Handler = (args: unknown) => unknown;
type RouteModule = { loader?: Handler; action?: Handler };
const modules = import.meta.glob<RouteModule>("../../../app/routes/*.{ts,tsx}", { eager: true });
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

// ---- the junk-input classes of reliability.md, sent everywhere --------------------------------------------------
/**
 * Each class below goes to every text field, header and path parameter of every operation in the OpenAPI
 * document, to every form action (each field its route and components render) and to the Stripe webhook. Any 5xx,
 * any API error body not shaped `{ error: { code, message, field? } }`, or any request slower than 10 s fails.
 * The number of requests per class is printed at the end.
 */
const NUL = "a\u0000b";
const SURROGATE = "a\ud800b";
const DEEP = 10_000;
const deepJson = (d = DEEP) => "[".repeat(d) + "]".repeat(d);
const sent = new Map<string, number>();
const count = (cls: string) => sent.set(cls, (sent.get(cls) ?? 0) + 1);
afterAll(() => {
  const lines = [...sent].map(([cls, n]) => `  ${String(n).padStart(6)}  ${cls}`);
  console.log(`bad-input sweep: requests sent per class\n${lines.join("\n")}\n  ${String([...sent.values()].reduce((a, b) => a + b, 0)).padStart(6)}  total`);
});

async function timed<T>(cls: string, label: string, fn: () => Promise<T>): Promise<T> {
  count(cls);
  const t0 = performance.now();
  const out = await fn();
  const ms = performance.now() - t0;
  expect(ms, `${cls}: ${label} took ${Math.round(ms)} ms`).toBeLessThan(10_000);
  return out;
}

function expectApiShape(r: { status: number; json: unknown; text?: string }, label: string) {
  expect(r.status, `${label}: ${r.text?.slice(0, 200)}`).toBeLessThan(500);
  if (r.status < 400) return;
  const body = r.json as { error?: Record<string, unknown> } | undefined;
  expect(body && Object.keys(body), `${label}: error body ${r.text?.slice(0, 200)}`).toEqual(["error"]);
  const e = body!.error!;
  expect(typeof e.code === "string" && typeof e.message === "string", `${label}: error fields`).toBe(true);
  expect(Object.keys(e).every((k) => ["code", "message", "field"].includes(k)), `${label}: extra keys ${Object.keys(e)}`).toBe(true);
  if ("field" in e) expect(typeof e.field, label).toBe("string");
}

// ---- the API, driven by its OpenAPI document ---------------------------------------------------------------------

type Json = Record<string, unknown>;
const doc = openApiDocument(ORIGIN) as unknown as OpenApiDoc;
interface Op {
  method: string;
  path: string;
  params: Json[];
  body: Json | null;
}
const resolveRef = (x: unknown): Json => {
  let s = (x ?? {}) as Json;
  while (typeof s.$ref === "string") {
    const [, , section, name] = s.$ref.split("/");
    s = ((doc.components as Record<string, Record<string, Json>>)[section!]![name!] ?? {}) as Json;
  }
  return s;
};
const operations: Op[] = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({
    method: method.toUpperCase(),
    path,
    params: ((op.parameters as unknown[]) ?? []).map(resolveRef),
    body: op.requestBody ? (resolveRef((op.requestBody as Json).content && ((op.requestBody as { content: Record<string, Json> }).content["application/json"]!.schema)) as Json) : null,
  })),
);

/** Dotted paths of every property a body schema documents (array items as index 0), leaves and objects alike. */
function fieldPaths(schema: unknown, prefix: string[] = [], depth = 0): string[][] {
  const s = resolveRef(schema);
  if (depth > 6) return [];
  const out: string[][] = [];
  for (const alt of [...((s.anyOf as unknown[]) ?? []), ...((s.oneOf as unknown[]) ?? []), ...((s.allOf as unknown[]) ?? [])]) out.push(...fieldPaths(alt, prefix, depth + 1));
  for (const [k, v] of Object.entries((s.properties as Json) ?? {})) {
    out.push([...prefix, k]);
    out.push(...fieldPaths(v, [...prefix, k], depth + 1));
  }
  if (s.items) out.push(...fieldPaths(s.items, [...prefix, "0"], depth + 1));
  const seen = new Set<string>();
  return out.filter((p) => !seen.has(p.join(".")) && seen.add(p.join(".")));
}

function withValue(base: unknown, path: string[], value: unknown): unknown {
  const root = (base && typeof base === "object" ? structuredClone(base) : {}) as Record<string, unknown>;
  let at: Record<string, unknown> = root;
  path.forEach((seg, i) => {
    if (i === path.length - 1) at[seg] = value;
    else {
      const next = at[seg];
      at[seg] = next && typeof next === "object" ? next : /^\d+$/.test(path[i + 1]!) ? [] : {};
      at = at[seg] as Record<string, unknown>;
    }
  });
  return root;
}

let T: TenantFixture;
beforeAll(async () => {
  T = await createTenantFixture("sweep");
});

const takesKey = (op: Op) => op.params.some((p) => p.in === "header" && p.name === "Idempotency-Key");
const pathParams = (op: Op) => [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
const queryParams = (op: Op) => op.params.filter((p) => p.in === "query").map((p) => String(p.name));

/** Well-formed ids in the path, so each request gets past the route's id check to the part under test. */
function baselineParam(op: Op, name: string): string {
  if (name === "offerId") return newId("offer");
  if (op.path.startsWith("/api/v1/members/")) return T.memberId;
  if (op.path.startsWith("/api/v1/rewards/")) return newId("reward");
  if (op.path.startsWith("/api/v1/referrals/reviews/")) return newId("referralReview");
  return `x_${name}`;
}

function urlFor(op: Op, override: Record<string, string> = {}, query = ""): string {
  return op.path.replace(/\{(\w+)\}/g, (_, name: string) => override[name] ?? baselineParam(op, name)) + query;
}

function send(op: Op, o: { path?: Record<string, string>; query?: string; body?: string | ReadableStream | null; headers?: Record<string, string> } = {}): Promise<ApiResult> {
  const headers = new Headers({ Authorization: `Bearer ${T.apiToken}` });
  if (op.method === "POST") {
    if (takesKey(op)) headers.set("Idempotency-Key", crypto.randomUUID());
    if (o.body !== null) headers.set("Content-Type", "application/json");
  }
  for (const [k, v] of Object.entries(o.headers ?? {})) headers.set(k, v);
  const body = op.method === "POST" ? (o.body === undefined ? JSON.stringify(op.body ? exampleFor(doc, op.body) : {}) : o.body ?? undefined) : undefined;
  const init: RequestInit & { duplex?: "half" } = { method: op.method, headers, body };
  if (body instanceof ReadableStream) init.duplex = "half";
  return dispatch(new Request(`${ORIGIN}${urlFor(op, o.path, o.query)}`, init));
}

const label = (op: Op, what: string) => `${op.method} ${op.path} ${what}`;

describe("API: every operation of the OpenAPI document", () => {
  it("documents operations to sweep", () => {
    expect(operations.length).toBeGreaterThan(25);
  });

  for (const op of operations) {
    it(`${op.method} ${op.path}`, async () => {
      // Path parameters: NUL is refused naming the parameter; a lone surrogate cannot be percent-encoded, so its
      // UTF-8 bytes arrive and decode to U+FFFD; both must stay below 500.
      for (const name of pathParams(op)) {
        const r = await timed("NUL in a path parameter", label(op, name), () => send(op, { path: { [name]: encodeURIComponent(NUL) } }));
        expectApiShape(r, label(op, `path ${name} NUL`));
        expect([r.status, r.json?.error?.field], label(op, `path ${name} NUL`)).toEqual([422, name]);
        const s = await timed("unpaired surrogate in a path parameter", label(op, name), () => send(op, { path: { [name]: "a%ED%A0%80b" } }));
        expectApiShape(s, label(op, `path ${name} surrogate`));
      }
      // Query parameters, documented ones and an undocumented one.
      for (const name of [...queryParams(op), "unknown_param"]) {
        const r = await timed("NUL in a query parameter", label(op, name), () => send(op, { query: `?${name}=${encodeURIComponent(NUL)}` }));
        expectApiShape(r, label(op, `query ${name} NUL`));
        expect([r.status, r.json?.error?.field], label(op, `query ${name} NUL`)).toEqual([422, name]);
        const s = await timed("unpaired surrogate in a query parameter", label(op, name), () => send(op, { query: `?${name}=a%ED%A0%80b` }));
        expectApiShape(s, label(op, `query ${name} surrogate`));
      }
      // Headers: bytes that are not ASCII (a lone surrogate's UTF-8, Latin-1 on the wire) and an empty value.
      // NUL in a header never reaches the app: Node's parser refuses it (asserted over a socket below).
      const headers = ["Authorization", "Content-Type", "Cookie", "Origin", "X-Perennial-Client-Ip", ...(takesKey(op) ? ["Idempotency-Key"] : [])];
      for (const h of headers) {
        for (const v of ["a\u00ed\u00a0\u0080b", "", "%", "Bearer ", "\u00ff".repeat(300)]) {
          const r = await timed("junk header value", label(op, h), () => send(op, { headers: { [h]: v } }));
          expectApiShape(r, label(op, `header ${h}=${JSON.stringify(v.slice(0, 10))}`));
        }
      }
      if (op.method !== "POST") return;

      if (takesKey(op)) {
        for (const v of ["", "   "]) {
          const r = await timed("empty Idempotency-Key", label(op, JSON.stringify(v)), () => send(op, { headers: { "Idempotency-Key": v } }));
          expectApiShape(r, label(op, "empty key"));
          expect([r.status, r.json?.error?.code, r.json?.error?.field], label(op, `Idempotency-Key ${JSON.stringify(v)}`)).toEqual([400, "invalid_idempotency_key", "Idempotency-Key"]);
        }
      }

      // Every documented body field, and a key, set to NUL and to a lone surrogate (JSON escapes carry both).
      const base = op.body ? exampleFor(doc, op.body) : {};
      const paths = op.body ? fieldPaths(op.body) : [];
      for (const [cls, junk] of [["NUL in a body field", NUL], ["unpaired surrogate in a body field", SURROGATE]] as const) {
        for (const path of [...paths, ["unknown_field"]]) {
          const body = JSON.stringify(withValue(base, path, junk));
          const r = await timed(cls, label(op, path.join(".")), () => send(op, { body }));
          expectApiShape(r, label(op, `${cls} ${path.join(".")}`));
          expect([r.status, r.json?.error?.field], label(op, `${cls} ${path.join(".")}`)).toEqual([422, path.join(".")]);
        }
        const r = await timed(cls, label(op, "key"), () => send(op, { body: JSON.stringify({ [junk]: 1 }) }));
        expectApiShape(r, label(op, `${cls} in a key`));
        expect(r.status, label(op, `${cls} in a key`)).toBe(422);
      }

      for (const [what, body] of [["array", deepJson()], ["object", '{"a":'.repeat(DEEP) + "1" + "}".repeat(DEEP)]] as const) {
        const r = await timed("JSON nested 10,000 levels", label(op, what), () => send(op, { body }));
        expectApiShape(r, label(op, `deep ${what}`));
        expect([r.status, r.json?.error?.code], label(op, `deep ${what}`)).toEqual([400, "invalid_json"]);
      }

      const padded = (bytes: number) => {
        const shell = '{"pad":""}';
        return `{"pad":"${"x".repeat(bytes - shell.length)}"}`;
      };
      const atLimit = await timed("body at the size limit", label(op, "64 KiB"), () => send(op, { body: padded(MAX_BODY_BYTES) }));
      expectApiShape(atLimit, label(op, "at limit"));
      expect(atLimit.status, label(op, "at limit")).not.toBe(413);
      const over = await timed("body over the size limit", label(op, "64 KiB + 1"), () => send(op, { body: padded(MAX_BODY_BYTES + 1) }));
      expectApiShape(over, label(op, "over limit"));
      expect(over.status, label(op, "over limit")).toBe(413);
      // Chunked, with no Content-Length to trust: counted while reading.
      const chunks = Array.from({ length: 20 }, () => new TextEncoder().encode("x".repeat(8192)));
      const stream = new ReadableStream<Uint8Array>({
        pull(c) {
          const next = chunks.shift();
          if (next) c.enqueue(next);
          else c.close();
        },
      });
      const chunked = await timed("body over the size limit", label(op, "chunked 160 KiB"), () => send(op, { body: stream }));
      expectApiShape(chunked, label(op, "chunked over limit"));
      expect(chunked.status, label(op, "chunked over limit")).toBe(413);

      if (!op.body) {
        // Documented without a body: no Content-Type, no body is the normal call and is not a 400.
        const r = await timed("operation documented without a body, sent none", label(op, "no body"), () => send(op, { body: null }));
        expectApiShape(r, label(op, "no body"));
        expect(r.status, label(op, "no body")).not.toBe(400);
      }
      expectConsoleErrors().forEach((args) => expect(String(args[0]), "nothing logged as unexpected").not.toContain("unexpected"));
    });
  }

  it("an offer claim with no body and no Content-Type succeeds (201)", async () => {
    const f = await offersFixture({ members: 1, tagged: 1, holdoutPercent: 0 });
    const memberId = f.treated[0]!;
    const r = await timed("operation documented without a body, sent none", "claim", () =>
      dispatch(
        new Request(`${ORIGIN}/api/v1/members/${memberId}/offers/${f.offer.id}/claim`, {
          method: "POST",
          headers: { Authorization: `Bearer ${f.token}`, "Idempotency-Key": crypto.randomUUID() },
        }),
      ),
    );
    expect(r.status, r.text).toBe(201);
    const again = await api("POST", `/api/v1/members/${memberId}/offers/${f.offer.id}/claim`, { token: f.token, idempotencyKey: crypto.randomUUID(), rawBody: "" });
    expectApiShape(again, "second claim");
    expect(again.status).toBe(409);
  });

  it("NUL in any header is refused by the HTTP parser before the app sees it", async () => {
    const server = await startRouteServer();
    try {
      const { port } = new URL(server.baseUrl);
      for (const op of operations) {
        for (const h of ["Authorization", "Idempotency-Key", "Content-Type", "Cookie"]) {
          const raw = await timed("NUL in a header (raw socket)", label(op, h), () =>
            rawRequest(Number(port), `${op.method} ${urlFor(op)} HTTP/1.1\r\nHost: localhost\r\n${h}: ${NUL}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`),
          );
          expect(raw.split("\r\n")[0], label(op, h)).toBe("HTTP/1.1 400 Bad Request");
        }
      }
    } finally {
      await server.close();
    }
  });
});

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(text));
    let out = "";
    socket.on("data", (d) => (out += d.toString("latin1")));
    socket.on("end", () => resolve(out));
    socket.on("error", reject);
  });
}

// ---- forms: every action, every field its page renders -------------------------------------------------------------

const sources = import.meta.glob<string>(["../../../app/routes/*.{ts,tsx}", "../../../app/components/**/*.tsx"], { query: "?raw", import: "default", eager: true });
const sourceOf = (file: string) => sources[`../../../app/${file}`] ?? "";

/** Field names a route's page can submit: `name="…"` and Conform `fields.…` in the route and the components it imports. */
function formFields(routeId: string): string[] {
  const route = sourceOf(`routes/${routeId}.tsx`) || sourceOf(`routes/${routeId}.ts`);
  const texts = [route];
  for (const m of route.matchAll(/from "~\/components\/([^"]+)"/g)) {
    texts.push(sourceOf(`components/${m[1]}.tsx`));
  }
  const names = new Set<string>(["intent"]);
  for (const t of texts) for (const m of t.matchAll(/(?:\bname="([A-Za-z_]\w*)"|\bfields\.(\w+))/g)) names.add(m[1] ?? m[2]!);
  return [...names];
}

const formRoutes = routes.filter(({ id, mod }) => mod.action && !id.startsWith("api.") && !id.startsWith("webhooks."));

describe("forms: every action, every field", () => {
  for (const { id, mod } of formRoutes) {
    const reads = /\breadForm\(/.test(sourceOf(`routes/${id}.tsx`) + sourceOf(`routes/${id}.ts`));
    it(`${id} action`, async () => {
      const fields = formFields(id);
      // Fresh sessions: the logout actions swept before this one revoked the fixture's.
      const creds = await freshCredentials(id);
      for (const field of fields) {
        const post = (body: string, type = "application/x-www-form-urlencoded") =>
          new Request("http://localhost/x", { method: "POST", headers: { origin: "http://localhost", "content-type": type, ...creds }, body });
        // NUL straight in the field; a lone surrogate can only arrive inside Conform's JSON intent (form encoding turns
        // it into U+FFFD), so it is sent that way.
        const cases: Array<[string, Request]> = [
          ["NUL in a form field", post(new URLSearchParams({ intent: "x", [field]: NUL }).toString())],
          ["NUL in a form field", post(`--sweep\r\nContent-Disposition: form-data; name="${field}"\r\n\r\n${NUL}\r\n--sweep--\r\n`, "multipart/form-data; boundary=sweep")],
          ["unpaired surrogate in a form field", post(new URLSearchParams({ __intent__: JSON.stringify({ type: "update", payload: { name: field, value: SURROGATE } }) }).toString())],
        ];
        for (const [cls, request] of cases) {
          const res = await timed(cls, `${id} ${field}`, () => respond(mod.action!, request, id));
          expect(res.status, `${id}: ${cls} in ${field}`).toBeLessThan(500);
          if (reads && !unknownResource(id, res.status)) {
            expect(res.status, `${id}: ${cls} in ${field}`).toBe(400);
            expect(res.text, `${id}: ${cls} in ${field}`).toContain(field);
          }
        }
      }
      for (const [what, body] of [
        ["deep __state__", new URLSearchParams({ __state__: deepJson() }).toString()],
        ["deep __intent__", new URLSearchParams({ __intent__: deepJson() }).toString()],
        ["garbled __intent__", "__intent__=%7B"],
        ["list intent on a scalar", new URLSearchParams({ __intent__: JSON.stringify({ type: "remove", payload: { name: "intent", index: 0 } }), intent: "x" }).toString()],
      ] as const) {
        const request = new Request("http://localhost/x", { method: "POST", headers: { origin: "http://localhost", "content-type": "application/x-www-form-urlencoded", ...creds }, body });
        const res = await timed("JSON nested 10,000 levels / malformed form control", `${id} ${what}`, () => respond(mod.action!, request, id));
        expect(res.status, `${id}: ${what}`).toBeLessThan(500);
        if (reads && !unknownResource(id, res.status)) expect(res.status, `${id}: ${what}`).toBe(400);
      }
      const big = new Request("http://localhost/x", {
        method: "POST",
        headers: { origin: "http://localhost", "content-type": "application/x-www-form-urlencoded", ...creds },
        body: `intent=${"x".repeat(1024 * 1024 + 1)}`,
      });
      const res = await timed("body over the size limit", `${id} form`, () => respond(mod.action!, big, id));
      expect(res.status, `${id}: oversized form`).toBeLessThan(500);
      if (reads && !unknownResource(id, res.status)) expect(res.status, `${id}: oversized form`).toBe(413);
      expectConsoleErrors();
    });
  }
});

/** Routes keyed by an id the fixture has none of (`$offerId`, `$rewardId` …) answer 404 before reading the form. */
const unknownResource = (id: string, status: number) => status === 404 && /\$(?!merchant\b|memberId\b|token\b)\w+/.test(id);

async function freshCredentials(id: string): Promise<Record<string, string>> {
  if (id.startsWith("p.")) return { cookie: `${memberCookieName(A.slug)}=${(await createMemberSession(testDb(), A.merchantId, A.memberId)).token}` };
  return { cookie: `${STAFF_COOKIE}=${(await createStaffSession(testDb(), A.ownerId)).token}` };
}

async function respond(fn: Handler, request: Request, id: string): Promise<{ status: number; text: string }> {
  try {
    const r = await fn({ request, params: paramsFor(id), context: {} });
    if (r instanceof Response) return { status: r.status, text: await r.text() };
    if (r && typeof r === "object" && "init" in r) return { status: (r as { init?: { status?: number } | null }).init?.status ?? 200, text: JSON.stringify((r as { data?: unknown }).data) };
    return { status: 200, text: JSON.stringify(r) };
  } catch (thrown) {
    if (thrown instanceof Response) return { status: thrown.status, text: await thrown.text() };
    throw thrown;
  }
}

// ---- garbled cookies: no session, never a 500 ----------------------------------------------------------------------

describe("garbled cookies read as no session on every page", () => {
  const garbled = () => {
    const m = `prn_m_${A.slug.replace(/-/g, "_")}`;
    return [`prn_staff=%`, `${m}=%`, `prn_staff=%E0%A4%A`, `${m}=%00`, `prn_staff=stf_nope.abcdefgh`, `${m}=mses_x.${"a".repeat(32)}`, `prn_staff=${"x".repeat(4000)}`, `prn_ref_${A.slug.replace(/-/g, "_")}=%; prn_dev=%`, `prn_staff=a%00.b; ${m}=%ff`];
  };
  for (const { id, mod } of routes.filter((r) => !r.id.startsWith("api.") && !r.id.startsWith("webhooks."))) {
    for (const kind of ["loader", "action"] as const) {
      const fn = mod[kind];
      if (!fn) continue;
      it(`${id} ${kind}`, async () => {
        for (const cookie of garbled()) {
          const request = new Request("http://localhost/x", {
            method: kind === "loader" ? "GET" : "POST",
            headers: { origin: "http://localhost", cookie, ...(kind === "action" ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
            body: kind === "action" ? "intent=x" : undefined,
          });
          const res = await timed("garbled cookie", `${id} ${kind}`, () => respond(fn, request, id));
          expect(res.status, `${id} ${kind} with ${cookie.slice(0, 40)}`).toBeLessThan(500);
          if (id.startsWith("admin.") && kind === "loader") expect(res.status, `${id}: a garbled staff cookie is no session`).toBe(302);
        }
        expectConsoleErrors();
      });
    }
  }
});

// ---- the Stripe webhook --------------------------------------------------------------------------------------------

describe("Stripe webhook: malformed signatures and unstorable events are a 400 and store nothing", () => {
  async function deliver(merchantId: string, body: string, signature: string | null) {
    const headers = new Headers({ "Content-Type": "application/json" });
    if (signature !== null) headers.set("Stripe-Signature", signature);
    const res = await stripeWebhook({ request: new Request(`${ORIGIN}/webhooks/stripe/${merchantId}`, { method: "POST", headers, body }), params: { merchantId }, context: {} });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text } as { status: number; json: { error?: { code?: string; field?: string } }; text: string };
  }

  it("sweeps the Stripe-Signature header", async () => {
    const m = await connectedMerchant();
    const payload = JSON.stringify(stripeEvent("charge.succeeded", charge({ paymentIntent: "pi_sweep", amount: 1000 })));
    const good = signatureHeader(payload, m.secret);
    const t = good.split(",")[0]!;
    const v1 = good.split(",")[1]!;
    const before = await stripeFootprint(m.id);
    const headers = [null, "", "v1=", "t=", "t=,v1=", `${t},v1=`, `v1=,${t}`, `${t},v1=,${v1.slice(0, 5)}`, `${t},v1=zz`, "t=abc," + v1, t, v1, ",,,", "=", `${t},${v1}=`, `t=${"9".repeat(40)},${v1}`, `t=-1,${v1}`, "\u00ff\u00fe", `${t} , ${v1}`, `${t},v1=${"a".repeat(5000)}`];
    for (const h of headers) {
      const r = await timed("malformed Stripe-Signature", JSON.stringify(h), () => deliver(m.id, payload, h));
      expectApiShape(r, `Stripe-Signature ${JSON.stringify(h)}`);
      expect([r.status, r.json?.error?.code], `Stripe-Signature ${JSON.stringify(h)}`).toEqual([400, "invalid_signature"]);
    }
    // The same junk against a merchant id that is itself junk.
    for (const id of ["mer_%00", "%", "x".repeat(300)]) {
      const r = await timed("malformed Stripe-Signature", id, () => deliver(id, payload, "v1="));
      expectApiShape(r, `merchant ${id}`);
      expect(r.status).toBe(400);
    }
    expect(await stripeFootprint(m.id)).toEqual(before);
  });

  it("refuses signed events with unstorable text in any field, or nested 10,000 levels, storing nothing", async () => {
    const m = await connectedMerchant();
    const before = await stripeFootprint(m.id);
    const event = stripeEvent("charge.succeeded", charge({ paymentIntent: "pi_sweep2", amount: 1000, email: "sweep@example.com" })) as Json;
    const leaves: string[][] = [];
    const walk = (v: unknown, path: string[]) => {
      if (v && typeof v === "object") for (const [k, c] of Object.entries(v)) walk(c, [...path, k]);
      else leaves.push(path);
    };
    walk(event, []);
    for (const [cls, junk] of [["NUL in a webhook field", NUL], ["unpaired surrogate in a webhook field", SURROGATE]] as const) {
      for (const path of leaves) {
        const body = JSON.stringify(withValue(event, path, junk));
        const r = await timed(cls, path.join("."), () => deliver(m.id, body, signatureHeader(body, m.secret)));
        expectApiShape(r, `${cls} ${path.join(".")}`);
        expect([r.status, r.json?.error?.field], `${cls} ${path.join(".")}`).toEqual([400, path.join(".")]);
      }
    }
    for (const body of [deepJson(), `{"id":"evt_deep","object":"event","data":${'{"object":'.repeat(DEEP)}1${"}".repeat(DEEP)}}`]) {
      const r = await timed("JSON nested 10,000 levels", "webhook", () => deliver(m.id, body, signatureHeader(body, m.secret)));
      expectApiShape(r, "deep webhook");
      expect(r.status).toBe(400);
    }
    const big = `{"pad":"${"x".repeat(1024 * 1024)}"}`;
    const r = await timed("body over the size limit", "webhook", () => deliver(m.id, big, signatureHeader(big, m.secret)));
    expectApiShape(r, "oversized webhook");
    expect(r.status).toBe(413);
    expect(await stripeFootprint(m.id)).toEqual(before);
  });
});
