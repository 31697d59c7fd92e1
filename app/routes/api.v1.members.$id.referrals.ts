import { apiJson } from "~/api/errors";
import { requireMember } from "~/api/points.server";
import { ReferralListQuery, toApiNetwork } from "~/api/referrals-schemas";
import { apiHandler, authenticate, methodNotAllowed, queryObject } from "~/api/request.server";
import { db, withTenant } from "~/db.server";
import { listMemberReferrals } from "~/domain/referrals/member-view.server";
import { networkValue } from "~/domain/referrals/tree.server";

// GET /api/v1/members/{id}/referrals — the member's direct referrals (paged) and their network value by level.
export const loader = apiHandler(async ({ request, params }) => {
  const auth = await authenticate(request, "referrals:read");
  const query = ReferralListQuery.parse(queryObject(request));
  const out = await withTenant(db(), auth.merchantId, async (trx) => {
    const member = await requireMember(trx, auth, params.id ?? "");
    const [rows, network] = [await listMemberReferrals(trx, auth.merchantId, member.id, query), await networkValue(trx, auth.merchantId, member.id)];
    return { rows, network };
  });
  return apiJson({
    data: out.rows.map((r) => ({
      referral_id: r.referralId,
      member_id: r.memberId,
      status: r.status,
      via: r.via,
      reasons: r.reasons,
      qualified_at: r.qualifiedAt?.toISOString() ?? null,
      hold_until: r.holdUntil?.toISOString() ?? null,
      created_at: r.createdAt.toISOString(),
      referrer_points: r.referrerPoints,
    })),
    network: toApiNetwork(out.network),
  });
});

export const action = methodNotAllowed("GET");
