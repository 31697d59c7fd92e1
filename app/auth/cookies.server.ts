import { env } from "~/lib/env.server";

export const STAFF_COOKIE = "prn_staff";
export const memberCookieName = (merchantSlug: string) => `prn_m_${merchantSlug.replace(/-/g, "_")}`;

/** Secure everywhere except plain-http localhost development (S1/S3: HttpOnly, SameSite=Lax). */
function isSecure(request: Request): boolean {
  const url = new URL(request.url);
  if (url.protocol === "https:") return true;
  const host = url.hostname;
  return !(host === "localhost" || host === "127.0.0.1" || host === "[::1]") && env().NODE_ENV === "production";
}

/**
 * A cookie's decoded value, or null. A value that does not decode (`%`, `%zz`) or decodes to control characters is
 * garbage no code of ours set: it reads as no cookie, so a garbled session cookie is simply no session.
 */
export function readCookie(request: Request, name: string): string | null {
  const header = request.headers.get("Cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return null;
    }
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    return /[\u0000-\u001f\u007f]/.test(value) ? null : value;
  }
  return null;
}

export function sessionCookie(request: Request, name: string, token: string, expires: Date, path = "/"): string {
  const attrs = [`${name}=${encodeURIComponent(token)}`, `Path=${path}`, "HttpOnly", "SameSite=Lax", `Expires=${expires.toUTCString()}`];
  if (isSecure(request)) attrs.push("Secure");
  return attrs.join("; ");
}

export function clearCookie(request: Request, name: string, path = "/"): string {
  const attrs = [`${name}=`, `Path=${path}`, "HttpOnly", "SameSite=Lax", "Max-Age=0"];
  if (isSecure(request)) attrs.push("Secure");
  return attrs.join("; ");
}
