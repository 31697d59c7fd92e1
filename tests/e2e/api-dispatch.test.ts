import http from "node:http";
import type { Server } from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../app/domain/api-keys/api-keys.server";
import { API_SCOPE_NAMES } from "../../app/domain/api-keys/scopes";
import express from "express";
import { createApiDispatcher } from "../../app/server/api-dispatch.server";
import { startAppServer } from "../support/app-server";
import { testDb } from "../support/db";
import { freePort } from "../support/free-port";
import { ledgerFixture, type LedgerFixture } from "../support/ledger";

/**
 * The `/api/v1` fast path (app/server/api-dispatch.server.ts) answers exactly as plain Remix does: the same table of
 * requests — every API route with every method, good and bad ids, unknown paths, HEAD, OPTIONS, trailing slashes,
 * percent-encoded segments, case differences, `?_data`/`?index`, `.data`, bad bodies and keys — goes to a server with
 * the fast path and to one without it, and status, body and headers must match (ids a write generates, the date and
 * the CSP nonce aside). Writes get their own order ids and keys per server, so both create rather than replay.
 */

interface Served {
  baseUrl: string;
  close: () => Promise<void>;
}

function serve(apiFastPath: boolean): Promise<Served> {
  return startAppServer({ apiFastPath });
}

interface Call {
  method: string;
  /** Sent as is (node:http does not normalise it). In every part `{tag}` is the server's tag, `{uuid}` a new UUID. */
  target: string;
  headers?: Record<string, string>;
  body?: string;
  /** Sent without Content-Length (Transfer-Encoding: chunked), in two writes. */
  chunked?: boolean;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

// Hop-by-hop and per-response values; the CSP nonce is per request by design.
const VOLATILE_HEADERS = new Set(["date", "connection", "keep-alive"]);

function send(baseUrl: string, call: Call, tag: string): Promise<Answer> {
  const { hostname, port } = new URL(baseUrl);
  const fill = (v: string) => v.replaceAll("{tag}", tag).replaceAll("{uuid}", () => crypto.randomUUID());
  const body = call.body === undefined ? undefined : fill(call.body);
  const headers = Object.fromEntries(Object.entries(call.headers ?? {}).map(([k, v]) => [k, fill(v)]));
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname, port, method: call.method, path: fill(call.target), headers: { ...(body !== undefined && !call.chunked ? { "content-length": Buffer.byteLength(body) } : {}), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (!VOLATILE_HEADERS.has(k)) headers[k] = Array.isArray(v) ? v.join(", ") : String(v);
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString("utf8") });
        });
      },
    );
    req.on("error", reject);
    if (call.chunked && body !== undefined) {
      req.write(body.slice(0, 10));
      req.end(body.slice(10));
    } else req.end(body);
  });
}

/** What may differ between the two servers: generated ids and times, the tag, the nonce (and so the lengths). */
function normalise(a: Answer, tag: string): Answer {
  const scrub = (s: string) =>
    s
      .replaceAll(tag, "{tag}")
      .replace(/\b(ord|jnl|lot|rfn|mbr|rdm|ref|rrv|aud)_[a-z2-7]{26}\b/g, "$1_…")
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "T…")
      .replace(/'nonce-[^']+'/g, "'nonce-…'")
      .replace(/nonce="[^"]+"/g, 'nonce="…"');
  const headers = Object.fromEntries(Object.entries(a.headers).map(([k, v]) => [k, k === "content-length" ? "…" : scrub(v)]));
  return { status: a.status, headers, body: scrub(a.body) };
}

let fast: Served;
let plain: Served;
let shop: LedgerFixture;
let token: string;
let member: string;
let build: ServerBuild;

beforeAll(async () => {
  build = (await import(pathToFileURL(path.resolve("build/server/index.js")).href)) as ServerBuild;
  [fast, plain] = await Promise.all([serve(true), serve(false)]);
  shop = await ledgerFixture({ pendingDays: 0 });
  member = await shop.newMember({ name: "Ada" });
  ({ token } = await createApiKey(testDb(), shop.merchantId, { name: "dispatch", scopes: [...API_SCOPE_NAMES], createdBy: null }));
});
afterAll(async () => {
  await Promise.all([fast?.close(), plain?.close()]);
});

function table(): Call[] {
  const auth = { authorization: `Bearer ${token}` };
  const json = { ...auth, "content-type": "application/json" };
  const calls: Call[] = [];
  const apiPaths = Object.values(build.routes)
    .map((r) => fullPath(r.id))
    .filter((p) => p.startsWith("/api/v1"));
  const ids = [member, "mbr_unknown", "x%27y%20z", "%E2%9C%93", "MBR_UPPER", "%00"];
  const paths = new Set<string>();
  for (const p of apiPaths) {
    for (const id of ids) paths.add(p.replace(/:[\w-]+/g, id).replace(/\*$/, `nothing/${id}`));
    paths.add(p.replace(/:[\w-]+/g, member).replace(/\*$/, "x") + "/");
    paths.add(p.replace(/:[\w-]+/g, member).replace(/\*$/, "x").toUpperCase());
    paths.add(p.replace(/:[\w-]+/g, member).replace(/\*$/, "x") + "/extra");
  }
  for (const p of [`/api/v1/members/${"a".repeat(300)}`, "/api/v1/members/%25zz", "/api/v1/%6Frders", "/api/v1/Orders", "/API/v1/orders/", "/api/v1/orders.data", "/api/v1/orders?_data=routes/api.v1.orders", "/api/v1/orders?index", "/api/v1/orders?index=&a=1", "/api/v1/orders?_routes=x", "/api/v1", "/api/v1/", "/api/v2/orders", "/api/v1/docs", "/api/v1/docs/orders", "/api/v1/openapi.json", `/api/v1/members/${member}/points?x=%ZZ`, `/api/v1/members/${member}/points?%00=1`, "/api/v1/members?limit=abc&limit=2"]) paths.add(p);
  for (const target of paths) {
    for (const method of ["GET", "HEAD", "OPTIONS", "DELETE", "PUT", "PATCH"]) calls.push({ method, target, headers: auth });
    calls.push({ method: "POST", target, headers: { ...json, "idempotency-key": "{uuid}" }, body: "{not json" });
    calls.push({ method: "POST", target, headers: json, body: "{}" });
    calls.push({ method: "GET", target });
    calls.push({ method: "GET", target, headers: { authorization: "Bearer pk_wrong" } });
  }
  // Writes that succeed (or fail on their own terms), each server with its own order ids and keys.
  const order = (over: Record<string, unknown> = {}) => JSON.stringify({ order_id: "o-{tag}", member: { id: member }, amount_minor: 4250, currency: "USD", occurred_at: "2026-01-02T03:04:05.000Z", ...over });
  calls.push({ method: "POST", target: "/api/v1/orders", headers: { ...json, "idempotency-key": "00000000-0000-4000-8000-{tag}" }, body: order() });
  calls.push({ method: "POST", target: "/api/v1/orders", headers: { ...json, "idempotency-key": "00000000-0000-4000-8000-{tag}" }, body: order() });
  calls.push({ method: "POST", target: "/api/v1/orders", headers: { ...json, "idempotency-key": "00000000-0000-4000-8000-{tag}" }, body: order({ amount_minor: 1 }) });
  calls.push({ method: "POST", target: "/api/v1/orders", headers: { ...json, "idempotency-key": "{uuid}" }, body: order({ order_id: "o2-{tag}", currency: "EUR" }) });
  calls.push({ method: "POST", target: "/api/v1/orders", headers: { ...json, "idempotency-key": "{uuid}" }, body: order({ order_id: "o3-{tag}", member: { id: "mbr_nobody" } }) });
  calls.push({ method: "POST", target: "/api/v1/orders", headers: json, body: order({ order_id: "o4-{tag}" }) });
  calls.push({ method: "POST", target: "/api/v1/orders", headers: { ...json, "idempotency-key": "" }, body: order({ order_id: "o5-{tag}" }) });
  calls.push({ method: "POST", target: "/api/v1/orders", headers: { ...json, "idempotency-key": "{uuid}" }, body: "x".repeat(70_000) });
  calls.push({ method: "HEAD", target: `/api/v1/members/${member}/points`, headers: auth });
  // Compressed (the document is well over the middleware's 1 KiB threshold): the gzip bytes show every write and flush.
  calls.push({ method: "GET", target: "/api/v1/openapi.json", headers: { "accept-encoding": "gzip" } });
  calls.push({ method: "POST", target: "/api/v1/members", headers: { ...json, "idempotency-key": "{uuid}" }, body: JSON.stringify({ email: "new-{tag}@example.com", name: "New" }) });
  calls.push({ method: "PATCH", target: `/api/v1/members/${member}`, headers: json, body: JSON.stringify({ name: "Ada {tag}" }) });
  calls.push({ method: "POST", target: "/api/v1/orders", headers: { ...json, origin: "https://evil.example", "idempotency-key": "{uuid}" }, body: order({ order_id: "o6-{tag}" }) });
  calls.push({ method: "PROPFIND", target: "/api/v1/orders", headers: auth });
  // Bodies at and around the dispatcher's read-ahead (Content-Length within the API's 64 KiB bound, not chunked) and
  // the streamed Request it leaves to the adapter otherwise; a query makes the handler get a copy of the request.
  const padded = (n: number) => {
    const base = order({ order_id: `o7-${n}-{tag}` });
    // Exactly n bytes once {tag} (5 characters) becomes the 12-character tag.
    return base.slice(0, -1) + `,"pad":"${"p".repeat(n - base.length - 16)}"}`;
  };
  calls.push({ method: "POST", target: "/api/v1/orders", headers: { ...json, "idempotency-key": "{uuid}" }, body: order({ order_id: "o8-{tag}" }), chunked: true });
  calls.push({ method: "POST", target: "/api/v1/orders", headers: { ...json, "idempotency-key": "{uuid}" }, body: padded(65_536) });
  calls.push({ method: "POST", target: "/api/v1/orders", headers: { ...json, "idempotency-key": "{uuid}" }, body: padded(65_537) });
  calls.push({ method: "POST", target: "/api/v1/orders", headers: { ...json, "idempotency-key": "{uuid}" }, body: "" });
  calls.push({ method: "POST", target: "/api/v1/orders", headers: { ...json, "idempotency-key": "{uuid}", "content-length": "0" } });
  calls.push({ method: "POST", target: "/api/v1/orders?x=1", headers: { ...json, "idempotency-key": "{uuid}" }, body: order({ order_id: "o9-{tag}" }) });
  calls.push({ method: "PATCH", target: `/api/v1/members/${member}?index=&x=1`, headers: json, body: JSON.stringify({ name: "Bo {tag}" }) });
  calls.push({ method: "POST", target: "/api/v1/orders", headers: { ...json, "idempotency-key": "{uuid}" }, body: '{"order_id":"o10-{tag}","member":{"id":"' + member + '"},"amount_minor":100,"currency":"USD","occurred_at":"2026-01-02T03:04:05Z","note":"\u00e9\ud83d"}' });
  return calls;
}

function fullPath(id: string): string {
  const r = build.routes[id]!;
  const parent = r.parentId && r.parentId !== "root" ? fullPath(r.parentId) : "";
  return `${parent}/${r.path ?? ""}`.replace(/\/+$/, "") || "/";
}

// Hex, so that a tagged Idempotency-Key is still a UUID.
const [PLAIN, FAST] = ["aaaaaaaaaaaa", "bbbbbbbbbbbb"];

describe("the /api/v1 fast path", () => {
  it("answers every request of the table as plain Remix does", { timeout: 240_000 }, async () => {
    const calls = table();
    expect(calls.length).toBeGreaterThan(1500);
    const differences: string[] = [];
    for (const call of calls) {
      const a = normalise(await send(plain.baseUrl, call, PLAIN), PLAIN);
      const b = normalise(await send(fast.baseUrl, call, FAST), FAST);
      try {
        expect(b).toEqual(a);
      } catch {
        const [ja, jb] = [JSON.stringify(a), JSON.stringify(b)];
        let i = 0;
        while (i < ja.length && ja[i] === jb[i]) i++;
        differences.push(`${call.method} ${call.target}\n  plain: …${ja.slice(Math.max(0, i - 100), i + 200)}\n  fast:  …${jb.slice(Math.max(0, i - 100), i + 200)}`);
      }
    }
    expect(differences.slice(0, 10).join("\n")).toBe("");
  });

  it("serves the API's JSON routes itself and leaves everything else to Remix", async () => {
    // The dispatcher alone, with a 599 where Remix would take over.
    const app = express();
    app.use(createApiDispatcher(build, () => ({ cspNonce: "n" }))!);
    app.use((_req, res) => res.status(599).end());
    const port = await freePort();
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(port, "127.0.0.1", () => resolve(s));
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      const auth = { authorization: `Bearer ${token}` };
      const status = async (method: string, target: string) => (await send(base, { method, target, headers: auth }, "t")).status;
      expect(await status("GET", `/api/v1/members/${member}/points`)).toBe(200);
      expect(await status("HEAD", `/api/v1/members/${member}/points`)).toBe(200);
      expect(await status("GET", `/API/V1/MEMBERS/${member}/POINTS/`)).toBe(200);
      // Answered by the routes (a 405 from orders' loader, a 4xx from its action), not left to Remix.
      expect(await status("GET", "/api/v1/orders")).toBe(405);
      expect(await status("POST", "/api/v1/orders")).not.toBe(599);
      expect(await status("GET", "/api/v1/openapi.json")).toBe(200);
      for (const [method, target] of [
        ["GET", "/api/v1/nothing/here"],
        ["GET", "/api/v1/docs"],
        ["GET", "/api/v1/docs/orders"],
        ["GET", "/api/v1/orders?_data=routes/api.v1.orders"],
        ["GET", "/api/v1/orders.data"],
        ["PROPFIND", "/api/v1/orders"],
        ["GET", "/api/v1"],
        ["GET", "/webhooks/stripe/x"],
        ["GET", "/login"],
      ]) expect(await status(method!, target!), `${method} ${target}`).toBe(599);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
