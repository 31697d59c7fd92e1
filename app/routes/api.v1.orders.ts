import { occurredAt, resolveMemberRef } from "~/api/points.server";
import { RecordOrderBody, type OrderSchema } from "~/api/points-schemas";
import { apiHandler, authenticate, methodNotAllowed, readKeyedPost, requireMethod, runPost } from "~/api/request.server";
import { recordPurchase } from "~/domain/flows/purchase.server";
import type { z } from "zod";

// POST /api/v1/orders — record an order and earn its points (201; 200 when the same order was recorded before).
export const action = apiHandler(async ({ request }) => {
  requireMethod(request, "POST");
  const auth = await authenticate(request, "orders:write");
  const post = await readKeyedPost(request);
  const input = RecordOrderBody.parse(post.body);
  const at = occurredAt(input.occurred_at);
  return runPost(request, auth, post, async (trx) => {
    // A member given by id is not looked up first: the balance lock refuses an unknown one (another merchant's ids
    // included) as a 404 on member.id, which saves a round trip on the hot path.
    const memberId = input.member.id ?? (await resolveMemberRef(trx, auth, input.member)).member.id;
    const purchase = { memberId, memberField: "member.id", externalOrderId: input.order_id, amountMinor: input.amount_minor, currency: input.currency, occurredAt: at };
    const result = await recordPurchase(trx, auth.merchantId, purchase, { channel: "api", actor: auth.actor });
    const o = result.order;
    const body: z.infer<typeof OrderSchema> = {
      id: o.id,
      order_id: o.external_order_id,
      member_id: o.member_id,
      amount_minor: o.amount_minor,
      currency: o.currency,
      occurred_at: o.occurred_at.toISOString(),
      refunded_minor: o.refunded_minor,
      points_earned: result.earned.points,
      points_status: result.earned.status,
      pending_until: result.earned.pendingUntil?.toISOString() ?? null,
    };
    return { status: result.created ? 201 : 200, body };
    // The write is database work only, so the key is stored with the response: one round trip fewer per order.
  }, { claim: "with-response" });
});

// GET (and anything but POST) is a JSON 405 rather than Remix's plain-text "no loader" error.
export const loader = methodNotAllowed("POST");
