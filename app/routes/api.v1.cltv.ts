import { CltvModelQuery, toApiCltvModel } from "~/api/cltv-schemas";
import { apiJson } from "~/api/errors";
import { merchantCurrency } from "~/api/points.server";
import { apiHandler, authenticate, methodNotAllowed, queryObject } from "~/api/request.server";
import { db, withTenant } from "~/db.server";
import { cltvModelOverview } from "~/domain/cltv/current-model.server";

// GET /api/v1/cltv[?include=classic] — the current CLTV model: parameters, diagnostics and segment counts.
export const loader = apiHandler(async ({ request }) => {
  const auth = await authenticate(request, "reports:read");
  const q = CltvModelQuery.parse(queryObject(request));
  const body = await withTenant(db(), auth.merchantId, async (trx) => {
    const currency = await merchantCurrency(trx, auth.merchantId);
    const { current, classic } = await cltvModelOverview(trx, auth.merchantId, currency, { classic: q.include === "classic" });
    return toApiCltvModel(currency, current, classic);
  });
  return apiJson(body);
});

export const action = methodNotAllowed("GET");
