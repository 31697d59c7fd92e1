import type { DB } from "~/db.server";
import { createStripeClient } from "./client.server";
import { apiKeyFor } from "./connection.server";

/**
 * An invoice event names each discount in `total_discount_amounts` by id only (`di_…`) unless the endpoint expanded
 * it, and a discount id says nothing about which promotion code (which reward) it came from. Before such an event is
 * applied, the invoice is retrieved with `total_discount_amounts.discount` expanded, so the discount's promotion code
 * matches the reward and its amount is the cost at use (issue 16 §1). Only when a discount took something off and is
 * unexpanded; a merchant without an API key keeps the unmatched discounts (as before: the order is still recorded).
 * A failed retrieval throws: the event is not stored, and Stripe (or the next reconcile) delivers it again.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a Stripe event is loose JSON until stripe/mapping.ts parses it
type Json = any;

/** The invoice of an event whose discounts need expanding, or null. */
function invoiceWithUnexpandedDiscounts(payload: unknown): { id: string } | null {
  const object = (payload as Json)?.data?.object;
  if (!object || object.object !== "invoice" || typeof object.id !== "string") return null;
  const amounts: unknown = object.total_discount_amounts;
  if (!Array.isArray(amounts)) return null;
  const needs = amounts.some((d: Json) => typeof d?.discount === "string" && typeof d?.amount === "number" && d.amount > 0);
  return needs ? { id: object.id } : null;
}

/** The event with its invoice's discounts expanded (a copy), or the event itself when nothing needs it or can be done. */
export async function expandInvoiceDiscounts(database: DB, merchantId: string, payload: unknown): Promise<unknown> {
  const invoice = invoiceWithUnexpandedDiscounts(payload);
  if (!invoice) return payload;
  const key = await apiKeyFor(database, merchantId);
  if (!key) return payload;
  const full = await createStripeClient(key).invoices.retrieve(invoice.id, {
    expand: ["total_discount_amounts.discount"],
  });
  const p = payload as Json;
  return {
    ...p,
    data: {
      ...p.data,
      object: {
        ...p.data.object,
        total_discount_amounts: full.total_discount_amounts,
      },
    },
  };
}
