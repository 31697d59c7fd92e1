import { clientIp } from "~/web/guards.server";
import { db, withTenant } from "~/db.server";
import { usableReferrer, type SignupReferralFacts } from "~/domain/referrals/attribution.server";
import { findCodeOwner } from "~/domain/referrals/codes.server";
import { existingFriendArm } from "~/domain/referrals/friend-holdout.server";
import { getReferralSettings } from "~/domain/referrals/program.server";
import { rewardText } from "~/domain/referrals/rewards.server";
import { friendCondition, friendHoldoutDisclosed, HOLDOUT_NOTE_FOR_FRIEND } from "~/domain/referrals/terms";
import type { Merchant } from "~db/schema";
import { clearReferralCookie, readDeviceId, readReferralCookie } from "./cookies.server";
import { firstNameOnly } from "./privacy";

/** The invitation a friend came with, repeated on the sign-up page so joining keeps the thread. */
export interface SignupInvitation {
  /** The referrer's first name ("A friend" without one). */
  referrer: string;
  /** "300 points", or null without a gift or in the friend holdout. */
  gift: string | null;
  giftCondition: string | null;
  holdoutNote: string | null;
}

/**
 * The referral part of the portal sign-up: whether to offer the code field, the code to prefill it with (the landing
 * cookie's, else the link's), and the invitation behind that code when it is a usable member's.
 */
export async function signupReferral(request: Request, merchant: Merchant): Promise<{ enabled: boolean; code: string | null; invitation: SignupInvitation | null }> {
  const fromLink = new URL(request.url).searchParams.get("code");
  const code = readReferralCookie(request, merchant.slug) ?? (fromLink ? fromLink.trim().toUpperCase().slice(0, 16) : null);
  return withTenant(db(), merchant.id, async (trx) => {
    const settings = await getReferralSettings(trx, merchant.id);
    if (!settings.enabled) return { enabled: false, code: null, invitation: null };
    // Only a code that would attribute (not blocked, not held out of the program) brings its invitation along.
    const owner = code ? await usableReferrer(trx, merchant.id, settings, code) : null;
    if (!owner) return { enabled: true, code, invitation: null };
    // The device's friend-holdout arm, as the landing page showed it: a held-out friend is told of no gift here either.
    const heldOut = settings.friendHoldoutPercent > 0 && (await existingFriendArm(trx, merchant.id, readDeviceId(request))) === "holdout";
    const gift = heldOut ? null : rewardText(settings.friendReward);
    return {
      enabled: true,
      code,
      invitation: {
        referrer: firstNameOnly(owner.name),
        gift,
        giftCondition: gift ? friendCondition(settings.qualifyingEvent, merchant.currency) : null,
        holdoutNote: friendHoldoutDisclosed(settings) ? HOLDOUT_NOTE_FOR_FRIEND : null,
      },
    };
  });
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
