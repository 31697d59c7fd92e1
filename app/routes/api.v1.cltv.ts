import { CltvModelQuery, toApiCltvModel } from "~/api/cltv-schemas";
import { apiJson } from "~/api/errors";
import { merchantCurrency } from "~/api/points.server";
import { apiHandler, authenticate, methodNotAllowed, queryObject } from "~/api/request.server";
import { db, withTenant } from "~/db.server";
import { cltvOverviewPage } from "~/domain/cltv/summaries.server";

// GET /api/v1/cltv[?include=classic] — the current CLTV model: parameters, diagnostics and segment counts (from the
// maintained summary, as of its last refresh: app/domain/cltv/summaries.server.ts).
export const loader = apiHandler(async ({ request }) => {
  const auth = await authenticate(request, "reports:read");
  const q = CltvModelQuery.parse(queryObject(request));
  const body = await withTenant(db(), auth.merchantId, async (trx) => {
    const currency = await merchantCurrency(trx, auth.merchantId);
    const { current, classic } = await cltvOverviewPage(trx, auth.merchantId, currency, { classic: q.include === "classic" });
    return toApiCltvModel(currency, current, classic);
  });
  return apiJson(body);
});

export const action = methodNotAllowed("GET");
