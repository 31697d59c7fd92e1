import { readBoundedBody } from "~/lib/body.server";
import type { ActionFunctionArgs } from "@remix-run/node";
import { httpStatus } from "~/api/error-status";
import { apiErrorResponse, apiJson } from "~/api/errors";
import { db } from "~/db.server";
import { receiveStripeWebhook } from "~/domain/stripe/webhook.server";
import { DomainError } from "~/lib/errors";

/**
 * POST /webhooks/stripe/<merchant id>: Stripe's deliveries for one merchant. Signature-authenticated (the Origin
 * check skips /webhooks). 200 only after the event is committed; any failure of ours is a 500 so Stripe retries.
 */

// Stripe's event payloads are far below this; it bounds what one request can make us hold in memory.
const MAX_BODY_BYTES = 1024 * 1024;

async function readRawBody(request: Request): Promise<string> {
  const bytes = await readBoundedBody(request, MAX_BODY_BYTES, tooLarge);
  // The signature covers these exact bytes; decode without any normalisation.
  return bytes.toString("utf8");
}

const tooLarge = () => new DomainError("payload_too_large", `The body must be at most ${MAX_BODY_BYTES} bytes`);

export async function action({ request, params }: ActionFunctionArgs) {
  if (request.method !== "POST") return apiErrorResponse(405, "method_not_allowed", "Use POST", undefined, { Allow: "POST" });
  try {
    const raw = await readRawBody(request);
    const result = await receiveStripeWebhook(db(), params.merchantId, raw, request.headers.get("Stripe-Signature"));
    return apiJson({ received: true, ...(result.duplicate ? { duplicate: true } : {}), outcome: result.outcome });
  } catch (err) {
    if (err instanceof DomainError) return apiErrorResponse(httpStatus(err), err.code, err.message, err.field);
    // Database down, decryption failure, a bug: not acknowledged, so Stripe delivers the event again later.
    console.error("[stripe webhook] event not processed, answering 500 so Stripe retries:", err);
    return apiErrorResponse(500, "internal_error", "The event could not be processed; Stripe will retry");
  }
}

export function loader() {
  return apiErrorResponse(405, "method_not_allowed", "Stripe webhooks are POST only", undefined, { Allow: "POST" });
}
