import { encodeBase32LowerCaseNoPadding } from "@oslojs/encoding";
import { readCookie, sessionCookie, clearCookie } from "~/auth/cookies.server";
import { normalizeCode } from "~/domain/referrals/codes";
import { randomBytes } from "~/lib/ids";

/**
 * The two first-party cookies of the referral landing page.
 *  prn_ref_<slug>  the code of the link the visitor came through, read at sign-up (attribution by cookie). Per
 *                  merchant and scoped to /p like the member session, so the sign-up page and its data requests see it.
 *  prn_dev         a random device id, the fraud checks' "same device" fact. Not tied to any account.
 * Both HttpOnly and SameSite=Lax: scripts cannot read them and other sites cannot send them on POSTs.
 */

export const DEVICE_COOKIE = "prn_dev";
const DEVICE_DAYS = 400;
const DEVICE_RE = /^[a-z2-7]{26}$/;

export const referralCookieName = (slug: string) => `prn_ref_${slug.replace(/-/g, "_")}`;

const days = (n: number) => new Date(Date.now() + n * 86_400_000);

export function readReferralCookie(request: Request, slug: string): string | null {
  const raw = readCookie(request, referralCookieName(slug));
  return raw ? normalizeCode(raw) : null;
}

export function referralCookie(request: Request, slug: string, code: string, lifetimeDays: number): string {
  return sessionCookie(request, referralCookieName(slug), code, days(lifetimeDays), "/p");
}

/** Attribution happens once: the cookie is dropped after the sign-up it was for. */
export function clearReferralCookie(request: Request, slug: string): string {
  return clearCookie(request, referralCookieName(slug), "/p");
}

/** The browser's device id, and a Set-Cookie header when it had none (or a malformed one). */
export function deviceId(request: Request): { id: string; setCookie: string | null } {
  const existing = readCookie(request, DEVICE_COOKIE);
  if (existing && DEVICE_RE.test(existing)) return { id: existing, setCookie: null };
  const id = encodeBase32LowerCaseNoPadding(randomBytes(16));
  return { id, setCookie: sessionCookie(request, DEVICE_COOKIE, id, days(DEVICE_DAYS), "/") };
}

/** The device id if the browser has one; sign-up reads it without creating one. */
export function readDeviceId(request: Request): string | null {
  const v = readCookie(request, DEVICE_COOKIE);
  return v && DEVICE_RE.test(v) ? v : null;
}
