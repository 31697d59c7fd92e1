import { occurredAt, resolveMemberRef } from "~/api/points.server";
import { RecordEventBody, type EventEarningSchema } from "~/api/points-schemas";
import { apiHandler, authenticate, methodNotAllowed, readKeyedPost, requireMethod, runPost } from "~/api/request.server";
import { now } from "~/lib/clock.server";
import { earnForEvent } from "~/domain/flows/earning.server";
import type { z } from "zod";

// POST /api/v1/events — a custom event (e.g. review_posted) earns the points the merchant configured for it.
export const action = apiHandler(async ({ request }) => {
  requireMethod(request, "POST");
  const auth = await authenticate(request, "orders:write");
  const post = await readKeyedPost(request);
  const input = RecordEventBody.parse(post.body);
  const at = input.occurred_at === undefined ? now() : occurredAt(input.occurred_at);
  return runPost(request, auth, post, async (trx) => {
    const { member } = await resolveMemberRef(trx, auth, input.member);
    // The request's key is also the ledger's (`event:api:<key>`): the unique index is a second guard against doubles.
    const earned = await earnForEvent(trx, auth.merchantId, {
      memberId: member.id,
      event: input.event,
      occurredAt: at,
      idempotencyKey: `api:${post.idempotencyKey}`,
      actor: auth.actor,
    });
    const body: z.infer<typeof EventEarningSchema> = {
      journal_id: earned.journalId,
      member_id: member.id,
      event: input.event,
      points_earned: earned.points,
      capped: earned.breakdown?.capped ?? false,
      occurred_at: at.toISOString(),
    };
    return { status: 201, body };
  });
});

// GET (and anything but POST) is a JSON 405 rather than Remix's plain-text "no loader" error.
export const loader = methodNotAllowed("POST");
