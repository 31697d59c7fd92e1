import { apiHandler, authenticate, methodNotAllowed, readKeyedPost, requireMethod, runPost } from "~/api/request.server";
import { now } from "~/lib/clock.server";
import { toApiClaim } from "~/api/offers-schemas";
import { claimOffer } from "~/domain/flows/offer-claims.server";
import { notFound } from "~/lib/errors";
import { isId } from "~/lib/ids";

// POST /api/v1/members/{id}/offers/{offerId}/claim — atomic: one claim per member, stock never oversold; 404 when
// the member may not see the offer (ineligible or held out).
export const action = apiHandler(async ({ request, params }) => {
  requireMethod(request, "POST");
  const auth = await authenticate(request, "offers:write");
  // Documented without a body: the path says everything.
  const post = await readKeyedPost(request, { body: "none" });
  const memberId = params.id ?? "";
  const offerId = params.offerId ?? "";
  if (!isId("member", memberId)) throw notFound("Member");
  if (!isId("offer", offerId)) throw notFound("Offer");
  return runPost(request, auth, post, async (trx) => ({
    status: 201,
    body: toApiClaim(await claimOffer(trx, auth.merchantId, memberId, offerId, auth.actor, now())),
  }));
});

export const loader = methodNotAllowed("POST");
