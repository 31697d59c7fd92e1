import { apiJson } from "~/api/errors";
import { apiHandler, authenticate, methodNotAllowed } from "~/api/request.server";
import { now } from "~/lib/clock.server";
import { db, withTenant } from "~/db.server";
import { toApiOffer } from "~/api/offers-schemas";
import { memberOffers } from "~/domain/offers/member-offers.server";
import { isId } from "~/lib/ids";
import { notFound } from "~/lib/errors";

// GET /api/v1/members/{id}/offers — the offers this member may see now (eligible and not held out); records `seen`.
export const loader = apiHandler(async ({ request, params }) => {
  const auth = await authenticate(request, "offers:read");
  const memberId = params.id ?? "";
  if (!isId("member", memberId)) throw notFound("Member");
  const offers = await withTenant(db(), auth.merchantId, (trx) => memberOffers(trx, auth.merchantId, memberId, now(), { recordSeen: true }));
  return apiJson({ data: offers.map(toApiOffer) });
});

export const action = methodNotAllowed("GET");
