import { random16 } from "~/lib/ids";

/**
 * The Content-Security-Policy of every page. Scripts run only from our origin or with this response's nonce
 * (Remix's inline hydration and single-fetch stream scripts get it through entry.server and root.tsx), so injected
 * markup cannot run script; nothing may frame us; forms and <base> cannot point elsewhere.
 */

export function newCspNonce(): string {
  // From lib's block of randomness (one random-source call per response cost as much as the rest of this middleware).
  const bytes = random16();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

export function contentSecurityPolicy(nonce: string, opts: { dev?: boolean } = {}): string {
  const directives: Record<string, string[]> = {
    "default-src": ["'self'"],
    "script-src": ["'self'", `'nonce-${nonce}'`],
    // Tailwind's build is one stylesheet from 'self'. React renders a few `style` attributes (progress widths, the
    // portal's brand colour), which style-src-attr allows; <style> elements stay limited to our files. style-src
    // keeps 'unsafe-inline' only for browsers that predate the -attr/-elem split and would otherwise lose those.
    // In development Vite and Remix inject <style> elements (HMR, critical CSS) without a nonce.
    "style-src": ["'self'", "'unsafe-inline'"],
    "style-src-elem": opts.dev ? ["'self'", "'unsafe-inline'"] : ["'self'"],
    "style-src-attr": ["'unsafe-inline'"],
    // Offer images are URLs the merchant enters (http or https); QR codes and icons may be data: URLs.
    "img-src": ["'self'", "data:", "https:", "http:"],
    "font-src": ["'self'"],
    // Vite's HMR socket listens on its own port in development.
    "connect-src": opts.dev ? ["'self'", "ws:", "wss:"] : ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, values]) => `${name} ${values.join(" ")}`)
    .join("; ");
}
