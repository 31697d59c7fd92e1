import type { Task } from "graphile-worker";
import { z } from "zod";
import { syncRedemptionToStripe } from "~/domain/stripe/reward-sync.server";

const Payload = z.object({ merchantId: z.string().min(1), redemptionId: z.string().min(1) });

/**
 * `reward-stripe`: creates a pending redemption's Stripe promotion code or customer balance credit. A transient
 * failure throws and graphile-worker retries with backoff; a permanent one, or the last attempt, voids the
 * redemption (points and stock returned). Safe to run twice: a redemption that is no longer pending is skipped and
 * every Stripe call carries an idempotency key.
 */
export function rewardStripeTask(): Task {
  return async (payload, helpers) => {
    const parsed = Payload.safeParse(payload);
    if (!parsed.success) throw new Error(`reward-stripe: invalid payload ${JSON.stringify(payload)}`);
    const outcome = await syncRedemptionToStripe(parsed.data.merchantId, parsed.data.redemptionId, {
      lastAttempt: helpers.job.attempts >= helpers.job.max_attempts,
    });
    helpers.logger.debug(`reward-stripe ${parsed.data.redemptionId}: ${outcome}`);
  };
}
