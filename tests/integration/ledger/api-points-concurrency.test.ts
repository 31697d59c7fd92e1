import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ApiScope } from "~/domain/api-keys/scopes";
import { createKey, snapshotCounts, startRouteServer } from "../../support/api";
import { ledgerFixture, type LedgerFixture } from "../../support/ledger";

/**
 * reliability.md L1 and L2 through HTTP: many clients on real sockets against the points API at once.
 *  L1  32 clients × 50 spends of 10 points on a balance of 500 → exactly 50 succeed, the rest are clean 409s,
 *      the balance ends at 0 and the ledger reconciles.
 *  L2  100 concurrent identical requests with one Idempotency-Key → one journal and 100 identical responses; the
 *      same key with another body → 409 and nothing written.
 */

const ALL: ApiScope[] = ["orders:write", "points:read", "points:write"];

let server: Awaited<ReturnType<typeof startRouteServer>>;
beforeAll(async () => {
  server = await startRouteServer();
});
afterAll(async () => {
  await server?.close();
});

interface Fixture extends LedgerFixture {
  token: string;
}

async function fixture(): Promise<Fixture> {
  const f = await ledgerFixture({ bonuses: { signup: 0, firstOrder: 0, birthday: 0, profileCompleted: 0 } });
  const { token } = await createKey(f.merchantId, ALL);
  return { ...f, token };
}

interface HttpResult {
  status: number;
  text: string;
  replayed: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- asserted on, not typed
  json: any;
}

async function http(f: Fixture, method: string, path: string, body?: unknown, key?: string): Promise<HttpResult> {
  const headers: Record<string, string> = { Authorization: `Bearer ${f.token}`, "Content-Type": "application/json" };
  if (key) headers["Idempotency-Key"] = key;
  const res = await fetch(`${server.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, replayed: res.headers.get("Idempotent-Replayed") === "true", json };
}

async function memberWith(f: Fixture, points: number): Promise<string> {
  const memberId = await f.newMember();
  const r = await http(f, "POST", `/api/v1/members/${memberId}/points/adjust`, { points, reason: "starting balance" }, crypto.randomUUID());
  expect(r.status, r.text).toBe(201);
  return memberId;
}

const count = (f: Fixture, memberId: string, kind: string) =>
  f.tx(async (trx) => {
    const rows = await trx.selectFrom("ledger_journals").select("id").where("merchant_id", "=", f.merchantId).where("member_id", "=", memberId).where("kind", "=", kind as never).execute();
    return rows.length;
  });

describe("L1: concurrent spends through HTTP never overdraw", () => {
  it("32 clients × 50 spends of 10 on a balance of 500 → exactly 50 succeed, the rest 409 insufficient_points", { timeout: 120_000 }, async () => {
    const f = await fixture();
    const memberId = await memberWith(f, 500);
    const CLIENTS = 32;
    const PER_CLIENT = 50;
    const outcomes: HttpResult[] = [];
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let i = 0; i < PER_CLIENT; i++) {
          outcomes.push(await http(f, "POST", `/api/v1/members/${memberId}/points/spend`, { points: 10, description: `client ${c} spend ${i}` }, crypto.randomUUID()));
        }
      }),
    );
    expect(outcomes).toHaveLength(CLIENTS * PER_CLIENT);
    const ok = outcomes.filter((o) => o.status === 201);
    const refused = outcomes.filter((o) => o.status === 409);
    expect(ok.length + refused.length, `unexpected statuses: ${[...new Set(outcomes.map((o) => o.status))].join(", ")}`).toBe(outcomes.length);
    expect(ok.length * 10).toBe(500);
    for (const r of refused) {
      expect(r.json.error).toMatchObject({ code: "insufficient_points", field: "points" });
      expect(r.json.error.message).toMatch(/^The member has \d+ points available; 10 were requested$/);
    }
    // Every success saw a balance that went down by exactly 10 from some value: all 50 values distinct, 490 … 0.
    expect(ok.map((o) => o.json.balance.available).sort((a: number, b: number) => b - a)).toEqual(Array.from({ length: 50 }, (_, i) => 490 - i * 10));

    const balance = await http(f, "GET", `/api/v1/members/${memberId}/points`);
    expect(balance.json).toMatchObject({ available: 0, pending: 0, clawback_debt: 0, lifetime_redeemed: 500 });
    expect(await count(f, memberId, "spend")).toBe(50);
    const reconciled = await f.reconcile();
    expect(reconciled.mismatches).toEqual([]);
  });
});

describe("L2: one Idempotency-Key, many concurrent requests", () => {
  it("100 identical spends at once → one journal, 100 byte-identical responses (99 replays)", async () => {
    const f = await fixture();
    const memberId = await memberWith(f, 500);
    const key = crypto.randomUUID();
    const body = { points: 10, description: "one reward" };
    const results = await Promise.all(Array.from({ length: 100 }, () => http(f, "POST", `/api/v1/members/${memberId}/points/spend`, body, key)));
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([201]));
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await count(f, memberId, "spend")).toBe(1);
    expect((await f.balance(memberId)).available).toBe(490);

    // The same key with another body: 409, nothing written.
    const before = await snapshotCounts(f.merchantId);
    const other = await http(f, "POST", `/api/v1/members/${memberId}/points/spend`, { points: 20, description: "one reward" }, key);
    expect(other.status).toBe(409);
    expect(other.json.error).toMatchObject({ code: "idempotency_conflict", field: "Idempotency-Key" });
    expect(await snapshotCounts(f.merchantId)).toEqual(before);
  });

  it("100 identical orders at once → one order, one earning, identical responses", async () => {
    const f = await fixture();
    const key = crypto.randomUUID();
    const body = { order_id: "L2-1", member: { email: "l2@example.com", external_id: "cus_l2" }, amount_minor: 12_345, currency: "USD", occurred_at: new Date(Date.now() - 60_000).toISOString() };
    const results = await Promise.all(Array.from({ length: 100 }, () => http(f, "POST", "/api/v1/orders", body, key)));
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([201]));
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    const counts = await snapshotCounts(f.merchantId);
    expect(counts).toMatchObject({ members: 1, orders: 1, ledger_journals: 1, point_lots: 1, idempotency_keys: 1 });

    const before = counts;
    const other = await http(f, "POST", "/api/v1/orders", { ...body, amount_minor: 1 }, key);
    expect(other.status).toBe(409);
    expect(other.json.error.code).toBe("idempotency_conflict");
    expect(await snapshotCounts(f.merchantId)).toEqual(before);
  });

  it("100 different bodies on one key at once → one wins, 99 × 409, one journal", async () => {
    const f = await fixture();
    const memberId = await memberWith(f, 10_000);
    const key = crypto.randomUUID();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => http(f, "POST", `/api/v1/members/${memberId}/points/spend`, { points: i + 1, description: "race" }, key)),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.json.error.code === "idempotency_conflict")).toHaveLength(99);
    expect(await count(f, memberId, "spend")).toBe(1);
    expect(await f.reconcile()).toMatchObject({ mismatches: [] });
  });

  it("the same order id under 50 different keys at once → one order, one earning (the order id is a natural key)", async () => {
    const f = await fixture();
    const memberId = await f.newMember();
    const body = { order_id: "same-order", member: { id: memberId }, amount_minor: 5000, currency: "USD", occurred_at: new Date(Date.now() - 60_000).toISOString() };
    const results = await Promise.all(Array.from({ length: 50 }, () => http(f, "POST", "/api/v1/orders", body, crypto.randomUUID())));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(49);
    expect(new Set(results.map((r) => JSON.stringify(r.json))).size).toBe(1);
    expect((await f.balance(memberId)).available).toBe(50);
    expect(await count(f, memberId, "earn")).toBe(1);
  });
});
