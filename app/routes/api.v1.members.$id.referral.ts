import { apiJson } from "~/api/errors";
import { requireMember } from "~/api/points.server";
import { apiHandler, authenticate, methodNotAllowed } from "~/api/request.server";
import { db, withTenant } from "~/db.server";
import { memberReferralStats } from "~/domain/referrals/member-view.server";

// GET /api/v1/members/{id}/referral — the member's referral code, share link and referral stats.
export const loader = apiHandler(async ({ request, params }) => {
  const auth = await authenticate(request, "referrals:read");
  const s = await withTenant(db(), auth.merchantId, async (trx) => {
    const member = await requireMember(trx, auth, params.id ?? "");
    return memberReferralStats(trx, auth.merchantId, member.id);
  });
  return apiJson({
    member_id: s.memberId,
    code: s.code,
    link: s.link,
    referred_by: s.referredBy,
    referral_count: s.referralCount,
    qualified_count: s.qualifiedCount,
    points_earned: s.pointsEarned,
  });
});

export const action = methodNotAllowed("GET");
