import QRCode from "qrcode";

/** A QR code as data for an inline SVG: the module grid's size and one path of its dark modules. */
export interface QrSvg {
  /** Modules per side, including the 4-module quiet zone on each side. */
  size: number;
  path: string;
}

const QUIET = 4;
/** Codes kept, newest used last: a member's link never changes, and encoding it is most of the Refer page's own CPU. */
const CACHED = 500;
const cache = new Map<string, QrSvg>();

/**
 * Encodes `text` (the member's share link) server-side. The page renders the path as React SVG, so no library
 * markup is injected into the page and nothing QR-related ships to the browser. Runs of dark modules in a row are
 * one rectangle each, which keeps the path short.
 */
export function qrSvg(text: string): QrSvg {
  const hit = cache.get(text);
  if (hit) {
    // Re-inserted so the least recently used code is the first to go (Map keeps insertion order).
    cache.delete(text);
    cache.set(text, hit);
    return hit;
  }
  const made = encode(text);
  cache.set(text, made);
  if (cache.size > CACHED) cache.delete(cache.keys().next().value!);
  return made;
}

/** The number of codes cached (for tests: the cache is bounded). */
export function qrCacheSize(): number {
  return cache.size;
}

function encode(text: string): QrSvg {
  const qr = QRCode.create(text, { errorCorrectionLevel: "M" });
  const n = qr.modules.size;
  const dark = qr.modules.data;
  const parts: string[] = [];
  for (let row = 0; row < n; row++) {
    let col = 0;
    while (col < n) {
      if (!dark[row * n + col]) {
        col++;
        continue;
      }
      const start = col;
      while (col < n && dark[row * n + col]) col++;
      parts.push(`M${start + QUIET} ${row + QUIET}h${col - start}v1h${start - col}z`);
    }
  }
  return { size: n + 2 * QUIET, path: parts.join("") };
}
