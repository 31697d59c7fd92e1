import { RecordRefundBody, type RefundSchema } from "~/api/points-schemas";
import { apiHandler, authenticate, methodNotAllowed, readKeyedPost, requireMethod, runPost } from "~/api/request.server";
import { findOrder, recordRefund } from "~/domain/flows/purchase.server";
import { DomainError } from "~/lib/errors";
import type { z } from "zod";

// POST /api/v1/refunds — a refund of an order recorded through the API; reverses points in proportion.
export const action = apiHandler(async ({ request }) => {
  requireMethod(request, "POST");
  const auth = await authenticate(request, "orders:write");
  const post = await readKeyedPost(request);
  const input = RecordRefundBody.parse(post.body);
  return runPost(request, auth, post, async (trx) => {
    const order = await findOrder(trx, auth.merchantId, { source: "api", externalOrderId: input.order_id });
    if (!order) throw new DomainError("not_found", "No order with this order_id was recorded through the API", { field: "order_id" });
    const refund = await recordRefund(trx, auth.merchantId, {
      orderId: order.id,
      externalRefundId: input.refund_id,
      amountMinor: input.amount_minor,
      actor: auth.actor,
    });
    const body: z.infer<typeof RefundSchema> = {
      id: refund.refundId,
      order_id: order.external_order_id,
      refund_id: input.refund_id,
      amount_minor: refund.amountMinor,
      refunded_total_minor: refund.refundedTotalMinor,
      points_reversed: refund.pointsReversed,
    };
    return { status: refund.replayed ? 200 : 201, body };
  });
});

// GET (and anything but POST) is a JSON 405 rather than Remix's plain-text "no loader" error.
export const loader = methodNotAllowed("POST");
