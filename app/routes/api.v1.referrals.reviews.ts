import { apiJson } from "~/api/errors";
import { ReviewListQuery, toApiReview } from "~/api/referrals-schemas";
import { apiHandler, authenticate, methodNotAllowed, queryObject } from "~/api/request.server";
import { db, withTenant } from "~/db.server";
import { listReviews } from "~/domain/referrals/fraud.server";

// GET /api/v1/referrals/reviews — the fraud review queue (open first, newest first).
export const loader = apiHandler(async ({ request }) => {
  const auth = await authenticate(request, "referrals:read");
  const query = ReviewListQuery.parse(queryObject(request));
  const items = await withTenant(db(), auth.merchantId, (trx) => listReviews(trx, auth.merchantId, query));
  return apiJson({ data: items.map(toApiReview) });
});

export const action = methodNotAllowed("GET");
