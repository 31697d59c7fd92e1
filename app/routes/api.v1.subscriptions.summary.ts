import { apiJson } from "~/api/errors";
import { apiHandler, authenticate, methodNotAllowed } from "~/api/request.server";
import { toApiSubscriptionSummary } from "~/api/subscriptions-schemas";
import { db, withTenant } from "~/db.server";
import { subscriptionReport } from "~/domain/subscriptions/summary.server";

// GET /api/v1/subscriptions/summary — MRR, churn, cohort retention, the sBG fit and subscription CLTV (issue 16 §5).
export const loader = apiHandler(async ({ request }) => {
  const auth = await authenticate(request, "reports:read");
  const body = await withTenant(db(), auth.merchantId, async (trx) => {
    const r = await subscriptionReport(trx, auth.merchantId);
    return toApiSubscriptionSummary(r.currency, r);
  });
  return apiJson(body);
});

export const action = methodNotAllowed("GET");
