import { apiJson } from "~/api/errors";
import { requireMember } from "~/api/points.server";
import { apiHandler, authenticate, methodNotAllowed } from "~/api/request.server";
import { toApiMemberTier } from "~/api/tiers-schemas";
import { now } from "~/lib/clock.server";
import { db, withTenant } from "~/db.server";
import { memberTierView } from "~/domain/tiers/tiers.server";

// GET /api/v1/members/{id}/tier — current tier, benefits, progress and any scheduled downgrade.
export const loader = apiHandler(async ({ request, params }) => {
  const auth = await authenticate(request, "points:read");
  const body = await withTenant(db(), auth.merchantId, async (trx) => {
    const member = await requireMember(trx, auth, params.id ?? "");
    return toApiMemberTier(member.id, await memberTierView(trx, auth.merchantId, member.id, now()));
  });
  return apiJson(body);
});

export const action = methodNotAllowed("GET");
