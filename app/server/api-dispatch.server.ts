import { createRemixHeaders, createRemixRequest, sendRemixResponse } from "@remix-run/express/dist/server.js";
import { json, type AppLoadContext, type ServerBuild } from "@remix-run/node";
import type { NextFunction, Request as ExpressRequest, Response as ExpressResponse } from "express";
import { MAX_BODY_BYTES } from "~/api/request.server";
import { attachReadAheadBody, bodyTextOf, takeReadAheadBody } from "~/lib/body.server";
import { compileRouteMatcher, type RouteMatch } from "./route-match.server";

/**
 * The `/api/v1` fast path: the REST API's route modules answered without Remix's per-request route matching
 * (issue 14: ≈ 1.5 ms of node CPU per API order, flattening, ranking and compiling ~120 routes twice per request).
 * The matcher is compiled once from the server build (route-match.server.ts, Remix's own algorithm) and the matched
 * route module's loader or action is called with `{ request, params, context }` exactly as Remix's resource-route
 * handling calls it, so every endpoint keeps one implementation. The response goes back through the express
 * adapter's own `sendRemixResponse`.
 *
 * Served here: a request whose path Remix would answer with a JSON resource route under `api/v1/` (not the HTML
 * docs, not the catch-all `api/v1/*`) and whose method that route has a handler for (GET/HEAD/OPTIONS → loader;
 * POST/PUT/PATCH/DELETE → action). Everything else — unknown paths, other methods, a route without the handler
 * (Remix's 400/405), `?_data`, `.data` — falls through to Remix unchanged. What Remix does after the handler for a
 * resource route is reproduced: a thrown Response gets `X-Remix-Catch: yes`, any other error is reported to
 * `handleError` and becomes the plain 500, a HEAD answer drops its body, a non-Response is sent as JSON.
 * `tests/e2e/api-dispatch.test.ts` sends the same table of requests through this path and through plain Remix and
 * compares the answers. Remix would also resolve a relative `Location` of a redirect against the route; no API route
 * redirects, so a redirect is sent as the handler made it.
 */

type Handler = (args: { request: Request; params: Record<string, string | undefined>; context: AppLoadContext }) => unknown;

const LOADER_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const ACTION_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
// A cheap filter before any parsing: every route served here starts with /api/v1/ (the router matches case-insensitively).
const API_PREFIX = /^\/api\/v1\//i;

export function createApiDispatcher(
  build: ServerBuild,
  getLoadContext: (req: ExpressRequest, res: ExpressResponse) => AppLoadContext,
): ((req: ExpressRequest, res: ExpressResponse, next: NextFunction) => void) | null {
  const matcher = compileRouteMatcher(build);
  if (!matcher) return null;
  const handleError = build.entry.module.handleError ?? defaultHandleError;

  return (req, res, next) => {
    const kind = LOADER_METHODS.has(req.method) ? "loader" : ACTION_METHODS.has(req.method) ? "action" : null;
    if (!kind || !API_PREFIX.test(req.originalUrl)) return next();
    // The URL Remix would see, decided before the Request exists: creating it starts reading the body, which Remix
    // would then find consumed if the request fell through.
    const url = new URL(remixUrl(req));
    if (url.pathname.endsWith(".data") || url.searchParams.has("_data")) return next();
    const match = matcher.match(url.pathname);
    const fn = match && servedHere(match) ? (match.route.module[kind] as Handler | undefined) : undefined;
    if (!match || !fn) return next();
    serve(req, res, url, match, kind, fn, getLoadContext, handleError).catch(next);
  };
}

function servedHere(match: RouteMatch): boolean {
  const { path, route } = match;
  return path.startsWith("/api/v1/") && !/^\/api\/v1\/docs(\/|$)/.test(path) && !path.includes("*") && route.module.default == null && route.module.ErrorBoundary == null;
}

async function serve(
  req: ExpressRequest,
  res: ExpressResponse,
  url: URL,
  match: RouteMatch,
  kind: "loader" | "action",
  fn: Handler,
  getLoadContext: (req: ExpressRequest, res: ExpressResponse) => AppLoadContext,
  handleError: (error: unknown, args: { request: Request; params: Record<string, string | undefined>; context: AppLoadContext }) => void,
): Promise<void> {
  const request = await apiRequest(req, res, url);
  const context = getLoadContext(req, res);
  const { params } = match;
  let response: Response;
  try {
    const result = await fn({ request: handlerRequest(request), params, context });
    if (result === undefined) {
      throw new Error(
        `You defined ${kind === "loader" ? "a loader" : "an action"} for route "${match.route.id}" but didn't return anything from your \`${kind}\` function. Please return a value or \`null\`.`,
      );
    }
    if (result instanceof Response) response = result;
    else {
      // Single fetch lets a resource route return plain data, which Remix sends as JSON with a deprecation warning.
      console.warn(`Resource route "${match.route.id}" returned plain data from its ${kind}; wrap it in json()`);
      response = json(result);
    }
  } catch (error) {
    if (error instanceof Response) {
      response = isRedirect(error) ? error : withHeader(error, "X-Remix-Catch", "yes");
    } else if (isRouteErrorResponse(error)) {
      handleError(error, { request, params, context });
      const inner = (error as { error?: unknown }).error;
      response = json(serializeError(inner || new Error("Unexpected Server Error")), { status: error.status, statusText: error.statusText, headers: { "X-Remix-Error": "yes" } });
    } else {
      handleError(error, { request, params, context });
      response = new Response("Unexpected Server Error", { status: 500, headers: { "Content-Type": "text/plain" } });
    }
  }
  if (req.method === "HEAD") response = new Response(null, { headers: response.headers, status: response.status, statusText: response.statusText });
  await sendResponse(res, response);
}

/**
 * The express adapter's sendRemixResponse, call for call, but a JSON answer whose text was kept (apiJson,
 * attachBodyText) is written as that text rather than read back from its body stream: the stream of a string body is
 * that text's bytes in one chunk, so the writes — `write`, the compression middleware's `flush`, `end` — are the same.
 */
async function sendResponse(res: ExpressResponse, response: Response): Promise<void> {
  const text = bodyTextOf(response);
  if (text === null || /text\/event-stream/i.test(response.headers.get("Content-Type") ?? "")) return sendRemixResponse(res, response);
  res.statusMessage = response.statusText;
  res.status(response.status);
  for (const [key, value] of response.headers.entries()) res.append(key, value);
  res.write(text);
  const flushable = res as ExpressResponse & { flush?: () => void };
  if (typeof flushable.flush === "function") flushable.flush();
  res.end();
}

/**
 * The Request the express adapter's createRemixRequest builds (URL, headers, method, the abort signal tied to the
 * response), but with a bounded body read from the socket first and handed over as bytes (body.server.ts) rather than
 * as a web stream over the Node stream: in the accrual profile the stream and the Request around it cost more than
 * the rest of the dispatch. Only a body whose Content-Length is within the API's bound and that is not chunked is read
 * ahead (every route's readBoundedBody refuses a longer one from the header alone); any other keeps the adapter's
 * streamed Request, so a chunked body is still counted while it is read.
 */
async function apiRequest(req: ExpressRequest, res: ExpressResponse, url: URL): Promise<Request> {
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const length = req.headers["content-length"];
  const readAhead = hasBody && req.headers["transfer-encoding"] === undefined && (length === undefined || (/^\d+$/.test(length) && Number(length) <= MAX_BODY_BYTES));
  if (hasBody && !readAhead) return createRemixRequest(req, res);
  const body = hasBody ? await readNodeBody(req) : null;
  let controller: AbortController | null = new AbortController();
  const request = new Request(url.href, { method: req.method, headers: createRemixHeaders(req.headers), signal: controller.signal });
  res.on("finish", () => (controller = null));
  res.on("close", () => controller?.abort());
  return body ? attachReadAheadBody(request, body) : request;
}

function readNodeBody(req: ExpressRequest): Promise<Buffer<ArrayBuffer>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.once("end", () => resolve(Buffer.concat(chunks) as Buffer<ArrayBuffer>));
    req.once("error", reject);
  });
}

/** The URL @remix-run/express builds the Request with (createRemixRequest): the Host's port, Express's hostname. */
function remixUrl(req: ExpressRequest): string {
  const [, forwardedPort] = req.get("X-Forwarded-Host")?.split(":") ?? [];
  const [, hostPort] = req.get("host")?.split(":") ?? [];
  const a = Number.parseInt(forwardedPort!, 10);
  const b = Number.parseInt(hostPort!, 10);
  const port = Number.isSafeInteger(a) ? a : Number.isSafeInteger(b) ? b : "";
  return `${req.protocol}://${req.hostname}${port ? `:${port}` : ""}${req.originalUrl}`;
}

/**
 * Remix hands a loader or action a copy of the request without its `index` params left empty and without `_routes`
 * (single fetch); the copy re-serialises the query. Without a query the copy is the same request, so none is made.
 */
function handlerRequest(request: Request): Request {
  if (!request.url.includes("?")) return request;
  const url = new URL(request.url);
  const keep = url.searchParams.getAll("index").filter(Boolean);
  url.searchParams.delete("index");
  for (const v of keep) url.searchParams.append("index", v);
  url.searchParams.delete("_routes");
  const init: RequestInit & { duplex?: "half" } = { method: request.method, body: request.body, headers: request.headers, signal: request.signal };
  if (init.body) init.duplex = "half";
  const copy = new Request(url.href, init);
  const ahead = takeReadAheadBody(request);
  return ahead ? attachReadAheadBody(copy, ahead) : copy;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const isRedirect = (r: Response) => REDIRECT_STATUSES.has(r.status);

function withHeader(response: Response, name: string, value: string): Response {
  const headers = new Headers(response.headers);
  headers.set(name, value);
  const init: ResponseInit & { duplex?: "half" } = { status: response.status, statusText: response.statusText, headers };
  if (response.body) init.duplex = "half";
  return new Response(response.body, init);
}

function isRouteErrorResponse(e: unknown): e is { status: number; statusText: string; internal: boolean; data: unknown } {
  const x = e as { status?: unknown; statusText?: unknown; internal?: unknown } | null;
  return x != null && typeof x.status === "number" && typeof x.statusText === "string" && typeof x.internal === "boolean" && "data" in (x as object);
}

// Production only (development keeps plain Remix): errors are sanitised as Remix sanitises them.
function serializeError(error: unknown): { message: unknown; stack: unknown } {
  const e = error instanceof Error ? Object.assign(new Error("Unexpected Server Error"), { stack: undefined }) : (error as { message?: unknown; stack?: unknown });
  return { message: e.message, stack: e.stack };
}

function defaultHandleError(error: unknown, { request }: { request: Request }): void {
  if (request.signal.aborted) return;
  const inner = isRouteErrorResponse(error) ? (error as { error?: unknown }).error : undefined;
  console.error(inner ?? error);
}
