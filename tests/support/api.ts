import http from "node:http";
import path from "node:path";
import { flatRoutes } from "@remix-run/dev/dist/config/flat-routes.js";
import { matchRoutes } from "@remix-run/react";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { sql } from "kysely";
import remixConfig from "../../remix.config.js";
import { withTenant } from "../../app/db.server";
import { createApiKey } from "../../app/domain/api-keys/api-keys.server";
import type { ApiScope } from "../../app/domain/api-keys/scopes";
import { newId } from "../../app/lib/ids";
import { ORIGIN } from "./admin";
import { testDb } from "./db";
import { freePort } from "./free-port";

/**
 * Helpers for the /api/v1 integration tests. Requests are routed the way Remix routes them — through the
 * flat-routes manifest built from app/routes and React Router's matcher — and then the matched module's
 * loader (GET/HEAD) or action is called with a real Request, so route naming mistakes fail tests too.
 */

export async function createMerchant(label = "api") {
  const id = newId("merchant");
  const slug = `${label}-${id.slice(4, 16)}`;
  await testDb().insertInto("merchants").values({ id, slug, name: `API Test ${slug}`, currency: "USD", timezone: "UTC" }).execute();
  return { id, slug };
}

export async function createKey(merchantId: string, scopes: ApiScope[] = ["members:read", "members:write"], name = "Test key") {
  return createApiKey(testDb(), merchantId, { name, scopes, createdBy: null });
}

/** A merchant with a key that has every scope. */
export async function apiFixture(label = "api") {
  const merchant = await createMerchant(label);
  const { token, apiKey } = await createKey(merchant.id);
  return { merchant, token, keyId: apiKey.id };
}

// ---- routing -----------------------------------------------------------------------------------------------

interface RouteObj {
  id: string;
  path?: string;
  index?: boolean;
  file: string;
  children: RouteObj[];
}

let routeTree: RouteObj[] | undefined;

function routes(): RouteObj[] {
  if (routeTree) return routeTree;
  const manifest = flatRoutes(path.resolve("app"), remixConfig.ignoredRouteFiles);
  const byId = new Map<string, RouteObj>();
  const root: RouteObj = { id: "root", file: "root.tsx", children: [] };
  byId.set("root", root);
  for (const r of Object.values(manifest)) byId.set(r.id, { id: r.id, path: r.path, index: r.index, file: r.file, children: [] });
  for (const r of Object.values(manifest)) byId.get(r.parentId ?? "root")!.children.push(byId.get(r.id)!);
  routeTree = [root];
  return routeTree;
}

/** The route file Remix would answer `pathname` with (the deepest match), and its params. */
export function resolveRoute(pathname: string): { file: string; params: Record<string, string | undefined> } | null {
  const matches = matchRoutes(routes() as never, pathname) as Array<{ route: RouteObj; params: Record<string, string | undefined> }> | null;
  const leaf = matches?.[matches.length - 1];
  return leaf ? { file: leaf.route.file, params: leaf.params } : null;
}

type DataFn = (args: LoaderFunctionArgs | ActionFunctionArgs) => Promise<unknown> | unknown;

export interface ApiResult {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body (undefined when the body is not JSON, which is itself a test failure for /api/v1). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted on, not typed
  json: any;
  route: string;
}

export async function dispatch(request: Request): Promise<ApiResult> {
  const url = new URL(request.url);
  const match = resolveRoute(url.pathname);
  if (!match) throw new Error(`no route matches ${url.pathname}`);
  const mod = (await import(/* @vite-ignore */ path.resolve("app", match.file))) as { loader?: DataFn; action?: DataFn };
  const fn = request.method === "GET" || request.method === "HEAD" ? mod.loader : mod.action;
  if (!fn) throw new Error(`${match.file} has no ${request.method === "GET" ? "loader" : "action"}`);
  const res = await fn({ request, params: match.params, context: {} } as never);
  if (!(res instanceof Response)) throw new Error(`${match.file} returned a non-Response for ${request.method} ${url.pathname}`);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json, route: match.file };
}

export interface ApiCall {
  token?: string | null;
  /** A JSON value, serialised; use `rawBody` to send exactly these bytes. */
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  idempotencyKey?: string;
}

export function apiRequest(method: string, pathAndQuery: string, call: ApiCall = {}): Request {
  const headers = new Headers(call.headers);
  if (call.token) headers.set("Authorization", `Bearer ${call.token}`);
  if (call.idempotencyKey !== undefined) headers.set("Idempotency-Key", call.idempotencyKey);
  let body: string | undefined;
  if (call.rawBody !== undefined) body = call.rawBody;
  else if (call.body !== undefined) body = JSON.stringify(call.body);
  if (body !== undefined && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  return new Request(`${ORIGIN}${pathAndQuery}`, { method, headers, body });
}

export function api(method: string, pathAndQuery: string, call: ApiCall = {}): Promise<ApiResult> {
  return dispatch(apiRequest(method, pathAndQuery, call));
}

// ---- database counts (what "nothing written" means) ----------------------------------------------------------

type CountedTable =
  | "members"
  | "idempotency_keys"
  | "audit_log"
  | "api_keys"
  | "orders"
  | "order_refunds"
  | "ledger_journals"
  | "ledger_entries"
  | "point_lots"
  | "lot_allocations"
  | "member_balances";

export async function countRows(merchantId: string, table: CountedTable): Promise<number> {
  return withTenant(testDb(), merchantId, async (trx) => {
    const r = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(trx);
    return r.rows[0]!.n;
  });
}

export async function snapshotCounts(merchantId: string) {
  return {
    members: await countRows(merchantId, "members"),
    idempotency_keys: await countRows(merchantId, "idempotency_keys"),
    audit_log: await countRows(merchantId, "audit_log"),
    orders: await countRows(merchantId, "orders"),
    order_refunds: await countRows(merchantId, "order_refunds"),
    ledger_journals: await countRows(merchantId, "ledger_journals"),
    ledger_entries: await countRows(merchantId, "ledger_entries"),
    point_lots: await countRows(merchantId, "point_lots"),
    lot_allocations: await countRows(merchantId, "lot_allocations"),
    member_balances: await countRows(merchantId, "member_balances"),
  };
}

// ---- over real sockets -----------------------------------------------------------------------------------------

/**
 * An HTTP server on a free loopback port that answers every request through `dispatch` (the route Remix would
 * match, its real loader/action), for tests about many concurrent clients: real connections, real parallelism
 * against the pool and the database. The Express layer in front of Remix (headers, Origin check) is covered by
 * tests/e2e/http-security.test.ts against the production build.
 */
export async function startRouteServer(): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    void (async () => {
      try {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) {
          for (const value of Array.isArray(v) ? v : v === undefined ? [] : [v]) headers.append(k, value);
        }
        const hasBody = req.method !== "GET" && req.method !== "HEAD";
        const request = new Request(`${ORIGIN}${req.url}`, { method: req.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined });
        const r = await dispatch(request);
        res.writeHead(r.status, Object.fromEntries(r.headers));
        res.end(r.text);
      } catch (err) {
        res.writeHead(599, { "content-type": "text/plain" });
        res.end(`test server: ${String(err)}`);
      }
    })();
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
