import Stripe from "stripe";
import { now } from "~/lib/clock.server";
import { withTenant, type DB } from "~/db.server";
import { DomainError } from "~/lib/errors";
import { isId } from "~/lib/ids";
import { findUnstorableText, jsonTooDeep, MAX_JSON_DEPTH } from "~/lib/storable-text";
import { stripeWebhooks } from "./client.server";
import { webhookSecretFor } from "./connection.server";
import { ingestStripeEvent, type IngestResult } from "./events.server";

/**
 * The webhook endpoint's logic: find the merchant's signing secret, verify the signature on the raw body, then
 * store and apply the event (events.server.ts). An unknown merchant, a merchant without a secret and a bad
 * signature all get the same 400, so the endpoint reveals nothing about which merchants are connected.
 */

export const WEBHOOK_TOLERANCE_SECONDS = 300;

const invalidSignature = () =>
  new DomainError("invalid_signature", "The Stripe-Signature header does not match this endpoint's signing secret, or is outside the 5-minute window");

/**
 * Checks the signature (any of the header's v1 signatures may match, which is how Stripe rolls a secret) and the
 * timestamp: older than the tolerance is refused by the library; a timestamp in the future beyond the tolerance
 * is refused here (the library only checks age). Returns the parsed payload.
 */
export function verifyStripeSignature(rawBody: string, header: string | null, secret: string, at: Date = now()): unknown {
  if (!header || !wellFormedSignatureHeader(header)) throw invalidSignature();
  let payload: unknown;
  try {
    payload = stripeWebhooks().constructEvent(rawBody, header, secret, WEBHOOK_TOLERANCE_SECONDS, undefined, at.getTime());
  } catch (err) {
    if (err instanceof Stripe.errors.StripeSignatureVerificationError) throw invalidSignature();
    // The signature matched, so Stripe sent this body, but it is not JSON.
    if (err instanceof SyntaxError) throw new DomainError("invalid_payload", "The event body is not JSON");
    throw err;
  }
  // The library reads the last t= in the header; so do we.
  const timestamps = header.split(",").flatMap((part) => (part.startsWith("t=") ? [Number.parseInt(part.slice(2), 10)] : []));
  const t = timestamps.at(-1);
  if (t === undefined || !Number.isFinite(t) || t - Math.floor(at.getTime() / 1000) > WEBHOOK_TOLERANCE_SECONDS) throw invalidSignature();
  // Signed by Stripe, yet not storable as jsonb: refused before anything is written (Stripe reports the 400).
  const bad = findUnstorableText(payload);
  if (bad) throw new DomainError("invalid_payload", `The event cannot be stored: ${bad.message}`, { field: bad.field });
  return payload;
}

/**
 * `t=<digits>` and at least one `v1=<hex>`; other schemes (v0) are ignored as Stripe's library does. The library
 * throws a plain Error (not its verification error) on an empty `v1=`, so malformed headers stop here.
 */
function wellFormedSignatureHeader(header: string): boolean {
  let t = false;
  let v1 = false;
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? "" : part.slice(eq + 1);
    if (key === "t") {
      if (!/^\d{1,12}$/.test(value)) return false;
      t = true;
    } else if (key === "v1") {
      if (!/^[0-9a-f]{1,128}$/i.test(value)) return false;
      v1 = true;
    }
  }
  return t && v1;
}

export async function receiveStripeWebhook(database: DB, merchantId: string | undefined, rawBody: string, signature: string | null): Promise<IngestResult> {
  if (!merchantId || !isId("merchant", merchantId)) throw invalidSignature();
  // Parsing is iterative, but storing and mapping the event walk it recursively.
  if (jsonTooDeep(rawBody)) throw new DomainError("invalid_payload", `The event nests deeper than ${MAX_JSON_DEPTH} levels`);
  const secret = await withTenant(database, merchantId, (trx) => webhookSecretFor(trx, merchantId));
  if (!secret) throw invalidSignature();
  const payload = verifyStripeSignature(rawBody, signature, secret);
  return ingestStripeEvent(database, merchantId, payload, "webhook");
}
