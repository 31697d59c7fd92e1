import { toApiMemberCltv } from "~/api/cltv-schemas";
import { apiJson } from "~/api/errors";
import { merchantCurrency, requireMember } from "~/api/points.server";
import { apiHandler, authenticate, methodNotAllowed } from "~/api/request.server";
import { db, withTenant } from "~/db.server";
import { memberCltvScores } from "~/domain/cltv/current-model.server";

// GET /api/v1/members/{id}/cltv — the member's CLTV scores from the current model (scored: false until scored).
export const loader = apiHandler(async ({ request, params }) => {
  const auth = await authenticate(request, "members:read");
  const body = await withTenant(db(), auth.merchantId, async (trx) => {
    const member = await requireMember(trx, auth, params.id ?? "");
    return toApiMemberCltv(member.id, await merchantCurrency(trx, auth.merchantId), await memberCltvScores(trx, auth.merchantId, member.id));
  });
  return apiJson(body);
});

export const action = methodNotAllowed("GET");
