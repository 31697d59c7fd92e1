import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express, { type NextFunction, type Request, type Response } from "express";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ViteDevServer } from "vite";

/**
 * The HTTP layer in front of Remix: static files, a few security headers, the Origin check every
 * state-changing browser request must pass (S3), and the client IP handed to Remix in a header it can trust.
 */

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
// Bearer-token and signature-authenticated endpoints carry no ambient credentials, so CSRF does not apply.
const ORIGIN_EXEMPT = [/^\/api\//, /^\/webhooks\//];

export function originAllowed(req: { method: string; path: string; headers: Record<string, string | string[] | undefined> }, allowedOrigins: string[]): boolean {
  if (SAFE_METHODS.has(req.method)) return true;
  if (ORIGIN_EXEMPT.some((re) => re.test(req.path))) return true;
  const origin = req.headers.origin;
  if (typeof origin !== "string" || !origin) return false;
  const host = req.headers.host;
  const own = typeof host === "string" ? [`http://${host}`, `https://${host}`] : [];
  return [...own, ...allowedOrigins].includes(origin);
}

export async function createHttpApp(opts: { mode: "production" | "development"; buildDir?: string; appUrl?: string; trustProxy?: boolean }) {
  const app = express();
  app.disable("x-powered-by");
  if (opts.trustProxy) app.set("trust proxy", true);
  app.use(compression());

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
    app.use(express.static(path.join(buildDir, "client"), { maxAge: "1h" }));
    build = (await import(pathToFileURL(path.join(buildDir, "server/index.js")).href)) as ServerBuild;
  }

  const allowed = opts.appUrl ? [new URL(opts.appUrl).origin] : [];
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "strict-origin-when-cross-origin");
    res.setHeader("X-Frame-Options", "SAMEORIGIN");
    // Never trust a client-supplied copy of the header we use to pass the IP on.
    delete req.headers["x-perennial-client-ip"];
    req.headers["x-perennial-client-ip"] = req.ip ?? req.socket.remoteAddress ?? "";
    if (!originAllowed(req, allowed)) {
      res.status(403).type("text/plain").send("Forbidden: cross-origin or missing Origin header on a state-changing request.");
      return;
    }
    next();
  });

  // Remix answers `<path>.data` with its own single-fetch encoding; the REST API speaks JSON only.
  app.all(/^\/api\/.*\.data$/, (_req, res) => {
    res.status(404).json({ error: { code: "not_found", message: "No such endpoint" } });
  });

  app.all("*", createRequestHandler({ build, mode: opts.mode }));
  return { app, vite };
}
