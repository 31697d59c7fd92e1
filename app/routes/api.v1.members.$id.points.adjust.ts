import { serialisePerMember } from "~/api/member-queue.server";
import { requireMemberIdShape } from "~/api/points.server";
import { AdjustPointsBody, type AdjustmentSchema } from "~/api/points-schemas";
import { apiHandler, authenticate, methodNotAllowed, readKeyedPost, requireMethod, runPost } from "~/api/request.server";
import { adjustMemberPoints } from "~/domain/flows/adjustments.server";
import type { z } from "zod";

// POST /api/v1/members/{id}/points/adjust — a manual correction with a reason (audited, actor = the API key).
export const action = apiHandler(async ({ request, params }) => {
  requireMethod(request, "POST");
  const auth = await authenticate(request, "points:write");
  const post = await readKeyedPost(request);
  const input = AdjustPointsBody.parse(post.body);
  const memberId = params.id ?? "";
  const write = () =>
    runPost(request, auth, post, async (trx) => {
      const member = { id: requireMemberIdShape(memberId) };
      const adjusted = await adjustMemberPoints(
        trx,
        auth.merchantId,
        { memberId: member.id, points: input.points, reason: input.reason, note: input.note ?? null, idempotencyKey: `api:${post.idempotencyKey}`, actor: auth.actor },
        { channel: "api", memberField: "id" },
      );
      // Read under the balance row lock adjustPoints took, so this is exactly the state after the adjustment.
      const balance = await trx
        .selectFrom("member_balances")
        .select(["available", "pending"])
        .where("merchant_id", "=", auth.merchantId)
        .where("member_id", "=", member.id)
        .executeTakeFirstOrThrow();
      const body: z.infer<typeof AdjustmentSchema> = {
        journal_id: adjusted.journalId,
        member_id: member.id,
        points: input.points,
        reason: input.reason,
        note: input.note ?? null,
        balance: { available: balance.available, pending: balance.pending },
      };
      return { status: 201, body };
    });
  return serialisePerMember(auth.merchantId, memberId, write);
});

// GET (and anything but POST) is a JSON 405 rather than Remix's plain-text "no loader" error.
export const loader = methodNotAllowed("POST");
