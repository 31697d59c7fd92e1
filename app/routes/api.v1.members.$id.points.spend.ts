import { serialisePerMember } from "~/api/member-queue.server";
import { requireMemberIdShape } from "~/api/points.server";
import { SpendPointsBody, type SpendSchema } from "~/api/points-schemas";
import { apiHandler, authenticate, methodNotAllowed, readKeyedPost, requireMethod, runPost } from "~/api/request.server";
import { spendPoints } from "~/domain/points/ledger.server";
import type { z } from "zod";

// POST /api/v1/members/{id}/points/spend — the one debit path; 409 insufficient_points, never an overdraft.
export const action = apiHandler(async ({ request, params }) => {
  requireMethod(request, "POST");
  const auth = await authenticate(request, "points:write");
  const post = await readKeyedPost(request);
  const input = SpendPointsBody.parse(post.body);
  const memberId = requireMemberIdShape(params.id ?? "");
  const write = () =>
    runPost(request, auth, post, async (trx) => {
      const spent = await spendPoints(trx, auth.merchantId, {
        memberId,
        points: input.points,
        // The request's key is also the ledger's: its unique index is a second guard against a double spend.
        idempotencyKey: `api:${post.idempotencyKey}`,
        description: input.description,
        metadata: input.reference === undefined ? {} : { reference: input.reference },
        actor: auth.actor,
      });
      const body: z.infer<typeof SpendSchema> = {
        journal_id: spent.journalId,
        member_id: memberId,
        points: input.points,
        description: input.description,
        reference: input.reference ?? null,
        balance: spent.balance,
      };
      return { status: 201, body };
    });
  return serialisePerMember(auth.merchantId, memberId, write);
});

// GET (and anything but POST) is a JSON 405 rather than Remix's plain-text "no loader" error.
export const loader = methodNotAllowed("POST");
