import { spawn } from "node:child_process";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { reconcileStripeEvents } from "~/domain/stripe/reconcile.server";
import { resetEnvCache } from "~/lib/env.server";
import { testDb, ownerUrl } from "../../support/db";
import { expectConsoleErrors } from "../../support/fail-on-console-error";
import {
  connectedMerchant,
  deliverWebhook,
  nowSeconds,
  purchaseScenario,
  signatureHeader,
  startBuiltApp,
  startFakeStripe,
  stripeEvent,
  stripeFootprint,
  webhookSecret,
  type FakeStripe,
} from "../../support/fake-stripe";

/**
 * reliability.md W1, W2, W4 through the real HTTP server (the production build), with a local fake of the Stripe
 * API for the reconcile command.
 */

// Both this process and the served build read it; set before either parses the environment.
process.env.ENCRYPTION_KEY ??= "5e".repeat(32);

let app: { baseUrl: string; close: () => Promise<void> };
let fake: FakeStripe;
beforeAll(async () => {
  fake = await startFakeStripe();
  process.env.STRIPE_API_URL = fake.url;
  resetEnvCache();
  app = await startBuiltApp();
}, 180_000);
afterAll(async () => {
  await app?.close();
  await fake?.close();
});

async function storedEvents(merchantId: string) {
  return withTenant(testDb(), merchantId, (trx) =>
    trx.selectFrom("stripe_events").select(["event_id", "type", "outcome", "received_via", "payload"]).where("merchant_id", "=", merchantId).execute(),
  );
}

async function asOwner<T>(fn: (c: pg.Client) => Promise<T>, database?: string): Promise<T> {
  const url = new URL(ownerUrl);
  if (database) url.pathname = `/${database}`;
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const EMPTY = { events: 0, payments: 0, orders: 0, members: 0, journals: 0 };

describe("W1 signatures", () => {
  it("a correctly signed purchase is stored once and answered 200 only after it is committed", async () => {
    const m = await connectedMerchant();
    const s = purchaseScenario({ email: "w1-ok@example.com", amount: 4250 });
    const event = s.purchased();
    const res = await deliverWebhook(app.baseUrl, m.id, event, { secret: m.secret });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ received: true, outcome: expect.stringMatching(/^order ord_\w+ recorded for member mbr_\w+: \d+ points/) });
    // Visible to another connection the moment the 200 arrives: acknowledged after the commit.
    const rows = await storedEvents(m.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ event_id: event.id, type: "checkout.session.completed", received_via: "webhook" });
    expect(rows[0]!.payload).toEqual(event);
    expect(await stripeFootprint(m.id)).toMatchObject({ events: 1, orders: 1, members: 1, payments: 1 });
  });

  it("a tampered body, a wrong secret, a missing header, an old or a future timestamp → 400 and nothing stored", async () => {
    const m = await connectedMerchant();
    const s = purchaseScenario({ email: "w1-bad@example.com", amount: 5000 });
    const event = s.purchased();
    const payload = JSON.stringify(event);
    const tampered = payload.replace('"amount_total":5000', '"amount_total":500000');
    expect(tampered).not.toBe(payload);
    const now = nowSeconds();
    const attempts = [
      { name: "tampered body", o: { header: signatureHeader(payload, m.secret), body: tampered } },
      { name: "wrong secret", o: { secret: webhookSecret() } },
      { name: "no signature header", o: { header: null } },
      { name: "garbage header", o: { header: "not a signature" } },
      { name: "signature without timestamp", o: { header: signatureHeader(payload, m.secret).replace(/^t=\d+,/, "") } },
      // A second or two of slack for the clock ticking between signing and checking.
      { name: "timestamp 303 s old", o: { secret: m.secret, timestamp: now - 303 } },
      { name: "timestamp an hour old", o: { secret: m.secret, timestamp: now - 3600 } },
      { name: "timestamp 303 s in the future", o: { secret: m.secret, timestamp: now + 303 } },
      { name: "timestamp a day in the future", o: { secret: m.secret, timestamp: now + 86_400 } },
    ];
    for (const a of attempts) {
      const res = await deliverWebhook(app.baseUrl, m.id, a.o.body ? payload : event, a.o);
      expect(res.status, a.name).toBe(400);
      expect(res.json, a.name).toEqual({ error: { code: "invalid_signature", message: expect.any(String) } });
    }
    expect(await stripeFootprint(m.id)).toEqual(EMPTY);
  });

  it("timestamps inside the window either side (clock skew) are accepted", async () => {
    const m = await connectedMerchant();
    const now = nowSeconds();
    for (const [i, t] of [now - 280, now + 60].entries()) {
      const s = purchaseScenario({ email: `w1-skew${i}@example.com`, amount: 1000 });
      expect((await deliverWebhook(app.baseUrl, m.id, s.purchased(), { secret: m.secret, timestamp: t })).status).toBe(200);
    }
    expect((await stripeFootprint(m.id)).orders).toBe(2);
  });

  it("during a secret rotation (old and new signatures in one header) the event is accepted; the old one alone is not", async () => {
    const m = await connectedMerchant();
    const old = webhookSecret();
    const s = purchaseScenario({ email: "w1-rotate@example.com", amount: 2000 });
    const event = s.purchased();
    const payload = JSON.stringify(event);
    expect((await deliverWebhook(app.baseUrl, m.id, payload, { header: signatureHeader(payload, old) })).status).toBe(400);
    const both = signatureHeader(payload, [old, m.secret]);
    expect(both.match(/v1=/g)).toHaveLength(2);
    const res = await deliverWebhook(app.baseUrl, m.id, payload, { header: both });
    expect(res.status).toBe(200);
    expect(res.json.duplicate).toBeUndefined();
    // Order of the signatures does not matter.
    const s2 = purchaseScenario({ email: "w1-rotate2@example.com", amount: 2000 });
    expect((await deliverWebhook(app.baseUrl, m.id, s2.purchased(), { secret: [m.secret, old] })).status).toBe(200);
    expect((await stripeFootprint(m.id)).orders).toBe(2);
  });

  it("an unknown merchant, a malformed id and a merchant without a secret get the same 400", async () => {
    const connected = await connectedMerchant();
    const { createMerchant } = await import("../../support/admin");
    const bare = await createMerchant();
    const event = purchaseScenario({ email: "w1-who@example.com", amount: 100 }).purchased();
    const answers = [];
    for (const id of ["mch_aaaaaaaaaaaaaaaaaaaaaaaaaa", "not-an-id", bare.id]) {
      const res = await deliverWebhook(app.baseUrl, id, event, { secret: connected.secret });
      answers.push([res.status, res.json]);
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]![0]).toBe(400);
    expect(await stripeFootprint(bare.id)).toEqual(EMPTY);
  });

  it("a signed body that is not JSON, or not an event, is a 400 with nothing stored", async () => {
    const m = await connectedMerchant();
    for (const body of ["{not json", JSON.stringify({ hello: "world" }), JSON.stringify({ id: "evt_1", type: "x", created: "yesterday", data: { object: {} } })]) {
      const res = await deliverWebhook(app.baseUrl, m.id, body, { secret: m.secret });
      expect(res.status, body).toBe(400);
      expect(res.json.error.code).toMatch(/^invalid_(payload|event)$/);
    }
    expect(await stripeFootprint(m.id)).toEqual(EMPTY);
  });

  it("GET is 405; the Origin check does not apply to the webhook", async () => {
    const m = await connectedMerchant();
    const res = await fetch(`${app.baseUrl}/webhooks/stripe/${m.id}`);
    expect(res.status).toBe(405);
    const post = await deliverWebhook(app.baseUrl, m.id, purchaseScenario({ email: "w1-origin@example.com", amount: 100 }).purchased(), { secret: m.secret });
    expect(post.status).toBe(200);
  });
});

describe("W2 duplicates", () => {
  it("the same event 5× in sequence → one effect; replays answer 200 duplicate", async () => {
    const m = await connectedMerchant();
    const s = purchaseScenario({ email: "w2-seq@example.com", amount: 10_000 });
    const event = s.purchased();
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await deliverWebhook(app.baseUrl, m.id, event, { secret: m.secret }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers[0]!.json.duplicate).toBeUndefined();
    for (const a of answers.slice(1)) expect(a.json).toEqual({ received: true, duplicate: true, outcome: answers[0]!.json.outcome });
    const after = await stripeFootprint(m.id);
    expect(after).toMatchObject({ events: 1, orders: 1, members: 1 });

    // A refund delivered 5× reverses once.
    const refund = s.refunded(10_000);
    for (let i = 0; i < 5; i++) expect((await deliverWebhook(app.baseUrl, m.id, refund, { secret: m.secret })).status).toBe(200);
    const reversals = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("ledger_journals").select("points").where("merchant_id", "=", m.id).where("kind", "=", "reverse").execute());
    expect(reversals).toHaveLength(1);
  });

  it("the same event 5× at once → exactly one is applied, the others are duplicates", async () => {
    const m = await connectedMerchant();
    const s = purchaseScenario({ email: "w2-par@example.com", amount: 7_500 });
    const event = s.purchased();
    const answers = await Promise.all(Array.from({ length: 5 }, () => deliverWebhook(app.baseUrl, m.id, event, { secret: m.secret })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((a) => !a.json.duplicate)).toHaveLength(1);
    expect(await stripeFootprint(m.id)).toMatchObject({ events: 1, orders: 1, members: 1 });
    const earns = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("ledger_journals").select("id").where("merchant_id", "=", m.id).where("source", "=", "order").execute());
    expect(earns).toHaveLength(1);

    // And 5 concurrent copies of a dispute withdrawal reverse once.
    const withdrawn = s.disputeEvent("charge.dispute.funds_withdrawn", "needs_response");
    const again = await Promise.all(Array.from({ length: 5 }, () => deliverWebhook(app.baseUrl, m.id, withdrawn, { secret: m.secret })));
    expect(again.filter((a) => a.status === 200 && !a.json.duplicate)).toHaveLength(1);
    const disputes = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("ledger_journals").select("points").where("merchant_id", "=", m.id).where("source", "=", "dispute").execute());
    expect(disputes).toEqual([{ points: -75 }]);
  });

  it("two different events of one new customer at once create one member and one order", async () => {
    const m = await connectedMerchant();
    const s = purchaseScenario({ email: "w2-race@example.com", amount: 3_000 });
    const answers = await Promise.all([s.purchased(), s.succeeded(), s.refunded(1_000)].map((e) => deliverWebhook(app.baseUrl, m.id, e, { secret: m.secret })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(await stripeFootprint(m.id)).toMatchObject({ events: 3, orders: 1, members: 1, payments: 1 });
    const order = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("orders").selectAll().where("merchant_id", "=", m.id).executeTakeFirstOrThrow());
    // Whatever the interleaving, the refund and the card reached the order.
    expect(order).toMatchObject({ refunded_minor: 1_000, card_fingerprint: s.fingerprint, stripe_payment_key: s.pi });
  });
});

describe("W4 outages", () => {
  it("a failing database → 500 so Stripe retries, nothing half-written; the retry then applies it once", async () => {
    const m = await connectedMerchant();
    const s = purchaseScenario({ email: "w4-fail@example.com", amount: 6_000 });
    const event = s.purchased();
    // The very last statement of the transaction (storing the event) fails: the order written before it must go too.
    await asOwner((c) => c.query("revoke insert on stripe_events from perennial_app"));
    let res;
    try {
      res = await deliverWebhook(app.baseUrl, m.id, event, { secret: m.secret });
    } finally {
      await asOwner((c) => c.query("grant insert on stripe_events to perennial_app"));
    }
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ error: { code: "internal_error", message: expect.any(String) } });
    expect(expectConsoleErrors().length).toBeGreaterThan(0);
    expect(await stripeFootprint(m.id)).toMatchObject({ events: 0, orders: 0, members: 0, journals: 0, payments: 0 });

    const retry = await deliverWebhook(app.baseUrl, m.id, event, { secret: m.secret });
    expect(retry.status).toBe(200);
    expect(retry.json.duplicate).toBeUndefined();
    expect(await stripeFootprint(m.id)).toMatchObject({ events: 1, orders: 1, members: 1 });
  });

  it("PostgreSQL refusing connections → 500; once it is back the delivery succeeds", async (ctx) => {
    const superuser = await asOwner(async (c) => (await c.query("select rolsuper from pg_roles where rolname = current_user")).rows[0].rolsuper as boolean);
    // Terminating other sessions needs a superuser (the embedded test server has one; a TEST_DATABASE_URL may not).
    if (!superuser) ctx.skip();
    const m = await connectedMerchant();
    const event = purchaseScenario({ email: "w4-down@example.com", amount: 2_500 }).purchased();
    let res;
    const db = new URL(ownerUrl).pathname.slice(1);
    // From another database: a database cannot refuse connections to itself while we are connected to it.
    await asOwner(async (c) => {
      try {
        await c.query(`alter database "${db}" allow_connections false`);
        await c.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1", [db]);
        res = await deliverWebhook(app.baseUrl, m.id, event, { secret: m.secret });
      } finally {
        await c.query(`alter database "${db}" allow_connections true`);
      }
    }, "postgres");
    expect(res!.status).toBe(500);
    expectConsoleErrors();
    expect(await stripeFootprint(m.id)).toMatchObject({ events: 0, orders: 0 });
    const retry = await deliverWebhook(app.baseUrl, m.id, event, { secret: m.secret });
    expect(retry.status).toBe(200);
    expect(await stripeFootprint(m.id)).toMatchObject({ events: 1, orders: 1 });
    expectConsoleErrors();
  });

  it("reconcile replays the events missed while the endpoint was down, oldest first, through pages of 100; again changes nothing", async () => {
    const m = await connectedMerchant();
    fake.apiKeys.add(m.apiKey);
    const t0 = nowSeconds() - 3600;
    const s = purchaseScenario({ email: "w4-reconcile@example.com", amount: 10_000 });
    // What happened at Stripe, in order. Only the first event reached us; the rest were lost to an outage.
    const history = [s.purchased(t0), s.succeeded(t0 + 1), s.refunded(2_500, t0 + 60), s.refunded(5_000, t0 + 120)];
    // Other customers' noise so listing needs several pages: disputes in inquiry (no effect).
    const noise = Array.from({ length: 130 }, (_, i) =>
      purchaseScenario({ email: `noise${i}@example.com`, amount: 100 }).disputeEvent("charge.dispute.created", "warning_needs_response", t0 + 200 + i),
    );
    const before = fake.events.length;
    fake.events.push(...history, ...noise, stripeEvent("customer.created", { id: "cus_x", object: "customer" }, { created: t0 + 5 }));
    expect((await deliverWebhook(app.baseUrl, m.id, history[0], { secret: m.secret })).status).toBe(200);

    const r = await reconcileStripeEvents(testDb(), m.id, { since: new Date((t0 - 10) * 1000) });
    // customer.created is not a type we ask for.
    expect(r).toMatchObject({ seen: history.length + noise.length, alreadyHad: 1, applied: history.length + noise.length - 1 });
    expect(r.outcomes.map((o) => o.eventId)).toEqual([...history.slice(1), ...noise].map((e) => e.id));
    expect(r.outcomes[2]!.outcome).toMatch(/refunded 5000 so far.*points reversed/);

    const listCalls = fake.requests.filter((q) => q.path === "/v1/events" && q.apiKey === m.apiKey);
    expect(listCalls.length).toBeGreaterThanOrEqual(2);
    expect(listCalls[0]!.query.get("limit")).toBe("100");
    expect(listCalls[0]!.query.get("created[gte]")).toBe(String(t0 - 10));
    expect([...listCalls[0]!.query.entries()].filter(([k]) => k.startsWith("types[")).map(([, v]) => v)).toContain("charge.refunded");
    expect(listCalls.some((q) => q.query.has("starting_after"))).toBe(true);

    const order = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("orders").selectAll().where("merchant_id", "=", m.id).executeTakeFirstOrThrow());
    expect(order).toMatchObject({ refunded_minor: 5_000, card_fingerprint: s.fingerprint });
    const vias = await storedEvents(m.id);
    expect(vias.filter((v) => v.received_via === "reconcile")).toHaveLength(r.applied);

    const again = await reconcileStripeEvents(testDb(), m.id, { since: new Date((t0 - 10) * 1000) });
    expect(again.applied).toBe(0);
    expect(again.alreadyHad).toBe(again.seen);
    fake.events.splice(before);
  });

  it("npm run cli -- stripe reconcile prints the counts", async () => {
    const m = await connectedMerchant();
    fake.apiKeys.add(m.apiKey);
    const t0 = nowSeconds() - 600;
    const s = purchaseScenario({ email: "w4-cli@example.com", amount: 1_200 });
    const before = fake.events.length;
    const events = [s.purchased(t0), s.succeeded(t0 + 1)];
    fake.events.push(...events);
    const since = new Date((t0 - 86_400) * 1000).toISOString().slice(0, 10);
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "app/bin/cli.ts", "stripe", "reconcile", "--merchant", m.slug, "--since", since, "--json"], {
        env: { ...process.env, DATABASE_URL: ownerUrl, STRIPE_API_URL: fake.url, NODE_ENV: "test" },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    fake.events.splice(before);
    expect(out.code, out.stderr).toBe(0);
    const report = JSON.parse(out.stdout);
    expect(report).toMatchObject({ seen: 2, applied: 2, alreadyHad: 0 });
    expect(report.outcomes.map((o: { eventId: string }) => o.eventId)).toEqual(events.map((e) => e.id));
    expect(await stripeFootprint(m.id)).toMatchObject({ orders: 1, payments: 1 });

    const bad = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "app/bin/cli.ts", "stripe", "reconcile", "--merchant", m.slug, "--since", "2026-02-30"], {
        env: { ...process.env, DATABASE_URL: ownerUrl, STRIPE_API_URL: fake.url },
      });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (code) => resolve({ code, stderr }));
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--since must be a past date/);
  }, 60_000);
});
