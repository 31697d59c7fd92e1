import type Stripe from "stripe";
import type { DB } from "~/db.server";
import { stripeClientFor } from "./client.server";
import { STRIPE_EVENT_TYPES } from "./event-types";
import { ingestStripeEvent } from "./events.server";

/**
 * Replays events the webhook endpoint missed (an outage, a misconfigured secret): lists the merchant's events of
 * the handled types since a date from the Stripe API and ingests each one not stored yet, oldest first, through
 * the same path as the webhook. Safe to run any number of times.
 */

export interface ReconcileReport {
  seen: number;
  applied: number;
  alreadyHad: number;
  outcomes: Array<{ eventId: string; type: string; outcome: string }>;
}

// Stripe keeps events for 30 days; a wider window only costs listing time.
export async function reconcileStripeEvents(
  database: DB,
  merchantId: string,
  opts: { since: Date; client?: Stripe; onProgress?: (done: number, total: number) => void },
): Promise<ReconcileReport> {
  const stripe = opts.client ?? (await stripeClientFor(database, merchantId));
  const events: Stripe.Event[] = [];
  const list = stripe.events.list({ created: { gte: Math.floor(opts.since.getTime() / 1000) }, types: [...STRIPE_EVENT_TYPES], limit: 100 });
  for await (const event of list) events.push(event);
  // Stripe lists newest first; apply in the order things happened (ties keep Stripe's order, reversed).
  events.reverse();
  events.sort((a, b) => a.created - b.created);

  const report: ReconcileReport = { seen: events.length, applied: 0, alreadyHad: 0, outcomes: [] };
  for (const [i, event] of events.entries()) {
    const r = await ingestStripeEvent(database, merchantId, event, "reconcile");
    if (r.duplicate) report.alreadyHad++;
    else {
      report.applied++;
      report.outcomes.push({ eventId: event.id, type: event.type, outcome: r.outcome });
    }
    opts.onProgress?.(i + 1, events.length);
  }
  return report;
}
