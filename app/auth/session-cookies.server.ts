import { db } from "~/db.server";
import type { Merchant } from "~db/schema";
import { clearCookie, memberCookieName, readCookie, sessionCookie, STAFF_COOKIE } from "./cookies.server";
import { clientIp } from "./client-ip";
import { createMemberSession, invalidateMemberSession, validateMemberSessionToken } from "./member-session.server";
import { parseToken } from "./tokens.server";
import { createStaffSession, invalidateStaffSession } from "./staff-session.server";

/**
 * Starting and ending sessions from a route: each returns the Set-Cookie header to send. Logging in always makes a
 * brand-new session (S4) and drops whatever session the browser carried before, so a planted id is worthless.
 */

const meta = (request: Request) => ({ ip: clientIp(request), userAgent: request.headers.get("User-Agent") });
/**
 * Member cookies are scoped to `/p`, not `/p/<slug>`: with single fetch the portal home loads its data from
 * `/p/<slug>.data`, which a `/p/<slug>` cookie path does not cover (the browser would look logged out after every
 * client-side navigation home). Each merchant still has its own cookie name, and a token is only ever validated
 * against the merchant of the URL, so one portal cannot use another's session.
 */
export const memberCookiePath = (_slug: string) => "/p";

export async function startStaffSession(request: Request, staffUserId: string): Promise<string> {
  const old = parseToken(readCookie(request, STAFF_COOKIE));
  if (old) await invalidateStaffSession(db(), old.id);
  const { token, cookieExpiresAt } = await createStaffSession(db(), staffUserId, meta(request));
  return sessionCookie(request, STAFF_COOKIE, token, cookieExpiresAt, "/");
}

/** Revokes the browser's staff session server-side (S4) and clears the cookie. */
export async function endStaffSession(request: Request): Promise<string> {
  const old = parseToken(readCookie(request, STAFF_COOKIE));
  if (old) await invalidateStaffSession(db(), old.id);
  return clearCookie(request, STAFF_COOKIE, "/");
}

export async function startMemberSession(request: Request, merchant: Pick<Merchant, "id" | "slug">, memberId: string): Promise<string> {
  const name = memberCookieName(merchant.slug);
  const old = parseToken(readCookie(request, name));
  if (old) await invalidateMemberSession(db(), merchant.id, old.id);
  const { token, cookieExpiresAt } = await createMemberSession(db(), merchant.id, memberId, meta(request));
  return sessionCookie(request, name, token, cookieExpiresAt, memberCookiePath(merchant.slug));
}

export async function endMemberSession(request: Request, merchant: Pick<Merchant, "id" | "slug">): Promise<string> {
  const name = memberCookieName(merchant.slug);
  const old = parseToken(readCookie(request, name));
  if (old) await invalidateMemberSession(db(), merchant.id, old.id);
  return clearCookie(request, name, memberCookiePath(merchant.slug));
}

/** True when the browser holds a live member session for this merchant (used to skip the login form). */
export async function hasMemberSession(request: Request, merchant: Merchant): Promise<boolean> {
  return (await validateMemberSessionToken(db(), merchant.id, readCookie(request, memberCookieName(merchant.slug)))) !== null;
}
