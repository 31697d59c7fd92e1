import type { NextFunction, Request, Response } from "express";
import { apiErrorBody } from "~/api/errors";
import { inspectRequestPath } from "./request-path.server";

/**
 * The first start serves at once: `npm start` listens as soon as the migrations are done and seeds the demo merchant in
 * the background. Until that seed commits, the gate answers every page with a small "Preparing the demo merchant…" page
 * and the API with a JSON 503, both with Retry-After; once it commits, everything passes through without a restart.
 * `/healthz` reports the state whatever it is (200 only when ready), for load balancers and the start smoke test.
 */

export type StartupState = "starting" | "ready" | "failed";

/** Seconds a client should wait before asking again (Retry-After, and the page's reload). */
export const RETRY_AFTER_SECONDS = 5;

export class StartupGate {
  #state: StartupState = "ready";

  get state(): StartupState {
    return this.#state;
  }

  /**
   * Closes the gate until `work` settles: open when it resolves, "failed" (closed for good, the pages say so) when it
   * rejects. Returns `work` itself, so the caller still handles its result and logs its error.
   */
  track<T>(work: Promise<T>): Promise<T> {
    this.#state = "starting";
    work.then(
      () => (this.#state = "ready"),
      () => (this.#state = "failed"),
    );
    return work;
  }
}

/** Express middleware: `/healthz`, and while the gate is closed the 503 answers. */
export function startupGate(gate: StartupGate) {
  return (req: Request, res: Response, next: NextFunction) => {
    const state = gate.state;
    if (req.path === "/healthz" && (req.method === "GET" || req.method === "HEAD")) {
      res.setHeader("Cache-Control", "no-store");
      res.status(state === "ready" ? 200 : 503).json({ status: state });
      return;
    }
    if (state === "ready") return next();

    // A 503 must never be cached in place of the page it stands for.
    res.setHeader("Cache-Control", "no-store");
    const starting = state === "starting";
    if (starting) res.setHeader("Retry-After", String(RETRY_AFTER_SECONDS));
    const target = inspectRequestPath(req.originalUrl);
    // The API and webhooks speak JSON (a Stripe webhook answered 503 is retried later).
    if (target.ok && /^\/(api|webhooks)(\/|$)/i.test(target.path)) {
      res
        .status(503)
        .json(
          starting
            ? apiErrorBody("starting", `Perennial is preparing the demo merchant; retry in ${RETRY_AFTER_SECONDS} seconds.`)
            : apiErrorBody("start_failed", "The demo merchant could not be prepared; the server's log has the error. Restart the server to try again."),
        );
      return;
    }
    res.status(503).type("html").send(starting ? preparingPage(req.originalUrl, res.locals.cspNonce as string | undefined) : failedPage());
  };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// No <style> element (the CSP allows none without a nonce): style attributes only, which the CSP's style-src-attr
// allows. The reload is a small script with the request's CSP nonce that asks /healthz and reloads once the demo is
// ready (or failed, to show why) — not a timed meta refresh, which reloads under a reader's feet (WCAG 2.2.1). Without
// JavaScript the "Reload now" link does the same.
function page(title: string, body: string, head = ""): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">${head}
<title>${title} · Perennial</title>
</head>
<body style="margin:0;background:#fafaf9;color:#1c1917;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;line-height:1.5">
<main style="max-width:36rem;margin:12vh auto 0;padding:0 1.25rem">
<h1 style="font-size:1.5rem;line-height:1.25;margin:0 0 1rem">${title}</h1>
${body}
</main>
</body>
</html>
`;
}

function preparingPage(url: string, nonce: string | undefined): string {
  const poll = nonce
    ? `\n<script nonce="${escapeHtml(nonce)}">
(function poll() {
  setTimeout(function () {
    fetch("/healthz", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (h) {
      if (h.status === "starting") poll(); else location.reload();
    }, poll);
  }, ${RETRY_AFTER_SECONDS * 1000});
})();
</script>`
    : "";
  return page(
    "Preparing the demo merchant…",
    `<p>Perennial is running and is seeding its demo merchant, Northwind Coffee: members, two years of orders and their points. This happens once, on the first start.</p>
<p role="status">This page shows what you asked for as soon as the demo is ready. <a href="${escapeHtml(url)}" style="color:#1d4ed8">Reload now</a></p>`,
    poll,
  );
}

function failedPage(): string {
  return page(
    "The demo merchant could not be prepared",
    `<p>Perennial is running, but seeding its demo merchant failed. The server's log has the error.</p>
<p>Restart the server to try again: the seed writes everything in one transaction, so nothing half-made was left behind. To start without the demo, set <code>SEED_DEMO=false</code>.</p>`,
  );
}
