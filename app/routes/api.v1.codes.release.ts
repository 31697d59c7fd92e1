import { ReleaseCodeBody } from "~/api/rewards-schemas";
import { apiHandler, authenticate, methodNotAllowed, readPost, requireMethod, runPost } from "~/api/request.server";
import { releaseCode } from "~/domain/rewards/codes.server";

// POST /api/v1/codes/release — the order was cancelled: the code is usable again. Releasing twice is a no-op.
export const action = apiHandler(async ({ request }) => {
  requireMethod(request, "POST");
  const auth = await authenticate(request, "rewards:write");
  const post = await readPost(request);
  const body = ReleaseCodeBody.parse(post.body);
  return runPost(request, auth, post, async (trx) => {
    const r = await releaseCode(trx, auth.merchantId, { code: body.code, orderId: body.order_id }, auth.actor);
    return { status: 200, body: { code: r.code, status: "issued", released: r.released } };
  });
});

export const loader = methodNotAllowed("POST");
