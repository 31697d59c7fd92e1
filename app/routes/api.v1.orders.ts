import { isUnknownMemberError, merchantCurrency, occurredAt, resolveMemberRef } from "~/api/points.server";
import { RecordOrderBody, type OrderSchema } from "~/api/points-schemas";
import { apiHandler, authenticate, methodNotAllowed, readKeyedPost, requireMethod, runPost } from "~/api/request.server";
import { recordOrder } from "~/domain/points/orders.server";
import { DomainError } from "~/lib/errors";
import type { z } from "zod";

// POST /api/v1/orders — record an order and earn its points (201; 200 when the same order was recorded before).
export const action = apiHandler(async ({ request }) => {
  requireMethod(request, "POST");
  const auth = await authenticate(request, "orders:write");
  const post = await readKeyedPost(request);
  const input = RecordOrderBody.parse(post.body);
  const at = occurredAt(input.occurred_at);
  return runPost(request, auth, post, async (trx) => {
    const currency = await merchantCurrency(trx, auth.merchantId);
    if (input.currency !== currency) {
      throw new DomainError("currency_mismatch", `This store records orders in ${currency}; convert the amount before sending it`, {
        status: 422,
        field: "currency",
      });
    }
    // A member given by id is not looked up first: the order's foreign key refuses an unknown one (another
    // merchant's ids included), which saves a round trip on the hot path and is answered as the same 404.
    const memberId = input.member.id ?? (await resolveMemberRef(trx, auth, input.member)).member.id;
    let result: Awaited<ReturnType<typeof recordOrder>>;
    try {
      result = await recordOrder(trx, auth.merchantId, {
        memberId,
        externalOrderId: input.order_id,
        source: "api",
        amountMinor: input.amount_minor,
        currency: input.currency,
        occurredAt: at,
        awardPoints: true,
        actor: auth.actor,
      });
    } catch (err) {
      if (isUnknownMemberError(err)) throw new DomainError("not_found", "Member not found", { field: "member.id" });
      throw err;
    }
    // The order's earn journal (new or from the first time it was recorded) and its lot say what it earned.
    const lot = result.journalId
      ? await trx
          .selectFrom("point_lots")
          .select(["points", "released_at", "pending_until"])
          .where("merchant_id", "=", auth.merchantId)
          .where("journal_id", "=", result.journalId)
          .executeTakeFirst()
      : undefined;
    const o = result.order;
    const body: z.infer<typeof OrderSchema> = {
      id: o.id,
      order_id: o.external_order_id,
      member_id: o.member_id,
      amount_minor: o.amount_minor,
      currency: o.currency,
      occurred_at: o.occurred_at.toISOString(),
      refunded_minor: o.refunded_minor,
      points_earned: lot?.points ?? 0,
      points_status: !lot ? "none" : lot.released_at ? "available" : "pending",
      pending_until: lot && !lot.released_at && lot.pending_until ? lot.pending_until.toISOString() : null,
    };
    return { status: result.created ? 201 : 200, body };
  });
});

// GET (and anything but POST) is a JSON 405 rather than Remix's plain-text "no loader" error.
export const loader = methodNotAllowed("POST");
