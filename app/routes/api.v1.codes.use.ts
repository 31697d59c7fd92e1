import { toApiCodeCheck, UseCodeBody } from "~/api/rewards-schemas";
import { apiHandler, authenticate, methodNotAllowed, readPost, requireMethod, runPost } from "~/api/request.server";
import { useCode } from "~/domain/rewards/codes.server";

// POST /api/v1/codes/use — marks the code used by an order; the same order again is a no-op (200 both times).
export const action = apiHandler(async ({ request }) => {
  requireMethod(request, "POST");
  const auth = await authenticate(request, "rewards:write");
  const post = await readPost(request);
  const body = UseCodeBody.parse(post.body);
  return runPost(request, auth, post, async (trx) => {
    const used = await useCode(trx, auth.merchantId, { code: body.code, orderId: body.order_id, orderAmountMinor: body.order_amount_minor, memberId: body.member_id }, auth.actor);
    return { status: 200, body: toApiCodeCheck(used) };
  });
});

export const loader = methodNotAllowed("POST");
