import { clientIp } from "~/web/guards.server";
import { db, withTenant } from "~/db.server";
import type { SignupReferralFacts } from "~/domain/referrals/attribution.server";
import { findCodeOwner } from "~/domain/referrals/codes.server";
import { existingFriendArm } from "~/domain/referrals/friend-holdout.server";
import { getReferralSettings } from "~/domain/referrals/program.server";
import type { Merchant } from "~db/schema";
import { clearReferralCookie, readDeviceId, readReferralCookie } from "./cookies.server";

/** The referral part of the portal sign-up: whether to offer the code field, and the code to prefill it with. */
export async function signupReferral(request: Request, merchant: Merchant): Promise<{ enabled: boolean; code: string | null }> {
  const settings = await withTenant(db(), merchant.id, (trx) => getReferralSettings(trx, merchant.id));
  if (!settings.enabled) return { enabled: false, code: null };
  const fromLink = new URL(request.url).searchParams.get("code");
  const cookieCode = readReferralCookie(request, merchant.slug);
  // A friend held out of the incentive (friend holdout) is not shown the code they came with.
  if (cookieCode && (await withTenant(db(), merchant.id, (trx) => existingFriendArm(trx, merchant.id, readDeviceId(request)))) === "holdout") {
    return { enabled: true, code: null };
  }
  return { enabled: true, code: cookieCode ?? (fromLink ? fromLink.trim().toUpperCase().slice(0, 16) : null) };
}

/** A typed code that belongs to no active member is worth a field error before the account exists. */
export async function unknownTypedCode(merchant: Merchant, code: string): Promise<boolean> {
  const owner = await withTenant(db(), merchant.id, (trx) => findCodeOwner(trx, merchant.id, code));
  return !owner || owner.status !== "active";
}

/**
 * The referral facts of a portal sign-up request (the typed code first, then the landing page's cookie, with the
 * device and client), which the sign-up attributes inside its own transaction, and the Set-Cookie header that drops
 * the attribution cookie once the account exists. Attribution never fails a sign-up: the domain ignores unusable codes.
 */
export function signupReferralFacts(request: Request, merchant: Merchant, typedCode: string | null): { facts: SignupReferralFacts; clearCookie: string | null } {
  const cookieCode = readReferralCookie(request, merchant.slug);
  return {
    facts: { typedCode, cookieCode, deviceId: readDeviceId(request), ip: clientIp(request), userAgent: request.headers.get("User-Agent") },
    clearCookie: cookieCode ? clearReferralCookie(request, merchant.slug) : null,
  };
}
