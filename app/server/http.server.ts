import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express, { type NextFunction, type Request, type Response } from "express";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ViteDevServer } from "vite";
import { apiErrorBody } from "~/api/errors";
import { createApiDispatcher } from "./api-dispatch.server";
import { closeRequestScope, openRequestScope, REQUEST_SCOPE_HEADER } from "~/web/request-scope.server";
import { contentSecurityPolicy, newCspNonce } from "./csp.server";
import { inspectRequestPath } from "./request-path.server";
import { StartupGate, startupGate } from "./startup.server";

/**
 * The HTTP layer in front of Remix: a refusal of paths that normalise differently, static files, security headers
 * (a per-request CSP nonce handed to Remix), the Origin check every state-changing browser request must pass (S3),
 * and the client IP handed to Remix in a header it can trust. In production the REST API's JSON routes are called
 * by a precompiled dispatcher in front of Remix's handler (api-dispatch.server.ts), after all of the above.
 */

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
// Bearer-token and signature-authenticated endpoints carry no ambient credentials, so CSRF does not apply.
// Matched on the path as the router sees it, and case-insensitively because the router matches that way.
const ORIGIN_EXEMPT = [/^\/api\//i, /^\/webhooks\//i];

/**
 * `path` is the request target exactly as received (a query is ignored). The exemption is decided on the path the
 * router will match, never on the raw spelling: `/webhooks/%2e%2e/admin/…` is an admin path, not a webhook.
 */
export function originAllowed(req: { method: string; path: string; headers: Record<string, string | string[] | undefined> }, allowedOrigins: string[]): boolean {
  if (SAFE_METHODS.has(req.method)) return true;
  const target = inspectRequestPath(req.path);
  if (target.ok && ORIGIN_EXEMPT.some((re) => re.test(target.path))) return true;
  const origin = req.headers.origin;
  if (typeof origin !== "string" || !origin) return false;
  const host = req.headers.host;
  const own = typeof host === "string" ? [`http://${host}`, `https://${host}`] : [];
  return [...own, ...allowedOrigins].includes(origin);
}

/**
 * `startup`: closed while the demo merchant is being prepared (startup.server.ts); always open when not given.
 * `apiFastPath: false` answers `/api/v1` through plain Remix too (the dispatcher's equivalence test compares the two).
 */
export async function createHttpApp(opts: {
  mode: "production" | "development";
  buildDir?: string;
  appUrl?: string;
  trustProxy?: boolean;
  startup?: StartupGate;
  apiFastPath?: boolean;
}) {
  const app = express();
  app.disable("x-powered-by");
  if (opts.trustProxy) app.set("trust proxy", true);
  app.use(compression());

  // First of all, so no static file, Vite or Express route decision is taken on a path the router would read
  // differently (and a malformed escape gets a clear 400 rather than Express's HTML URIError page).
  app.use((req: Request, res: Response, next: NextFunction) => {
    const target = inspectRequestPath(req.originalUrl);
    if (target.ok) return next();
    res.setHeader("Cache-Control", "no-store");
    if (target.json) res.status(400).json(apiErrorBody(target.code, target.message));
    else res.status(400).type("text/plain").send(`Bad request: ${target.message}.`);
  });

  let vite: ViteDevServer | undefined;
  let build: ServerBuild | (() => Promise<ServerBuild>);
  const buildDir = opts.buildDir ?? path.resolve("build");

  if (opts.mode === "development") {
    const { createServer } = await import("vite");
    vite = await createServer({ server: { middlewareMode: true }, appType: "custom" });
    app.use(vite.middlewares);
    build = () => vite!.ssrLoadModule("virtual:remix/server-build") as Promise<ServerBuild>;
  } else {
    app.use("/assets", express.static(path.join(buildDir, "client/assets"), { immutable: true, maxAge: "1y" }));
    // Every file of public/ has an extension (favicon.svg, …): a path without a dot in its last segment (every page)
    // skips the static handler, whose fs.stat per request showed in the page benchmark's profile (≈ 2% of CPU).
    const files = express.static(path.join(buildDir, "client"), { maxAge: "1h" });
    app.use((req: Request, res: Response, next: NextFunction) => (/\.[^/]*$/.test(req.path) ? files(req, res, next) : next()));
    build = (await import(pathToFileURL(path.join(buildDir, "server/index.js")).href)) as ServerBuild;
  }

  const allowed = opts.appUrl ? [new URL(opts.appUrl).origin] : [];
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "strict-origin-when-cross-origin");
    // For browsers without CSP frame-ancestors; both say "never framed".
    res.setHeader("X-Frame-Options", "DENY");
    res.locals.cspNonce = newCspNonce();
    res.setHeader("Content-Security-Policy", contentSecurityPolicy(res.locals.cspNonce as string, { dev: opts.mode === "development" }));
    // Never trust a client-supplied copy of the header we use to pass the IP on.
    delete req.headers["x-perennial-client-ip"];
    req.headers["x-perennial-client-ip"] = req.ip ?? req.socket.remoteAddress ?? "";
    // The guards' per-request memo (web/request-scope.server.ts): reads only, never a client-chosen id.
    delete req.headers[REQUEST_SCOPE_HEADER];
    if (req.method === "GET" || req.method === "HEAD") {
      const scope = randomUUID();
      req.headers[REQUEST_SCOPE_HEADER] = scope;
      openRequestScope(scope);
      res.once("close", () => closeRequestScope(scope));
    }
    // @remix-run/express drops empty header values, so an empty Idempotency-Key would reach the API as no key at all
    // (and an optional-key write would go through unkeyed). " " survives the adapter and arrives as "": refused as invalid.
    if (req.headers["idempotency-key"] === "") req.headers["idempotency-key"] = " ";
    if (!originAllowed({ method: req.method, path: req.originalUrl, headers: req.headers }, allowed)) {
      res.status(403).type("text/plain").send("Forbidden: cross-origin or missing Origin header on a state-changing request.");
      return;
    }
    next();
  });

  // After the headers (the 503 page gets the CSP too) and the Origin check; static files above still load.
  app.use(startupGate(opts.startup ?? new StartupGate()));

  // Remix answers `<path>.data` with its own single-fetch encoding; the REST API speaks JSON only.
  app.all(/^\/api\/.*\.data$/, (_req, res) => {
    res.status(404).json({ error: { code: "not_found", message: "No such endpoint" } });
  });

  const getLoadContext = (_req: Request, res: Response) => ({ cspNonce: res.locals.cspNonce as string });
  // Production only: in development the build is reloaded per request by Vite.
  const api = typeof build === "function" || opts.apiFastPath === false ? null : createApiDispatcher(build, getLoadContext);
  if (api) app.use(api);
  app.all("*", createRequestHandler({ build, mode: opts.mode, getLoadContext }));
  return { app, vite };
}
