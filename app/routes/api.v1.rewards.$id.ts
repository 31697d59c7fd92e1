import { apiJson } from "~/api/errors";
import { toApiReward } from "~/api/rewards-schemas";
import { apiHandler, authenticate, methodNotAllowed } from "~/api/request.server";
import { db, withTenant } from "~/db.server";
import { getReward } from "~/domain/rewards/catalog.server";

// GET /api/v1/rewards/{id} — one reward (archived ones included); another merchant's id is a 404.
export const loader = apiHandler(async ({ request, params }) => {
  const auth = await authenticate(request, "rewards:read");
  const reward = await withTenant(db(), auth.merchantId, (trx) => getReward(trx, auth.merchantId, params.id ?? ""));
  return apiJson(toApiReward(reward));
});

export const action = methodNotAllowed("GET");
