import { apiJson } from "~/api/errors";
import { requireMember } from "~/api/points.server";
import { toApiBalance } from "~/api/points-schemas";
import { apiHandler, authenticate, methodNotAllowed } from "~/api/request.server";
import { db, withTenant } from "~/db.server";
import { getMemberBalance } from "~/domain/points/balance.server";

// GET /api/v1/members/{id}/points — available, pending (with release dates), expiring next, debt and lifetime totals.
export const loader = apiHandler(async ({ request, params }) => {
  const auth = await authenticate(request, "points:read");
  const balance = await withTenant(db(), auth.merchantId, async (trx) => {
    const member = await requireMember(trx, auth, params.id ?? "");
    return toApiBalance(member.id, await getMemberBalance(trx, auth.merchantId, member.id));
  });
  return apiJson(balance);
});

export const action = methodNotAllowed("GET");
