/**
 * What path a request really addresses. Rules decided on the path (the Origin check's exemptions) must see what the
 * Remix router will see, and the two only agree when nothing rewrites the path in between. The express adapter
 * builds the Request with WHATWG `new URL()`, which resolves `..`/`.` in every spelling (`%2e%2e`, `.%2E`, …),
 * turns `\` into `/` and cuts at `#`; the router then percent-decodes each segment once. So we accept a path only
 * when `new URL()` leaves it unchanged and one decode of each segment is well formed, and we refuse the rest.
 */

export type PathVerdict =
  | { ok: true; /** Decoded once, as the router matches it. */ path: string }
  | { ok: false; code: "malformed_path" | "non_canonical_path"; message: string; /** The client speaks JSON (API, webhooks). */ json: boolean };

// Inside one decoded segment: an encoded separator is the next traversal spelling for whatever splits the value
// again, and a control character is never a name (PostgreSQL refuses NUL outright).
const ENCODED_SEPARATOR = /[/\\]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function inspectRequestPath(target: string): PathVerdict {
  const q = target.indexOf("?");
  const raw = q === -1 ? target : target.slice(0, q);
  const json = /^\/(api|webhooks)(\/|$)/i.test(raw);
  const refuse = (code: "malformed_path" | "non_canonical_path", message: string): PathVerdict => ({ ok: false, code, message, json });

  // Absolute-form targets (`POST http://host/x`) and `*` are legal HTTP but nothing here serves them.
  if (!raw.startsWith("/")) return refuse("non_canonical_path", "The request path must start with /");
  if (raw.includes("\\")) return refuse("non_canonical_path", "Backslashes are not allowed in the path");
  const segments = raw.split("/").slice(1);
  // One trailing slash is fine (`/admin/x/?index`); an empty segment anywhere else is `//`.
  if (segments.slice(0, -1).some((s) => s === "")) return refuse("non_canonical_path", "Empty path segments (//) are not allowed");
  let normalised: string;
  try {
    normalised = new URL(`http://h${raw}`).pathname;
  } catch {
    return refuse("malformed_path", "The request path cannot be parsed");
  }
  if (normalised !== raw) return refuse("non_canonical_path", "Dot segments (. or ..) and characters that change under URL normalisation are not allowed in the path");

  const decoded: string[] = [];
  for (const s of segments) {
    let d: string;
    try {
      d = decodeURIComponent(s);
    } catch {
      return refuse("malformed_path", "The path contains a malformed percent-escape");
    }
    if (ENCODED_SEPARATOR.test(d)) return refuse("non_canonical_path", "Encoded slashes and backslashes (%2F, %5C) are not allowed in the path");
    if (CONTROL.test(d)) return refuse("malformed_path", "The path contains an encoded control character");
    if (d === "." || d === "..") return refuse("non_canonical_path", "Dot segments are not allowed in the path");
    decoded.push(d);
  }
  return { ok: true, path: `/${decoded.join("/")}` };
}
