import http from "node:http";
import { freePort } from "./free-port";
import { nowSeconds, stripeId } from "./fake-stripe";

/**
 * A local stand-in for the Stripe endpoints rewards call: coupons, promotion codes, customers (list by e-mail,
 * create) and customer balance transactions. Like Stripe it replays a request with a seen Idempotency-Key (same
 * response, no new object), refuses a duplicate coupon id with `resource_already_exists`, and a duplicate active
 * promotion code. `fail` queues scripted failures (500s, 400s, 429s) for matching requests.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Stripe objects are loose JSON by nature
type Json = any;

export interface ScriptedFailure {
  method: string;
  path: RegExp;
  status: number;
  times: number;
  code?: string;
  message?: string;
}

export interface FakeStripeRewards {
  url: string;
  coupons: Map<string, Json>;
  promotionCodes: Json[];
  customers: Json[];
  balanceTransactions: Json[];
  /** Every request: method, path, form body, idempotency key. */
  requests: Array<{ method: string; path: string; form: URLSearchParams; idempotencyKey: string | null }>;
  fail(f: Omit<ScriptedFailure, "times"> & { times?: number }): void;
  close(): Promise<void>;
}

export async function startFakeStripeRewards(): Promise<FakeStripeRewards> {
  const port = await freePort();
  const failures: ScriptedFailure[] = [];
  const replays = new Map<string, { status: number; body: Json }>();
  const fake: FakeStripeRewards = {
    url: `http://127.0.0.1:${port}`,
    coupons: new Map(),
    promotionCodes: [],
    customers: [],
    balanceTransactions: [],
    requests: [],
    fail: (f) => failures.push({ times: 1, ...f }),
    close: async () => {},
  };

  const send = (res: http.ServerResponse, status: number, body: Json) => {
    res.writeHead(status, { "Content-Type": "application/json", "Request-Id": stripeId("req") });
    res.end(JSON.stringify(body));
  };
  const error = (status: number, message: string, code?: string, type = "invalid_request_error") => ({ status, body: { error: { type, message, ...(code ? { code } : {}) } } });

  function handle(method: string, path: string, form: URLSearchParams, query: URLSearchParams): { status: number; body: Json } {
    if (method === "POST" && path === "/v1/coupons") {
      const id = form.get("id") ?? stripeId("co");
      if (fake.coupons.has(id)) return error(400, `Coupon already exists.`, "resource_already_exists");
      const coupon = {
        id,
        object: "coupon",
        name: form.get("name"),
        duration: form.get("duration"),
        amount_off: form.has("amount_off") ? Number(form.get("amount_off")) : null,
        percent_off: form.has("percent_off") ? Number(form.get("percent_off")) : null,
        currency: form.get("currency"),
        valid: true,
        created: nowSeconds(),
      };
      fake.coupons.set(id, coupon);
      return { status: 200, body: coupon };
    }
    if (method === "POST" && path === "/v1/promotion_codes") {
      const couponId = form.get("promotion[coupon]");
      if (!couponId || !fake.coupons.has(couponId)) return error(400, `No such coupon: '${couponId}'`, "resource_missing");
      const code = form.get("code") ?? stripeId("PROMO").toUpperCase();
      if (!/^[a-zA-Z0-9]+$/.test(code)) return error(400, "Invalid code", "parameter_invalid_string");
      if (fake.promotionCodes.some((p) => p.code.toUpperCase() === code.toUpperCase() && p.active)) return error(400, "An active promotion code with this code already exists.", "resource_already_exists");
      const promo = {
        id: stripeId("promo"),
        object: "promotion_code",
        code,
        active: true,
        promotion: { type: "coupon", coupon: couponId },
        max_redemptions: form.has("max_redemptions") ? Number(form.get("max_redemptions")) : null,
        expires_at: form.has("expires_at") ? Number(form.get("expires_at")) : null,
        restrictions: { minimum_amount: form.has("restrictions[minimum_amount]") ? Number(form.get("restrictions[minimum_amount]")) : null },
        metadata: { perennial_redemption_id: form.get("metadata[perennial_redemption_id]") },
        created: nowSeconds(),
      };
      fake.promotionCodes.push(promo);
      return { status: 200, body: promo };
    }
    if (method === "GET" && path === "/v1/customers") {
      const email = query.get("email");
      const data = fake.customers.filter((c) => !email || c.email === email).slice(0, Number(query.get("limit") ?? 10));
      return { status: 200, body: { object: "list", url: "/v1/customers", has_more: false, data } };
    }
    if (method === "POST" && path === "/v1/customers") {
      const c = { id: stripeId("cus"), object: "customer", email: form.get("email"), name: form.get("name"), balance: 0, created: nowSeconds() };
      fake.customers.push(c);
      return { status: 200, body: c };
    }
    const bt = /^\/v1\/customers\/([^/]+)\/balance_transactions$/.exec(path);
    if (method === "POST" && bt) {
      const customer = fake.customers.find((c) => c.id === bt[1]);
      if (!customer) return error(404, `No such customer: '${bt[1]}'`, "resource_missing");
      const amount = Number(form.get("amount"));
      customer.balance += amount;
      const txn = { id: stripeId("cbtxn"), object: "customer_balance_transaction", amount, currency: form.get("currency"), customer: customer.id, ending_balance: customer.balance, created: nowSeconds() };
      fake.balanceTransactions.push(txn);
      return { status: 200, body: txn };
    }
    return error(404, `Unrecognized request URL (${method}: ${path}).`);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", fake.url);
      const method = req.method ?? "GET";
      const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      const idempotencyKey = (req.headers["idempotency-key"] as string | undefined) ?? null;
      fake.requests.push({ method, path: url.pathname, form, idempotencyKey });
      if (!/^Bearer (rk|sk)_(test|live)_/.test(req.headers.authorization ?? "")) return send(res, 401, { error: { type: "invalid_request_error", message: "Invalid API Key provided" } });
      const scripted = failures.find((f) => f.method === method && f.path.test(url.pathname) && f.times > 0);
      if (scripted) {
        scripted.times -= 1;
        const type = scripted.status >= 500 ? "api_error" : "invalid_request_error";
        return send(res, scripted.status, { error: { type, message: scripted.message ?? `Scripted failure ${scripted.status}`, ...(scripted.code ? { code: scripted.code } : {}) } });
      }
      const replayKey = idempotencyKey ? `${method} ${url.pathname} ${idempotencyKey}` : null;
      const seen = replayKey ? replays.get(replayKey) : undefined;
      if (seen) return send(res, seen.status, seen.body);
      const out = handle(method, url.pathname, form, url.searchParams);
      // Stripe stores the result of a keyed request (success or 4xx) and replays it.
      if (replayKey && out.status < 500) replays.set(replayKey, out);
      send(res, out.status, out.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
