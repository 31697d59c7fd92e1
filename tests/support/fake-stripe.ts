import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import Stripe from "stripe";
import { freePort } from "./free-port";

/**
 * A local stand-in for the parts of the Stripe API Perennial calls (GET /v1/events, GET /v1/events/:id), on a free
 * loopback port; point STRIPE_API_URL at `url`. Objects are Stripe's own example objects (./stripe-fixtures.json,
 * from stripe/openapi's fixtures3.json) with the fields a scenario needs filled in. Plus helpers that sign webhook
 * payloads the way Stripe does (stripe.webhooks.generateTestHeaderString).
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Stripe example objects are loose JSON by nature
type Json = any;

const FIXTURES: Record<string, Json> = JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "stripe-fixtures.json"), "utf8")).resources;

function fixture(name: string): Json {
  return structuredClone(FIXTURES[name]);
}

export function stripeId(prefix: string): string {
  return `${prefix}_${randomBytes(18).toString("base64url").replace(/[-_]/g, "x").slice(0, 24)}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

// ---- realistic objects -------------------------------------------------------------------------------------

export function checkoutSession(o: {
  email: string;
  amount: number;
  currency?: string;
  paymentIntent?: string | null;
  id?: string;
  invoice?: string | null;
  mode?: "payment" | "subscription" | "setup";
  paymentStatus?: "paid" | "unpaid" | "no_payment_required";
}): Json {
  const s = fixture("checkout.session");
  s.id = o.id ?? stripeId("cs_test");
  s.mode = o.mode ?? "payment";
  s.status = "complete";
  s.payment_status = o.paymentStatus ?? "paid";
  s.payment_intent = o.paymentIntent === undefined ? stripeId("pi") : o.paymentIntent;
  s.invoice = o.invoice ?? null;
  s.amount_subtotal = o.amount;
  s.amount_total = o.amount;
  s.currency = (o.currency ?? "usd").toLowerCase();
  s.customer_details.email = o.email;
  s.customer_email = null;
  s.url = null;
  s.shipping_cost = null;
  s.total_details = { amount_discount: 0, amount_shipping: 0, amount_tax: 0 };
  s.currency_conversion = null;
  return s;
}

export function invoice(o: { email: string; amount: number; currency?: string; id?: string; paymentIntent?: string | null; paidAt?: number }): Json {
  const inv = fixture("invoice");
  inv.id = o.id ?? stripeId("in");
  inv.status = "paid";
  inv.customer_email = o.email;
  inv.amount_due = o.amount;
  inv.amount_paid = o.amount;
  inv.amount_remaining = 0;
  inv.total = o.amount;
  inv.subtotal = o.amount;
  inv.currency = (o.currency ?? "usd").toLowerCase();
  inv.status_transitions.paid_at = o.paidAt ?? nowSeconds();
  // Since API version 2025-03-31 the PaymentIntent is reached through `payments` (when the endpoint includes it).
  if (o.paymentIntent) {
    inv.payments = { object: "list", has_more: false, url: `/v1/invoice_payments?invoice=${inv.id}`, data: [
        {
          object: "invoice_payment",
          id: stripeId("inpay"),
          invoice: inv.id,
          amount_paid: o.amount,
          currency: inv.currency,
          is_default: true,
          status: "paid",
          payment: { type: "payment_intent", payment_intent: o.paymentIntent },
        },
      ],
    };
  }
  return inv;
}

/** The InvoicePayment object of an `invoice_payment.paid` event (it has no example in fixtures3.json). */
export function invoicePayment(o: { invoice: string; paymentIntent: string; amount: number; currency?: string }): Json {
  return {
    id: stripeId("inpay"),
    object: "invoice_payment",
    amount_paid: o.amount,
    amount_requested: o.amount,
    created: nowSeconds(),
    currency: (o.currency ?? "usd").toLowerCase(),
    invoice: o.invoice,
    is_default: true,
    livemode: false,
    payment: { type: "payment_intent", payment_intent: o.paymentIntent },
    status: "paid",
    status_transitions: { canceled_at: null, paid_at: nowSeconds() },
  };
}

export function charge(o: { paymentIntent: string | null; amount: number; amountRefunded?: number; currency?: string; fingerprint?: string; id?: string; email?: string | null }): Json {
  const c = fixture("charge");
  c.id = o.id ?? stripeId("ch");
  c.payment_intent = o.paymentIntent;
  c.amount = o.amount;
  c.amount_captured = o.amount;
  c.captured = true;
  c.amount_refunded = o.amountRefunded ?? 0;
  c.refunded = (o.amountRefunded ?? 0) >= o.amount;
  c.currency = (o.currency ?? "usd").toLowerCase();
  c.billing_details.email = o.email ?? null;
  c.payment_method_details.card.fingerprint = o.fingerprint ?? "AOB934RVNwzk6xtn";
  delete c.source;
  return c;
}

export function dispute(o: { charge: string; paymentIntent: string | null; amount: number; status: string; currency?: string; id?: string }): Json {
  const d = fixture("dispute");
  d.id = o.id ?? stripeId("dp");
  d.charge = o.charge;
  d.payment_intent = o.paymentIntent;
  d.amount = o.amount;
  d.status = o.status;
  d.currency = (o.currency ?? "usd").toLowerCase();
  return d;
}

export function stripeEvent(type: string, object: Json, o: { id?: string; created?: number; livemode?: boolean } = {}): Json {
  const e = fixture("event");
  e.id = o.id ?? stripeId("evt");
  e.type = type;
  e.created = o.created ?? nowSeconds();
  e.livemode = o.livemode ?? false;
  e.api_version = "2025-03-31.basil";
  e.data = { object };
  e.pending_webhooks = 1;
  e.request = { id: stripeId("req"), idempotency_key: null };
  return e;
}

/** One card purchase through Checkout and the events around it, sharing PaymentIntent, charge and card. */
export function purchaseScenario(o: { email: string; amount: number; currency?: string; fingerprint?: string }) {
  const pi = stripeId("pi");
  const chargeId = stripeId("ch");
  const fingerprint = o.fingerprint ?? randomBytes(12).toString("base64url").slice(0, 16);
  const session = checkoutSession({ email: o.email, amount: o.amount, currency: o.currency, paymentIntent: pi });
  const chargeWith = (amountRefunded: number) => charge({ id: chargeId, paymentIntent: pi, amount: o.amount, amountRefunded, currency: o.currency, fingerprint });
  const disputeId = stripeId("dp");
  return {
    pi,
    chargeId,
    fingerprint,
    session,
    purchased: (created?: number) => stripeEvent("checkout.session.completed", session, { created }),
    succeeded: (created?: number) => stripeEvent("charge.succeeded", chargeWith(0), { created }),
    refunded: (amountRefunded: number, created?: number) => stripeEvent("charge.refunded", chargeWith(amountRefunded), { created }),
    disputeEvent: (type: string, status: string, created?: number) =>
      stripeEvent(type, dispute({ id: disputeId, charge: chargeId, paymentIntent: pi, amount: o.amount, status, currency: o.currency }), { created }),
  };
}

// ---- webhook signatures --------------------------------------------------------------------------------------

export function webhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64").replace(/[+/=]/g, "A")}`;
}

/** A Stripe-Signature header: one v1 signature per secret (several during a secret rotation), same timestamp. */
export function signatureHeader(payload: string, secrets: string | string[], timestamp = nowSeconds()): string {
  const list = Array.isArray(secrets) ? secrets : [secrets];
  const sigs = list.map((secret) => Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp }).split(",").find((p) => p.startsWith("v1="))!);
  return [`t=${timestamp}`, ...sigs].join(",");
}

export interface WebhookResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- asserted on, not typed
  json: any;
}

/** POSTs an event to the app's webhook endpoint over HTTP, signed (or deliberately mis-signed) like Stripe does. */
export async function deliverWebhook(
  baseUrl: string,
  merchantId: string,
  event: Json,
  o: { secret?: string | string[]; timestamp?: number; header?: string | null; body?: string } = {},
): Promise<WebhookResponse> {
  const payload = typeof event === "string" ? event : JSON.stringify(event, null, 2);
  const header = o.header !== undefined ? o.header : signatureHeader(payload, o.secret ?? [], o.timestamp);
  const headers: Record<string, string> = { "Content-Type": "application/json; charset=utf-8", "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)" };
  if (header !== null) headers["Stripe-Signature"] = header;
  const res = await fetch(`${baseUrl}/webhooks/stripe/${merchantId}`, { method: "POST", headers, body: o.body ?? payload });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

// ---- the fake API server -------------------------------------------------------------------------------------

export interface FakeStripe {
  url: string;
  /** Events the fake account has, in creation order; reconcile lists them. */
  events: Json[];
  /** Requests received, for assertions (method, path, query, the key used). */
  requests: Array<{ method: string; path: string; query: URLSearchParams; apiKey: string | null }>;
  /** Keys the fake account accepts (any well-formed test key when empty). */
  apiKeys: Set<string>;
  /**
   * Invoices GET /v1/invoices/{id} serves, with their discounts as objects: like Stripe, the answer names each discount
   * of `total_discount_amounts` by id unless `expand[]=total_discount_amounts.discount` asks for the object.
   */
  invoices: Json[];
  close(): Promise<void>;
}

function stripeError(res: http.ServerResponse, status: number, type: string, message: string, param?: string) {
  send(res, status, { error: { type, message, ...(param ? { param } : {}) } });
}

function send(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "Content-Type": "application/json", "Request-Id": stripeId("req"), "Stripe-Version": "2025-03-31.basil" });
  res.end(JSON.stringify(body));
}

function listEvents(fake: FakeStripe, q: URLSearchParams, res: http.ServerResponse) {
  const limitRaw = q.get("limit");
  const limit = limitRaw === null ? 10 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) return stripeError(res, 400, "invalid_request_error", "Invalid integer: limit must be between 1 and 100", "limit");
  const bound = (op: string) => (q.has(`created[${op}]`) ? Number(q.get(`created[${op}]`)) : null);
  const gte = bound("gte");
  const gt = bound("gt");
  const lte = bound("lte");
  const lt = bound("lt");
  const exact = q.has("created") ? Number(q.get("created")) : null;
  const types = [...q.entries()].filter(([k]) => /^types\[\d*\]$/.test(k)).map(([, v]) => v);
  const type = q.get("type");
  const matchType = (t: string) => (types.length ? types.includes(t) : type ? (type.endsWith(".*") ? t.startsWith(type.slice(0, -1)) : t === type) : true);

  // Newest first, like Stripe.
  const all = fake.events
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => (gte === null || e.created >= gte) && (gt === null || e.created > gt) && (lte === null || e.created <= lte) && (lt === null || e.created < lt) && (exact === null || e.created === exact))
    .filter(({ e }) => matchType(e.type))
    .sort((a, b) => b.e.created - a.e.created || b.i - a.i)
    .map(({ e }) => e);
  let start = 0;
  const after = q.get("starting_after");
  if (after) {
    const at = all.findIndex((e) => e.id === after);
    if (at < 0) return stripeError(res, 400, "invalid_request_error", `No such event: '${after}'`, "starting_after");
    start = at + 1;
  }
  const page = all.slice(start, start + limit);
  send(res, 200, { object: "list", url: "/v1/events", has_more: start + limit < all.length, data: page });
}

export async function startFakeStripe(): Promise<FakeStripe> {
  const port = await freePort();
  const fake: FakeStripe = { url: `http://127.0.0.1:${port}`, events: [], requests: [], apiKeys: new Set(), invoices: [], close: async () => {} };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", fake.url);
    const auth = req.headers.authorization ?? "";
    const apiKey = auth.startsWith("Bearer ") ? auth.slice(7) : null;
    fake.requests.push({ method: req.method ?? "GET", path: url.pathname, query: url.searchParams, apiKey });
    req.resume();
    if (!apiKey || (fake.apiKeys.size ? !fake.apiKeys.has(apiKey) : !/^(rk|sk)_(test|live)_/.test(apiKey))) {
      return stripeError(res, 401, "invalid_request_error", `Invalid API Key provided: ${(apiKey ?? "").slice(0, 8)}****`);
    }
    if (req.method === "GET" && url.pathname === "/v1/events") return listEvents(fake, url.searchParams, res);
    const one = /^\/v1\/events\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && one) {
      const e = fake.events.find((x) => x.id === decodeURIComponent(one[1]!));
      return e ? send(res, 200, e) : stripeError(res, 404, "invalid_request_error", `No such event: '${one[1]}'`, "id");
    }
    const inv = /^\/v1\/invoices\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && inv) {
      const found = fake.invoices.find((x) => x.id === decodeURIComponent(inv[1]!));
      if (!found) return stripeError(res, 404, "invalid_request_error", `No such invoice: '${inv[1]}'`, "id");
      // stripe-node sends expand[0]=…; curl users write expand[]=….
      const expands = [...url.searchParams.entries()].filter(([k]) => /^expand\[\d*\]$/.test(k)).map(([, v]) => v);
      const expanded = expands.includes("total_discount_amounts.discount");
      const amounts = (found.total_discount_amounts ?? []).map((d: Json) => ({ ...d, discount: expanded || typeof d.discount === "string" ? d.discount : d.discount.id }));
      return send(res, 200, { ...found, total_discount_amounts: amounts });
    }
    stripeError(res, 404, "invalid_request_error", `Unrecognized request URL (${req.method}: ${url.pathname}).`);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

// ---- the app, over real HTTP -----------------------------------------------------------------------------------

/**
 * The production build served on a free port (tests/support/app-server.ts), built first when the sources changed.
 * Test files of one run may start it at once: a lock directory keeps them from building over each other.
 */
export async function startBuiltApp(): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const { ensureBuild } = await import("../../app/server/build.server");
  const { startAppServer } = await import("./app-server");
  const lock = path.resolve("node_modules/.cache/perennial-build.lock");
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      // A lock older than three minutes belongs to a run that died.
      const st = fs.statSync(lock, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs > 180_000) fs.rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error("timed out waiting for another test file to finish building the app");
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    ensureBuild();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
  return startAppServer();
}

// ---- merchants wired to Stripe -------------------------------------------------------------------------------

/** A merchant with Stripe credentials stored the way the settings page stores them (encrypted). */
export async function connectedMerchant(opts: { currency?: string } = {}) {
  const { createMerchant } = await import("./admin");
  const { testDb } = await import("./db");
  const { saveStripeCredentials } = await import("../../app/domain/stripe/connection.server");
  const merchant = await createMerchant({ currency: opts.currency ?? "USD" });
  const secret = webhookSecret();
  const apiKey = `rk_test_${randomBytes(24).toString("hex")}`;
  await saveStripeCredentials(testDb(), merchant.id, { webhookSecret: secret, apiKey }, { type: "system", id: null });
  return { ...merchant, secret, apiKey };
}

/** Row counts that "no effect" is measured against. */
export async function stripeFootprint(merchantId: string) {
  const { sql } = await import("kysely");
  const { withTenant } = await import("../../app/db.server");
  const { testDb } = await import("./db");
  return withTenant(testDb(), merchantId, async (trx) => {
    const r = await sql<Record<string, number>>`select
      (select count(*)::int from stripe_events) as events,
      (select count(*)::int from stripe_payments) as payments,
      (select count(*)::int from orders) as orders,
      (select count(*)::int from members) as members,
      (select count(*)::int from ledger_journals) as journals`.execute(trx);
    return r.rows[0]!;
  });
}
