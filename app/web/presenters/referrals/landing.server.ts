import { isbot } from "isbot";
import { clientIp, getMember } from "~/web/guards.server";
import type { LandingView } from "~/components/referrals/views";
import { db, withTenant } from "~/db.server";
import { recordClick } from "~/domain/referrals/attribution.server";
import { normalizeCode } from "~/domain/referrals/codes";
import { friendCondition, HOLDOUT_NOTE_FOR_FRIEND } from "~/domain/referrals/terms";
import type { Merchant } from "~db/schema";
import { deviceId, referralCookie } from "./cookies.server";
import { firstNameOnly } from "./privacy";

export type LandingResult =
  | { kind: "landing"; view: LandingView; member: boolean; headers: Headers }
  | { kind: "preview"; programName: string; signupHref: string; headers: Headers }
  | { kind: "unknown"; programName: string; signupHref: string; headers: Headers };

/**
 * A visit to a member's link: records the click through the referral domain and sets the attribution and device
 * cookies. Link-preview bots (chat apps unfurling the link) get a generic invitation without the referrer's name
 * and count as no click. A visitor who is already a member sees the invitation but gets no attribution cookie. A friend
 * in the friend holdout sees the same invitation without the welcome gift (and the terms say why).
 */
export async function landOnReferralLink(request: Request, merchant: Merchant, rawCode: string): Promise<LandingResult> {
  const headers = new Headers();
  const base = `/p/${merchant.slug}`;
  const signupHref = `${base}/signup`;
  const code = normalizeCode(rawCode);
  if (!code) return { kind: "unknown", programName: merchant.name, signupHref, headers };
  if (isbot(request.headers.get("User-Agent") ?? "")) return { kind: "preview", programName: merchant.name, signupHref, headers };
  const device = deviceId(request);
  if (device.setCookie) headers.append("Set-Cookie", device.setCookie);
  const member = await getMember(request, merchant);
  const info = await withTenant(db(), merchant.id, (trx) =>
    recordClick(trx, merchant.id, { code, deviceId: device.id, ip: clientIp(request), userAgent: request.headers.get("User-Agent") }),
  );
  if (!info) return { kind: "unknown", programName: merchant.name, signupHref, headers };
  if (!member) headers.append("Set-Cookie", referralCookie(request, merchant.slug, info.code, info.cookieDays));
  return {
    kind: "landing",
    member: Boolean(member),
    headers,
    view: {
      programName: merchant.name,
      referrer: firstNameOnly(info.referrerFirstName),
      code: info.code,
      friendOffer: info.friendOffer,
      giftCondition: info.friendOffer ? friendCondition(info.qualifyingEvent, merchant.currency) : null,
      holdoutNote: info.friendHoldoutOn ? HOLDOUT_NOTE_FOR_FRIEND : null,
      signupHref: `${signupHref}?code=${encodeURIComponent(info.code)}`,
      loginHref: `${base}/login`,
    },
  };
}
