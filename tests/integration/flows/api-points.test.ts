import { afterEach, describe, expect, it } from "vitest";
import { AdjustPointsBody, RecordEventBody, RecordOrderBody, RecordRefundBody, SpendPointsBody } from "~/api/points-schemas";
import { advanceClock, resetClock } from "~/lib/clock.server";
import { curlExample } from "~/components/ui/api-docs";
import type { ApiScope } from "~/domain/api-keys/scopes";
import type { EarningRules } from "~/domain/points/rules";
import { api, createKey, snapshotCounts, type ApiResult } from "../../support/api";
import { docsTagPage } from "../../support/api-docs";
import { ledgerFixture, type LedgerFixture } from "../../support/ledger";

/**
 * The points REST API (issue 3): orders, refunds, custom events, balance, ledger, spend and adjust — happy paths,
 * idempotency, scopes, tenancy, and bad input on every field (422 naming it, nothing written).
 * Concurrency (L1, L2 over real sockets) is in api-points-concurrency.test.ts.
 */

const ALL: ApiScope[] = ["orders:write", "points:read", "points:write", "members:read"];

interface Fixture extends LedgerFixture {
  token: string;
}

async function fixture(rules: Partial<EarningRules> = {}): Promise<Fixture> {
  const f = await ledgerFixture({ bonuses: { signup: 0, firstOrder: 0, birthday: 0, profileCompleted: 0 }, ...rules });
  const { token } = await createKey(f.merchantId, ALL);
  return { ...f, token };
}

const uuid = () => crypto.randomUUID();
const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();

function post(f: { token: string }, path: string, body: unknown, key: string | null = uuid()): Promise<ApiResult> {
  return api("POST", path, { token: f.token, body, ...(key === null ? {} : { idempotencyKey: key }) });
}
const get = (f: { token: string }, path: string) => api("GET", path, { token: f.token });

function orderBody(over: Record<string, unknown> = {}) {
  return { order_id: `o-${uuid()}`, member: { email: `buyer-${uuid().slice(0, 8)}@example.com` }, amount_minor: 4250, currency: "USD", occurred_at: hourAgo(), ...over };
}

/** Gives a member `points` available points through the API (a positive adjustment). */
async function topUp(f: Fixture, memberId: string, points: number) {
  const r = await post(f, `/api/v1/members/${memberId}/points/adjust`, { points, reason: "test top-up" });
  expect(r.status, r.text).toBe(201);
}

afterEach(() => resetClock());

describe("POST /api/v1/orders", () => {
  it("creates the member by e-mail, awards the sign-up bonus and earns the order's points (available without a pending period)", async () => {
    const f = await fixture({ bonuses: { signup: 100, firstOrder: 0, birthday: 0, profileCompleted: 0 } });
    const body = orderBody({ member: { email: "Ada@Example.com", name: "Ada", external_id: "cus_1" } });
    const r = await post(f, "/api/v1/orders", body);
    expect(r.status, r.text).toBe(201);
    expect(r.json).toEqual({
      id: expect.stringMatching(/^ord_/),
      order_id: body.order_id,
      member_id: expect.stringMatching(/^mbr_/),
      amount_minor: 4250,
      currency: "USD",
      occurred_at: new Date(body.occurred_at).toISOString(),
      refunded_minor: 0,
      points_earned: 42,
      points_status: "available",
      pending_until: null,
    });
    const balance = await get(f, `/api/v1/members/${r.json.member_id}/points`);
    expect(balance.status).toBe(200);
    expect(balance.json).toMatchObject({ member_id: r.json.member_id, available: 142, pending: 0, clawback_debt: 0, lifetime_earned: 142, lifetime_redeemed: 0, pending_lots: [], expiring_next: null });

    // The member is matched next time (by external id), not created again, and earns no second bonus.
    const again = await post(f, "/api/v1/orders", orderBody({ member: { external_id: "cus_1" }, amount_minor: 1000 }));
    expect(again.status, again.text).toBe(201);
    expect(again.json.member_id).toBe(r.json.member_id);
    expect((await get(f, `/api/v1/members/${r.json.member_id}/points`)).json.available).toBe(152);
    expect(await f.reconcile()).toMatchObject({ mismatches: [] });
  });

  it("matches a member by id; pending points report their release date", async () => {
    const f = await fixture({ pendingDays: 14 });
    const memberId = await f.newMember();
    const body = orderBody({ member: { id: memberId }, amount_minor: 10_099 });
    const r = await post(f, "/api/v1/orders", body);
    expect(r.status, r.text).toBe(201);
    const releases = new Date(new Date(body.occurred_at).getTime() + 14 * 86_400_000).toISOString();
    expect(r.json).toMatchObject({ member_id: memberId, points_earned: 100, points_status: "pending", pending_until: releases });
    const balance = (await get(f, `/api/v1/members/${memberId}/points`)).json;
    expect(balance).toMatchObject({ available: 0, pending: 100, pending_lots: [{ points: 100, releases_at: releases }] });
  });

  it("an order that earns nothing says so", async () => {
    const f = await fixture({ earning: { pointsPerUnit: 1, rounding: "floor", minimumOrderMinor: 5000 } });
    const r = await post(f, "/api/v1/orders", orderBody({ amount_minor: 4999 }));
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ points_earned: 0, points_status: "none", pending_until: null });
  });

  it("replays the first response byte for byte with Idempotent-Replayed, writing once", async () => {
    const f = await fixture();
    const key = uuid();
    const body = orderBody();
    const first = await post(f, "/api/v1/orders", body, key);
    expect(first.status).toBe(201);
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    const counts = await snapshotCounts(f.merchantId);
    const second = await post(f, "/api/v1/orders", body, key);
    expect(second.status).toBe(201);
    expect(second.headers.get("Idempotent-Replayed")).toBe("true");
    expect(second.text).toBe(first.text);
    expect(await snapshotCounts(f.merchantId)).toEqual(counts);
  });

  it("the same order id with another key: 200 with the same order and no second earning; with other facts: 409 order_conflict", async () => {
    const f = await fixture();
    const body = orderBody();
    const first = await post(f, "/api/v1/orders", body);
    const counts = await snapshotCounts(f.merchantId);
    const same = await post(f, "/api/v1/orders", body);
    expect(same.status).toBe(200);
    expect(same.json).toEqual(first.json);
    const before = await snapshotCounts(f.merchantId);
    expect(before).toEqual({ ...counts, idempotency_keys: counts.idempotency_keys + 1 });

    const conflict = await post(f, "/api/v1/orders", { ...body, amount_minor: 9999 });
    expect(conflict.status).toBe(409);
    expect(conflict.json.error).toMatchObject({ code: "order_conflict", field: "order_id" });
    expect(await snapshotCounts(f.merchantId)).toEqual(before);
  });

  it("422 currency_mismatch when the currency is not the store's; nothing written", async () => {
    const f = await fixture();
    const before = await snapshotCounts(f.merchantId);
    const r = await post(f, "/api/v1/orders", orderBody({ currency: "EUR" }));
    expect(r.status).toBe(422);
    expect(r.json.error).toMatchObject({ code: "currency_mismatch", field: "currency" });
    expect(r.json.error.message).toContain("USD");
    expect(await snapshotCounts(f.merchantId)).toEqual(before);
    // Lower-case codes are the same currency.
    expect((await post(f, "/api/v1/orders", orderBody({ currency: "usd" }))).status).toBe(201);
  });

  it("404 for an unknown member id; 422 for an unknown external id without an e-mail to create one", async () => {
    const f = await fixture();
    const before = await snapshotCounts(f.merchantId);
    const unknown = await post(f, "/api/v1/orders", orderBody({ member: { id: "mbr_aaaaaaaaaaaaaaaaaaaaaaaaaa" } }));
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: "not_found", field: "member.id" });
    const noEmail = await post(f, "/api/v1/orders", orderBody({ member: { external_id: "cus_nobody" } }));
    expect(noEmail.status).toBe(422);
    expect(noEmail.json.error.field).toBe("member.email");
    expect(await snapshotCounts(f.merchantId)).toEqual(before);
  });

  it("occurred_at: at most a day ahead of the server clock", async () => {
    const f = await fixture();
    const in23h = new Date(Date.now() + 23 * 3_600_000).toISOString();
    expect((await post(f, "/api/v1/orders", orderBody({ occurred_at: in23h }))).status).toBe(201);
    const in25h = new Date(Date.now() + 25 * 3_600_000).toISOString();
    const r = await post(f, "/api/v1/orders", orderBody({ occurred_at: in25h }));
    expect(r.status).toBe(422);
    expect(r.json.error.field).toBe("occurred_at");
    // The check follows the application clock (fake in tests).
    advanceClock(2 * 86_400_000);
    expect((await post(f, "/api/v1/orders", orderBody({ occurred_at: in25h }))).status).toBe(201);
  });
});

describe("POST /api/v1/refunds", () => {
  it("reverses points in proportion, accumulates partial refunds, never beyond the order", async () => {
    const f = await fixture();
    const order = await post(f, "/api/v1/orders", orderBody({ amount_minor: 10_000 }));
    expect(order.json.points_earned).toBe(100);
    const memberId = order.json.member_id;

    const r1 = await post(f, "/api/v1/refunds", { order_id: order.json.order_id, refund_id: "re_1", amount_minor: 2500 });
    expect(r1.status, r1.text).toBe(201);
    expect(r1.json).toEqual({ id: expect.stringMatching(/^rfn_/), order_id: order.json.order_id, refund_id: "re_1", amount_minor: 2500, refunded_total_minor: 2500, points_reversed: 25 });
    expect((await get(f, `/api/v1/members/${memberId}/points`)).json.available).toBe(75);

    // The same refund id again (a new request key) is a replay: 200, nothing more reversed.
    const replay = await post(f, "/api/v1/refunds", { order_id: order.json.order_id, refund_id: "re_1", amount_minor: 2500 });
    expect(replay.status).toBe(200);
    expect(replay.json).toMatchObject({ id: r1.json.id, points_reversed: 0, refunded_total_minor: 2500 });
    const conflict = await post(f, "/api/v1/refunds", { order_id: order.json.order_id, refund_id: "re_1", amount_minor: 100 });
    expect(conflict.status).toBe(409);
    expect(conflict.json.error.code).toBe("refund_conflict");

    const before = await snapshotCounts(f.merchantId);
    const tooMuch = await post(f, "/api/v1/refunds", { order_id: order.json.order_id, refund_id: "re_2", amount_minor: 7501 });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.json.error).toMatchObject({ code: "refund_exceeds_order", field: "amount_minor" });
    expect(await snapshotCounts(f.merchantId)).toEqual(before);

    const rest = await post(f, "/api/v1/refunds", { order_id: order.json.order_id, refund_id: "re_2", amount_minor: 7500 });
    expect(rest.json).toMatchObject({ refunded_total_minor: 10_000, points_reversed: 75 });
    expect((await get(f, `/api/v1/members/${memberId}/points`)).json.available).toBe(0);
    expect(await f.reconcile()).toMatchObject({ mismatches: [] });
  });

  it("a refund after the points were spent leaves a clawback debt in the balance", async () => {
    const f = await fixture();
    const order = await post(f, "/api/v1/orders", orderBody({ amount_minor: 10_000 }));
    const memberId = order.json.member_id;
    expect((await post(f, `/api/v1/members/${memberId}/points/spend`, { points: 80, description: "Reward" })).status).toBe(201);
    await post(f, "/api/v1/refunds", { order_id: order.json.order_id, refund_id: "full", amount_minor: 10_000 });
    expect((await get(f, `/api/v1/members/${memberId}/points`)).json).toMatchObject({ available: 0, clawback_debt: 80 });
    expect(await f.reconcile()).toMatchObject({ mismatches: [] });
  });

  it("404 for an order id that was not recorded through the API", async () => {
    const f = await fixture();
    const r = await post(f, "/api/v1/refunds", { order_id: "never-sent", refund_id: "re_1", amount_minor: 100 });
    expect(r.status).toBe(404);
    expect(r.json.error).toMatchObject({ code: "not_found", field: "order_id" });
  });
});

describe("POST /api/v1/events", () => {
  const events = { customEvents: [{ key: "review_posted", label: "a product review", points: 25 }] };

  it("earns the configured points; a replay earns nothing more", async () => {
    const f = await fixture(events);
    const memberId = await f.newMember();
    const key = uuid();
    const r = await post(f, "/api/v1/events", { member: { id: memberId }, event: "review_posted" }, key);
    expect(r.status, r.text).toBe(201);
    expect(r.json).toEqual({ journal_id: expect.stringMatching(/^jnl_/), member_id: memberId, event: "review_posted", points_earned: 25, capped: false, occurred_at: expect.any(String) });
    const again = await post(f, "/api/v1/events", { member: { id: memberId }, event: "review_posted" }, key);
    expect(again.text).toBe(r.text);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect((await get(f, `/api/v1/members/${memberId}/points`)).json.available).toBe(25);
    // A new key is a new event.
    await post(f, "/api/v1/events", { member: { id: memberId }, event: "review_posted" });
    expect((await get(f, `/api/v1/members/${memberId}/points`)).json.available).toBe(50);
  });

  it("422 unknown_event for a key the merchant has not set up, nothing written (not even the new member)", async () => {
    const f = await fixture(events);
    const before = await snapshotCounts(f.merchantId);
    const r = await post(f, "/api/v1/events", { member: { email: "new@example.com" }, event: "photo_uploaded" });
    expect(r.status).toBe(422);
    expect(r.json.error).toMatchObject({ code: "unknown_event", field: "event" });
    expect(await snapshotCounts(f.merchantId)).toEqual(before);
  });

  it("caps: the event is accepted but earns only up to the cap", async () => {
    const f = await fixture({ ...events, caps: { perDay: 30, perMonth: null, lifetime: null } });
    const memberId = await f.newMember();
    await post(f, "/api/v1/events", { member: { id: memberId }, event: "review_posted" });
    const capped = await post(f, "/api/v1/events", { member: { id: memberId }, event: "review_posted" });
    expect(capped.json).toMatchObject({ points_earned: 5, capped: true });
    const none = await post(f, "/api/v1/events", { member: { id: memberId }, event: "review_posted" });
    expect(none.json).toMatchObject({ points_earned: 0, capped: true, journal_id: null });
  });
});

describe("POST /api/v1/members/{id}/points/spend", () => {
  it("spends and returns the new balance; 409 insufficient_points when short, nothing written", async () => {
    const f = await fixture();
    const memberId = await f.newMember();
    await topUp(f, memberId, 300);
    const r = await post(f, `/api/v1/members/${memberId}/points/spend`, { points: 120, description: "$1.20 off", reference: "DISC-1" });
    expect(r.status, r.text).toBe(201);
    expect(r.json).toEqual({ journal_id: expect.stringMatching(/^jnl_/), member_id: memberId, points: 120, description: "$1.20 off", reference: "DISC-1", balance: { available: 180, pending: 0 } });

    const before = await snapshotCounts(f.merchantId);
    const short = await post(f, `/api/v1/members/${memberId}/points/spend`, { points: 181, description: "too much" });
    expect(short.status).toBe(409);
    expect(short.json.error).toEqual({ code: "insufficient_points", field: "points", message: "The member has 180 points available; 181 were requested" });
    expect(await snapshotCounts(f.merchantId)).toEqual(before);

    const balance = (await get(f, `/api/v1/members/${memberId}/points`)).json;
    expect(balance).toMatchObject({ available: 180, lifetime_redeemed: 120 });
  });

  it("a replay does not spend twice; the same key for another member or body is a 409", async () => {
    const f = await fixture();
    const a = await f.newMember();
    const b = await f.newMember();
    await topUp(f, a, 100);
    await topUp(f, b, 100);
    const key = uuid();
    const first = await post(f, `/api/v1/members/${a}/points/spend`, { points: 10, description: "x" }, key);
    const replay = await post(f, `/api/v1/members/${a}/points/spend`, { points: 10, description: "x" }, key);
    expect(replay.text).toBe(first.text);
    expect((await get(f, `/api/v1/members/${a}/points`)).json.available).toBe(90);
    const before = await snapshotCounts(f.merchantId);
    const otherMember = await post(f, `/api/v1/members/${b}/points/spend`, { points: 10, description: "x" }, key);
    expect(otherMember.status).toBe(409);
    expect(otherMember.json.error).toMatchObject({ code: "idempotency_conflict", field: "Idempotency-Key" });
    const otherBody = await post(f, `/api/v1/members/${a}/points/spend`, { points: 11, description: "x" }, key);
    expect(otherBody.status).toBe(409);
    expect(await snapshotCounts(f.merchantId)).toEqual(before);
  });

  it("the ledger's own unique key is a second guard: `api:<Idempotency-Key>`", async () => {
    const f = await fixture();
    const memberId = await f.newMember();
    await topUp(f, memberId, 50);
    const key = uuid();
    const r = await post(f, `/api/v1/members/${memberId}/points/spend`, { points: 5, description: "x" }, key);
    const journal = await f.tx((trx) => trx.selectFrom("ledger_journals").select(["id", "idempotency_key", "actor_type"]).where("id", "=", r.json.journal_id).executeTakeFirstOrThrow());
    expect(journal).toMatchObject({ idempotency_key: `api:${key}`, actor_type: "api_key" });
  });
});

describe("POST /api/v1/members/{id}/points/adjust", () => {
  it("adds and removes points with a reason, audited with the API key as actor", async () => {
    const f = await fixture();
    const memberId = await f.newMember();
    const plus = await post(f, `/api/v1/members/${memberId}/points/adjust`, { points: 50, reason: "Goodwill", note: "ticket 42" });
    expect(plus.status, plus.text).toBe(201);
    expect(plus.json).toEqual({ journal_id: expect.stringMatching(/^jnl_/), member_id: memberId, points: 50, reason: "Goodwill", note: "ticket 42", balance: { available: 50, pending: 0 } });
    const minus = await post(f, `/api/v1/members/${memberId}/points/adjust`, { points: -20, reason: "Correction" });
    expect(minus.json).toMatchObject({ points: -20, note: null, balance: { available: 30, pending: 0 } });

    const audits = await f.tx((trx) =>
      trx.selectFrom("audit_log").select(["action", "actor_type", "target_id"]).where("merchant_id", "=", f.merchantId).where("action", "=", "points.adjusted").orderBy("created_at").execute(),
    );
    expect(audits).toEqual([
      { action: "points.adjusted", actor_type: "api_key", target_id: memberId },
      { action: "points.adjusted", actor_type: "api_key", target_id: memberId },
    ]);

    const before = await snapshotCounts(f.merchantId);
    const tooMuch = await post(f, `/api/v1/members/${memberId}/points/adjust`, { points: -31, reason: "Too much" });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.json.error.code).toBe("insufficient_points");
    expect(await snapshotCounts(f.merchantId)).toEqual(before);
  });
});

describe("GET /api/v1/members/{id}/ledger", () => {
  it("pages newest first with a cursor and running balances", async () => {
    const f = await fixture();
    const order = await post(f, "/api/v1/orders", orderBody({ amount_minor: 5000 }));
    const memberId = order.json.member_id;
    await topUp(f, memberId, 20);
    await post(f, `/api/v1/members/${memberId}/points/spend`, { points: 30, description: "Reward" });
    await post(f, `/api/v1/members/${memberId}/points/adjust`, { points: -5, reason: "Fix" });
    await post(f, "/api/v1/refunds", { order_id: order.json.order_id, refund_id: "r", amount_minor: 1000 });

    const lines: Array<Record<string, unknown>> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await get(f, `/api/v1/members/${memberId}/ledger?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(r.status, r.text).toBe(200);
      expect(r.json.data.length).toBeLessThanOrEqual(2);
      lines.push(...r.json.data);
      cursor = r.json.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(lines.map((l) => [l.kind, l.points])).toEqual([
      ["reverse", -10],
      ["adjust", -5],
      ["spend", -30],
      ["adjust", 20],
      ["earn", 50],
    ]);
    expect(new Set(lines.map((l) => l.id)).size).toBe(5);
    expect(lines[0]).toMatchObject({ available_after: 25, order_id: order.json.id, actor_type: "api_key", description: expect.stringContaining("refunded") });
    expect(lines[1]).toMatchObject({ reason: "Fix", available_after: 35 });
    expect((await get(f, `/api/v1/members/${memberId}/points`)).json.available).toBe(25);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=201", "limit"],
    ["limit=abc", "limit"],
    ["limit=1.5", "limit"],
    ["cursor=not-a-cursor", "cursor"],
    [`cursor=${"x".repeat(201)}`, "cursor"],
  ])("422 for %s", async (query, field) => {
    const f = await fixture();
    const memberId = await f.newMember();
    const r = await get(f, `/api/v1/members/${memberId}/ledger?${query}`);
    expect(r.status).toBe(422);
    expect(r.json.error.field).toBe(field);
  });
});

describe("Idempotency-Key is required on every points write", () => {
  it.each([
    ["/api/v1/orders", () => orderBody()],
    ["/api/v1/refunds", () => ({ order_id: "x", refund_id: "y", amount_minor: 1 })],
    ["/api/v1/events", () => ({ member: { email: "e@example.com" }, event: "review_posted" })],
    ["/api/v1/members/{id}/points/spend", () => ({ points: 1, description: "x" })],
    ["/api/v1/members/{id}/points/adjust", () => ({ points: 1, reason: "x" })],
  ])("%s without the header → 400 idempotency_key_required, nothing written", async (path, body) => {
    const f = await fixture();
    const memberId = await f.newMember();
    const before = await snapshotCounts(f.merchantId);
    const r = await post(f, path.replace("{id}", memberId), body(), null);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: "idempotency_key_required", field: "Idempotency-Key" });
    // Checked before the body: junk without a key is still reported as the missing key.
    const junk = await api("POST", path.replace("{id}", memberId), { token: f.token, rawBody: "{not json" });
    expect(junk.json.error.code).toBe("idempotency_key_required");
    const invalid = await post(f, path.replace("{id}", memberId), body(), "has space");
    expect(invalid.json.error).toMatchObject({ code: "invalid_idempotency_key", field: "Idempotency-Key" });
    expect(await snapshotCounts(f.merchantId)).toEqual(before);
  });
});

describe("bad input: 422 naming the field, nothing written", () => {
  const huge = "x".repeat(5000);
  type Case = [label: string, body: (memberId: string) => unknown, field: string | undefined];
  const order = (over: Record<string, unknown>, drop?: string) => () => {
    const b: Record<string, unknown> = { ...orderBody(), ...over };
    if (drop) delete b[drop];
    return b;
  };
  const cases: Record<string, Case[]> = {
    "/api/v1/orders": [
      ["order_id missing", order({}, "order_id"), "order_id"],
      ["order_id a number", order({ order_id: 42 }), "order_id"],
      ["order_id empty", order({ order_id: "  " }), "order_id"],
      ["order_id huge", order({ order_id: huge }), "order_id"],
      ["order_id with a NUL", order({ order_id: "a\u0000b" }), "order_id"],
      ["member missing", order({}, "member"), "member"],
      ["member a string", order({ member: "ada@example.com" }), "member"],
      ["member empty", order({ member: {} }), "member"],
      ["member.id a number", order({ member: { id: 5 } }), "member.id"],
      ["member.id with e-mail", order({ member: { id: "mbr_aaaaaaaaaaaaaaaaaaaaaaaaaa", email: "a@example.com" } }), "member.id"],
      ["member.email invalid", order({ member: { email: "nope" } }), "member.email"],
      ["member.email huge", order({ member: { email: `${huge}@example.com` } }), "member.email"],
      ["member.external_id empty", order({ member: { external_id: "", email: "a@example.com" } }), "member.external_id"],
      ["member unknown field", order({ member: { email: "a@example.com", phone: "1" } }), "member.phone"],
      ["amount_minor missing", order({}, "amount_minor"), "amount_minor"],
      ["amount_minor a string", order({ amount_minor: "4250" }), "amount_minor"],
      ["amount_minor negative", order({ amount_minor: -1 }), "amount_minor"],
      ["amount_minor fractional", order({ amount_minor: 42.5 }), "amount_minor"],
      ["amount_minor huge", order({ amount_minor: 1e13 }), "amount_minor"],
      ["amount_minor 1e300", order({ amount_minor: 1e300 }), "amount_minor"],
      ["amount_minor null", order({ amount_minor: null }), "amount_minor"],
      ["currency missing", order({}, "currency"), "currency"],
      ["currency two letters", order({ currency: "US" }), "currency"],
      ["currency a number", order({ currency: 840 }), "currency"],
      ["occurred_at missing", order({}, "occurred_at"), "occurred_at"],
      ["occurred_at words", order({ occurred_at: "yesterday" }), "occurred_at"],
      ["occurred_at a date only", order({ occurred_at: "2026-01-01" }), "occurred_at"],
      ["occurred_at without offset", order({ occurred_at: "2026-01-01T10:00:00" }), "occurred_at"],
      ["occurred_at not a real day", order({ occurred_at: "2025-02-30T10:00:00Z" }), "occurred_at"],
      ["occurred_at before 2000", order({ occurred_at: "1999-12-31T23:59:59Z" }), "occurred_at"],
      ["occurred_at far future", order({ occurred_at: "2999-01-01T00:00:00Z" }), "occurred_at"],
      ["occurred_at a number", order({ occurred_at: 1767225600 }), "occurred_at"],
      ["unknown field", order({ points: 1000 }), "points"],
      ["an array", () => [orderBody()], undefined],
    ],
    "/api/v1/refunds": [
      ["order_id missing", () => ({ refund_id: "r", amount_minor: 1 }), "order_id"],
      ["refund_id empty", () => ({ order_id: "o", refund_id: "", amount_minor: 1 }), "refund_id"],
      ["refund_id huge", () => ({ order_id: "o", refund_id: huge, amount_minor: 1 }), "refund_id"],
      ["amount_minor zero", () => ({ order_id: "o", refund_id: "r", amount_minor: 0 }), "amount_minor"],
      ["amount_minor negative", () => ({ order_id: "o", refund_id: "r", amount_minor: -5 }), "amount_minor"],
      ["amount_minor fractional", () => ({ order_id: "o", refund_id: "r", amount_minor: 0.5 }), "amount_minor"],
      ["amount_minor a string", () => ({ order_id: "o", refund_id: "r", amount_minor: "5" }), "amount_minor"],
      ["amount_minor huge", () => ({ order_id: "o", refund_id: "r", amount_minor: Number.MAX_SAFE_INTEGER }), "amount_minor"],
    ],
    "/api/v1/events": [
      ["member missing", () => ({ event: "review_posted" }), "member"],
      ["event missing", (id) => ({ member: { id } }), "event"],
      ["event not a key", (id) => ({ member: { id }, event: "Review Posted" }), "event"],
      ["event a number", (id) => ({ member: { id }, event: 7 }), "event"],
      ["event huge", (id) => ({ member: { id }, event: huge }), "event"],
      ["occurred_at junk", (id) => ({ member: { id }, event: "review_posted", occurred_at: "soon" }), "occurred_at"],
      ["occurred_at far future", (id) => ({ member: { id }, event: "review_posted", occurred_at: "2999-01-01T00:00:00Z" }), "occurred_at"],
    ],
    "/api/v1/members/{id}/points/spend": [
      ["points missing", () => ({ description: "x" }), "points"],
      ["points zero", () => ({ points: 0, description: "x" }), "points"],
      ["points negative", () => ({ points: -10, description: "x" }), "points"],
      ["points fractional", () => ({ points: 1.5, description: "x" }), "points"],
      ["points a string", () => ({ points: "10", description: "x" }), "points"],
      ["points huge", () => ({ points: 1e10, description: "x" }), "points"],
      ["points a boolean", () => ({ points: true, description: "x" }), "points"],
      ["description missing", () => ({ points: 1 }), "description"],
      ["description blank", () => ({ points: 1, description: "   " }), "description"],
      ["description huge", () => ({ points: 1, description: "x".repeat(201) }), "description"],
      ["reference empty", () => ({ points: 1, description: "x", reference: "" }), "reference"],
      ["reference a number", () => ({ points: 1, description: "x", reference: 5 }), "reference"],
      ["unknown field", () => ({ points: 1, description: "x", member_id: "mbr_x" }), "member_id"],
    ],
    "/api/v1/members/{id}/points/adjust": [
      ["points zero", () => ({ points: 0, reason: "x" }), "points"],
      ["points fractional", () => ({ points: -0.5, reason: "x" }), "points"],
      ["points a string", () => ({ points: "5", reason: "x" }), "points"],
      ["points huge", () => ({ points: -2e9, reason: "x" }), "points"],
      ["points missing", () => ({ reason: "x" }), "points"],
      ["reason missing", () => ({ points: 5 }), "reason"],
      ["reason blank", () => ({ points: 5, reason: "" }), "reason"],
      ["reason huge", () => ({ points: 5, reason: "x".repeat(201) }), "reason"],
      ["note huge", () => ({ points: 5, reason: "x", note: "x".repeat(2001) }), "note"],
      ["note a number", () => ({ points: 5, reason: "x", note: 5 }), "note"],
    ],
  };

  for (const [path, list] of Object.entries(cases)) {
    it(`${path}: ${list.length} kinds of bad input`, async () => {
      const f = await fixture({ customEvents: [{ key: "review_posted", label: "Review", points: 5 }] });
      const memberId = await f.newMember();
      await topUp(f, memberId, 100);
      await post(f, "/api/v1/orders", orderBody({ order_id: "o", member: { id: memberId } }));
      const before = await snapshotCounts(f.merchantId);
      for (const [label, body, field] of list) {
        const r = await post(f, path.replace("{id}", memberId), body(memberId));
        expect(r.status, `${label}: ${r.text}`).toBe(422);
        expect(r.json.error.code, label).toBe("validation_failed");
        expect(r.json.error.field, label).toBe(field);
        expect(r.json.error.message.length, label).toBeGreaterThan(0);
      }
      expect(await snapshotCounts(f.merchantId)).toEqual(before);
    });
  }

  it("unknown member ids on the member routes → 404, junk ids too", async () => {
    const f = await fixture();
    const before = await snapshotCounts(f.merchantId);
    for (const id of ["mbr_aaaaaaaaaaaaaaaaaaaaaaaaaa", "nope", "%00", "x".repeat(300)]) {
      const enc = encodeURIComponent(id);
      expect((await get(f, `/api/v1/members/${enc}/points`)).status).toBe(404);
      expect((await get(f, `/api/v1/members/${enc}/ledger`)).status).toBe(404);
      expect((await post(f, `/api/v1/members/${enc}/points/spend`, { points: 1, description: "x" })).status).toBe(404);
      expect((await post(f, `/api/v1/members/${enc}/points/adjust`, { points: 1, reason: "x" })).status).toBe(404);
    }
    expect(await snapshotCounts(f.merchantId)).toEqual(before);
  });
});

describe("scopes", () => {
  it("each endpoint needs its scope", async () => {
    const f = await fixture();
    const memberId = await f.newMember();
    const { token: membersOnly } = await createKey(f.merchantId, ["members:read", "members:write"]);
    const { token: readOnly } = await createKey(f.merchantId, ["points:read"]);
    const { token: ordersOnly } = await createKey(f.merchantId, ["orders:write"]);
    const calls: Array<[string, string, unknown, string[]]> = [
      ["POST", "/api/v1/orders", orderBody(), [membersOnly, readOnly]],
      ["POST", "/api/v1/refunds", { order_id: "o", refund_id: "r", amount_minor: 1 }, [membersOnly, readOnly]],
      ["POST", "/api/v1/events", { member: { id: memberId }, event: "e" }, [membersOnly, readOnly]],
      ["GET", `/api/v1/members/${memberId}/points`, undefined, [membersOnly, ordersOnly]],
      ["GET", `/api/v1/members/${memberId}/ledger`, undefined, [membersOnly, ordersOnly]],
      ["POST", `/api/v1/members/${memberId}/points/spend`, { points: 1, description: "x" }, [membersOnly, readOnly, ordersOnly]],
      ["POST", `/api/v1/members/${memberId}/points/adjust`, { points: 1, reason: "x" }, [membersOnly, readOnly, ordersOnly]],
    ];
    for (const [method, path, body, tokens] of calls) {
      for (const token of tokens) {
        const r = await api(method, path, { token, body, idempotencyKey: method === "POST" ? uuid() : undefined });
        expect(r.status, `${method} ${path}`).toBe(403);
        expect(r.json.error.code).toBe("insufficient_scope");
      }
      const anon = await api(method, path, { body, idempotencyKey: method === "POST" ? uuid() : undefined });
      expect(anon.status).toBe(401);
    }
    expect((await api("GET", `/api/v1/members/${memberId}/points`, { token: readOnly })).status).toBe(200);
  });

  it("the wrong method is a JSON 405", async () => {
    const f = await fixture();
    const memberId = await f.newMember();
    for (const path of ["/api/v1/orders", "/api/v1/refunds", "/api/v1/events", `/api/v1/members/${memberId}/points/spend`, `/api/v1/members/${memberId}/points/adjust`]) {
      const r = await get(f, path);
      expect(r.status, path).toBe(405);
      expect(r.json.error.code).toBe("method_not_allowed");
    }
    for (const path of [`/api/v1/members/${memberId}/points`, `/api/v1/members/${memberId}/ledger`]) {
      expect((await post(f, path, {})).status, path).toBe(405);
    }
  });
});

describe("tenancy: merchant A's key never reaches merchant B's members or orders", () => {
  it("404 everywhere, B untouched", async () => {
    const a = await fixture();
    const b = await fixture();
    const bMember = await b.newMember();
    await topUp(b, bMember, 100);
    const bOrder = await post(b, "/api/v1/orders", orderBody({ member: { id: bMember } }));
    const before = await snapshotCounts(b.merchantId);

    const results = [
      await get(a, `/api/v1/members/${bMember}/points`),
      await get(a, `/api/v1/members/${bMember}/ledger`),
      await post(a, `/api/v1/members/${bMember}/points/spend`, { points: 1, description: "x" }),
      await post(a, `/api/v1/members/${bMember}/points/adjust`, { points: 1000, reason: "x" }),
      await post(a, "/api/v1/orders", orderBody({ member: { id: bMember } })),
      await post(a, "/api/v1/events", { member: { id: bMember }, event: "review_posted" }),
      await post(a, "/api/v1/refunds", { order_id: bOrder.json.order_id, refund_id: "r", amount_minor: 1 }),
    ];
    for (const r of results) {
      expect(r.status, r.text).toBe(404);
      expect(r.text).not.toContain(bMember);
    }
    expect(await snapshotCounts(b.merchantId)).toEqual(before);
    expect((await get(b, `/api/v1/members/${bMember}/points`)).json.available).toBe(142);
  });
});

describe("API reference", () => {
  const writes = [
    ["/api/v1/orders", RecordOrderBody],
    ["/api/v1/refunds", RecordRefundBody],
    ["/api/v1/events", RecordEventBody],
    ["/api/v1/members/{id}/points/spend", SpendPointsBody],
    ["/api/v1/members/{id}/points/adjust", AdjustPointsBody],
  ] as const;

  it("documents every points endpoint; each write's curl example has the required key and a body the API accepts", async () => {
    // The points endpoints are documented on two pages of the reference.
    const pages = [await docsTagPage("orders"), await docsTagPage("points")];
    const html = pages.map((p) => p.html).join("");
    for (const text of ["Record an order", "Record a refund", "Post a custom event", "Get a member&#x27;s points balance", "List a member&#x27;s ledger", "Spend points", "Adjust points", "insufficient_points", "idempotency_key_required", "currency_mismatch"]) {
      expect(html.includes(text), text).toBe(true);
    }
    for (const [path, schema] of writes) {
      const { doc } = pages.find((p) => p.doc.paths?.[path])!;
      const curl = curlExample(doc, { method: "post", path, op: doc.paths![path]!.post! });
      expect(curl, path).toContain("Idempotency-Key");
      const body = JSON.parse(/-d '(.*)'$/m.exec(curl)![1]!.replace(/'\\''/g, "'"));
      expect(schema.safeParse(body).success, `${path}: ${JSON.stringify(body)}`).toBe(true);
    }
  });
});
