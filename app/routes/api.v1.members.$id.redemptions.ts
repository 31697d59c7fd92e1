import { apiJson } from "~/api/errors";
import { serialisePerMember } from "~/api/member-queue.server";
import { requireMember, requireMemberIdShape } from "~/api/points.server";
import { RedeemBody, toApiRedemption } from "~/api/rewards-schemas";
import { apiHandler, authenticate, readKeyedPost, requireMethod, runPost } from "~/api/request.server";
import { db, withTenant } from "~/db.server";
import { memberRedemptions } from "~/domain/rewards/catalog.server";
import { assignLoyaltyArm } from "~/domain/rewards/eligibility.server";
import { grantReward } from "~/domain/rewards/grant.server";

// GET /api/v1/members/{id}/redemptions — the member's rewards, newest first.
export const loader = apiHandler(async ({ request, params }) => {
  const auth = await authenticate(request, "rewards:read");
  const rows = await withTenant(db(), auth.merchantId, async (trx) => {
    const member = await requireMember(trx, auth, params.id ?? "");
    return memberRedemptions(trx, auth.merchantId, member.id);
  });
  return apiJson({ data: rows.map(toApiRedemption) });
});

// POST /api/v1/members/{id}/redemptions — redeems a reward for points: one atomic, idempotent operation.
export const action = apiHandler(async ({ request, params }) => {
  requireMethod(request, "POST");
  const auth = await authenticate(request, "rewards:write");
  const post = await readKeyedPost(request);
  const body = RedeemBody.parse(post.body);
  const memberId = requireMemberIdShape(params.id ?? "");
  await assignLoyaltyArm(auth.merchantId, memberId);
  const write = () =>
    runPost(request, auth, post, async (trx) => {
      const granted = await grantReward(trx, auth.merchantId, {
        memberId,
        rewardId: body.reward_id,
        idempotencyKey: `api:${post.idempotencyKey}`,
        source: "redeem",
        chargePoints: true,
        actor: auth.actor,
        points: body.points,
        orderAmountMinor: body.order_amount_minor,
      });
      const row = await trx
        .selectFrom("reward_redemptions")
        .selectAll()
        .where("merchant_id", "=", auth.merchantId)
        .where("id", "=", granted.redemptionId)
        .executeTakeFirstOrThrow();
      return { status: 201, body: toApiRedemption(row) };
    });
  return serialisePerMember(auth.merchantId, memberId, write);
});
