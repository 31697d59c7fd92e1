import { PassThrough } from "node:stream";
import { createReadableStreamFromReadable, type AppLoadContext, type EntryContext } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { NonceProvider } from "~/components/nonce";

/**
 * Remix's default Node entry, plus the CSP nonce: the HTTP layer puts a fresh one per request in the load context
 * and in the Content-Security-Policy header, and every inline script Remix renders must carry it.
 */

declare module "@remix-run/node" {
  interface AppLoadContext {
    cspNonce?: string;
  }
}

const ABORT_DELAY = 5_000;

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = loadContext.cspNonce ?? "";
  // Crawlers and SPA mode get the whole document at once; browsers get the shell first and stream the rest.
  const waitForAll = isbot(request.headers.get("user-agent") ?? "") || remixContext.isSpaMode;
  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const ready = () => {
      shellRendered = true;
      const body = new PassThrough();
      responseHeaders.set("Content-Type", "text/html");
      resolve(new Response(createReadableStreamFromReadable(body), { headers: responseHeaders, status: responseStatusCode }));
      pipe(body);
    };
    // Cleared once everything has rendered: a pending timer would keep this request's whole render (loader data,
    // the React tree, the stream) reachable for ABORT_DELAY after the response is done, which under load is seconds
    // of requests held in memory at once.
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce || undefined} />
      </NonceProvider>,
      {
        nonce: nonce || undefined,
        onShellReady() {
          if (!waitForAll) ready();
        },
        onAllReady() {
          if (waitForAll) ready();
          settled = true;
          clearTimeout(timer);
        },
        onShellError(error: unknown) {
          settled = true;
          clearTimeout(timer);
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          // Errors before the shell is ready reject and are logged by Remix; later ones only show up here.
          if (shellRendered) console.error(error);
        },
      },
    );
    if (!settled) timer = setTimeout(abort, ABORT_DELAY);
  });
}
