import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { withTenant, type Trx } from "~/db.server";
import { withIdempotency } from "~/domain/idempotency/idempotency.server";
import { requestHash } from "~/domain/idempotency/request-hash";
import { api, apiFixture, countRows, createKey, snapshotCounts } from "../../support/api";
import { testDb } from "../../support/db";
import { withHttpStatus } from "../../support/errors";

const key = () => `idem-${crypto.randomUUID()}`;

describe("Idempotency-Key on POST /api/v1/members", () => {
  it("replays the first response for the same key and body, writing once", async () => {
    const { merchant, token } = await apiFixture();
    const k = key();
    const body = { email: "replay@example.com", name: "Replay" };
    const first = await api("POST", "/api/v1/members", { token, body, idempotencyKey: k });
    expect(first.status).toBe(201);
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    const counts = await snapshotCounts(merchant.id);

    // Same value, other key order and spacing: still the same request.
    const second = await api("POST", "/api/v1/members", { token, rawBody: ' { "name" : "Replay", "email": "replay@example.com" } ', idempotencyKey: k });
    expect(second.status).toBe(201);
    expect(second.headers.get("Idempotent-Replayed")).toBe("true");
    expect(second.text).toBe(first.text);
    expect(await snapshotCounts(merchant.id)).toEqual(counts);
    expect(counts.idempotency_keys).toBe(1);
  });

  it("replays even after the member changed since (the stored response, not a fresh read)", async () => {
    const { token } = await apiFixture();
    const k = key();
    const first = await api("POST", "/api/v1/members", { token, body: { email: "stale@example.com", name: "Before" }, idempotencyKey: k });
    await api("POST", "/api/v1/members", { token, body: { email: "stale@example.com", name: "After" } });
    const again = await api("POST", "/api/v1/members", { token, body: { email: "stale@example.com", name: "Before" }, idempotencyKey: k });
    expect(again.json).toEqual(first.json);
    expect(again.json.name).toBe("Before");
  });

  it("409 idempotency_conflict for the same key with a different body, nothing written", async () => {
    const { merchant, token } = await apiFixture();
    const k = key();
    await api("POST", "/api/v1/members", { token, body: { email: "conflict@example.com" }, idempotencyKey: k });
    const before = await snapshotCounts(merchant.id);
    const res = await api("POST", "/api/v1/members", { token, body: { email: "other@example.com" }, idempotencyKey: k });
    expect(res.status).toBe(409);
    expect(res.json).toEqual({ error: { code: "idempotency_conflict", message: expect.any(String), field: "Idempotency-Key" } });
    expect(await snapshotCounts(merchant.id)).toEqual(before);
  });

  it("409 for the same key on a different path or method", async () => {
    const { merchant } = await apiFixture();
    const k = key();
    const ok = async () => ({ status: 201, body: { ok: true } });
    const hash = requestHash({ a: 1 });
    await withIdempotency(testDb(), merchant.id, { key: k, method: "POST", path: "/api/v1/members", requestHash: hash }, ok);
    await expect(withIdempotency(testDb(), merchant.id, { key: k, method: "POST", path: "/api/v1/orders", requestHash: hash }, ok).catch(withHttpStatus)).resolves.toMatchObject({ code: "idempotency_conflict", status: 409 });
    await expect(withIdempotency(testDb(), merchant.id, { key: k, method: "PUT", path: "/api/v1/members", requestHash: hash }, ok)).rejects.toMatchObject({ code: "idempotency_conflict" });
  });

  it("keys are per merchant: two merchants may use the same key independently", async () => {
    const a = await apiFixture("idema");
    const b = await apiFixture("idemb");
    const k = key();
    const ra = await api("POST", "/api/v1/members", { token: a.token, body: { email: "same-key@example.com" }, idempotencyKey: k });
    const rb = await api("POST", "/api/v1/members", { token: b.token, body: { email: "same-key@example.com" }, idempotencyKey: k });
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect(rb.headers.get("Idempotent-Replayed")).toBeNull();
    expect(ra.json.id).not.toBe(rb.json.id);
  });

  it("does not store failures: a 409 email_taken can be fixed and retried with the same key", async () => {
    const { merchant, token } = await apiFixture();
    await api("POST", "/api/v1/members", { token, body: { email: "taken@example.com", external_id: "cus_1" } });
    await api("POST", "/api/v1/members", { token, body: { email: "mine@example.com", external_id: "cus_2" } });
    const k = key();
    const failed = await api("POST", "/api/v1/members", { token, body: { email: "taken@example.com", external_id: "cus_2" }, idempotencyKey: k });
    expect(failed.status).toBe(409);
    expect(failed.json.error.code).toBe("email_taken");
    expect(await countRows(merchant.id, "idempotency_keys")).toBe(0);
    const retried = await api("POST", "/api/v1/members", { token, body: { email: "taken@example.com", external_id: "cus_2" }, idempotencyKey: k });
    expect(retried.status).toBe(409);
    const fixed = await api("POST", "/api/v1/members", { token, body: { email: "fixed@example.com", external_id: "cus_2" }, idempotencyKey: k });
    expect(fixed.status).toBe(200);
  });

  it("does not store validation failures either", async () => {
    const { merchant, token } = await apiFixture();
    const k = key();
    const bad = await api("POST", "/api/v1/members", { token, body: { email: "nope" }, idempotencyKey: k });
    expect(bad.status).toBe(422);
    expect(await countRows(merchant.id, "idempotency_keys")).toBe(0);
  });

  it("20 concurrent requests with the same key and body: one member, one write, identical responses", async () => {
    const { merchant, token } = await apiFixture();
    const k = key();
    const body = { email: "concurrent@example.com", name: "Twenty", external_id: "cus_20" };
    const results = await Promise.all(Array.from({ length: 20 }, () => api("POST", "/api/v1/members", { token, body, idempotencyKey: k })));
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([201]));
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    expect(results.filter((r) => r.headers.get("Idempotent-Replayed") === "true")).toHaveLength(19);
    expect(await countRows(merchant.id, "members")).toBe(1);
    expect(await countRows(merchant.id, "idempotency_keys")).toBe(1);
    const audits = await withTenant(testDb(), merchant.id, (trx) => trx.selectFrom("audit_log").select("action").where("target_type", "=", "member").execute());
    expect(audits).toEqual([{ action: "member.created" }]);
  });

  it("20 concurrent requests with the same key but different bodies: one wins, the rest 409, one write", async () => {
    const { merchant, token } = await apiFixture();
    const k = key();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => api("POST", "/api/v1/members", { token, body: { email: `diff${i}@example.com` }, idempotencyKey: k })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.json.error.code === "idempotency_conflict")).toHaveLength(19);
    expect(await countRows(merchant.id, "members")).toBe(1);
  });

  it("duplicates that arrive while the first write is still running wait for it and replay it", async () => {
    const { merchant } = await apiFixture();
    const k = key();
    let writes = 0;
    // The write holds its transaction open for 300 ms, so all 20 calls are in flight together.
    const slowWrite = async (trx: Trx) => {
      writes++;
      await sql`select pg_sleep(0.3)`.execute(trx);
      return { status: 201, body: { n: writes } };
    };
    const req = { key: k, method: "POST", path: "/api/v1/members", requestHash: requestHash({ x: 1 }) };
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, () => withIdempotency(testDb(), merchant.id, req, slowWrite)));
    expect(writes).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(new Set(results.map((r) => JSON.stringify([r.status, r.body])))).toEqual(new Set([JSON.stringify([201, { n: 1 }])]));
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it("stores the request fingerprint and the response in the same row", async () => {
    const { merchant, token } = await apiFixture();
    const k = key();
    const body = { email: "stored@example.com" };
    const res = await api("POST", "/api/v1/members", { token, body, idempotencyKey: k });
    const row = await withTenant(testDb(), merchant.id, (trx) => trx.selectFrom("idempotency_keys").selectAll().where("key", "=", k).executeTakeFirstOrThrow());
    expect(row).toMatchObject({ method: "POST", path: "/api/v1/members", request_hash: requestHash(body), response_status: 201, response_body: res.json });
  });
});

// POST /orders stores the key with its response in one statement at the end (claim "with-response", issue 14):
// every answer must be what claiming the key first would give.
describe("Idempotency-Key on POST /api/v1/orders (stored with the response)", () => {
  const order = (memberId: string, amount = 4_200) => ({ order_id: "ord-idem-1", member: { id: memberId }, amount_minor: amount, currency: "USD", occurred_at: "2024-05-01T10:00:00Z" });
  async function withMember() {
    const { merchant } = await apiFixture();
    const { token } = await createKey(merchant.id, ["members:write", "orders:write"]);
    const m = await api("POST", "/api/v1/members", { token, body: { email: `buyer-${crypto.randomUUID()}@example.com` } });
    return { merchant, token, memberId: m.json.id as string };
  }

  it("replays the first response for the same key and body, writing once, also for 10 at once", async () => {
    const { merchant, token, memberId } = await withMember();
    const k = key();
    const results = await Promise.all(Array.from({ length: 10 }, () => api("POST", "/api/v1/orders", { token, body: order(memberId), idempotencyKey: k })));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    expect(results.filter((r) => r.headers.get("Idempotent-Replayed") === null)).toHaveLength(1);
    expect(await countRows(merchant.id, "orders")).toBe(1);
    expect(await countRows(merchant.id, "idempotency_keys")).toBe(1);
  });

  it("the same key with another body is a 409 idempotency_conflict (not order_conflict), nothing written", async () => {
    const { merchant, token, memberId } = await withMember();
    const k = key();
    expect((await api("POST", "/api/v1/orders", { token, body: order(memberId), idempotencyKey: k })).status).toBe(201);
    const before = await snapshotCounts(merchant.id);
    const res = await api("POST", "/api/v1/orders", { token, body: order(memberId, 9_999), idempotencyKey: k });
    expect(res.status).toBe(409);
    expect(res.json).toEqual({ error: { code: "idempotency_conflict", message: expect.any(String), field: "Idempotency-Key" } });
    expect(await snapshotCounts(merchant.id)).toEqual(before);
  });

  it("a failure is not stored: an unknown member's 404 can be fixed and retried with the same key", async () => {
    const { merchant, token, memberId } = await withMember();
    const k = key();
    const missing = await api("POST", "/api/v1/orders", { token, body: order("mbr_aaaaaaaaaaaaaaaaaaaaaaaaaa"), idempotencyKey: k });
    expect(missing.status).toBe(404);
    expect(await countRows(merchant.id, "idempotency_keys")).toBe(0);
    const fixed = await api("POST", "/api/v1/orders", { token, body: order(memberId), idempotencyKey: k });
    expect(fixed.status).toBe(201);
    const row = await withTenant(testDb(), merchant.id, (trx) => trx.selectFrom("idempotency_keys").selectAll().where("key", "=", k).executeTakeFirstOrThrow());
    expect(row).toMatchObject({ method: "POST", path: "/api/v1/orders", request_hash: requestHash(order(memberId)), response_status: 201, response_body: fixed.json });
  });
});
