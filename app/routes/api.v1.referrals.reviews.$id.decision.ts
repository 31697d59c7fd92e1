import { DecideReviewBody, toApiReview } from "~/api/referrals-schemas";
import { apiHandler, authenticate, methodNotAllowed, readKeyedPost, requireMethod, runPost } from "~/api/request.server";
import { listReviews } from "~/domain/referrals/fraud.server";
import { decideReferralReview } from "~/domain/flows/referral-rewards.server";
import { DomainError } from "~/lib/errors";
import { isId } from "~/lib/ids";

// POST /api/v1/referrals/reviews/{id}/decision — approve, reject or block the referrer (audited).
export const action = apiHandler(async ({ request, params }) => {
  requireMethod(request, "POST");
  const auth = await authenticate(request, "referrals:write");
  const id = params.id ?? "";
  if (!isId("referralReview", id)) throw new DomainError("not_found", "Review item not found", { field: "id" });
  const post = await readKeyedPost(request);
  const input = DecideReviewBody.parse(post.body);
  return runPost(request, auth, post, async (trx) => {
    await decideReferralReview(trx, auth.merchantId, id, { decision: input.decision, note: input.note ?? null }, auth.actor);
    const item = (await listReviews(trx, auth.merchantId, { id }))[0]!;
    return { status: 200, body: toApiReview(item) };
  });
});

export const loader = methodNotAllowed("POST");
