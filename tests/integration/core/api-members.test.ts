import { describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { api, apiFixture, countRows, createKey, createMerchant, resolveRoute, snapshotCounts } from "../../support/api";
import { testDb } from "../../support/db";

const MEMBER_KEYS = ["birthday", "created_at", "email", "external_id", "id", "name", "status", "updated_at"];

function expectErrorShape(json: unknown, code?: string) {
  expect(json).toEqual({ error: expect.objectContaining({ code: code ?? expect.any(String), message: expect.any(String) }) });
  const err = (json as { error: Record<string, unknown> }).error;
  expect(Object.keys(err).every((k) => ["code", "message", "field"].includes(k))).toBe(true);
}

describe("routing", () => {
  it.each([
    ["/api/v1/members", "routes/api.v1.members.ts"],
    ["/api/v1/members/mbr_x", "routes/api.v1.members.$id.ts"],
    ["/api/v1/openapi.json", "routes/api.v1.openapi[.json].ts"],
    ["/api/v1/docs", "routes/api.v1.docs._index.tsx"],
    ["/api/v1/docs/members", "routes/api.v1.docs.$tag.tsx"],
    ["/api/v1/docs/members/x", "routes/api.v1.$.tsx"],
    ["/api/v1/nope", "routes/api.v1.$.tsx"],
    ["/api/v1/members/mbr_x/orders", "routes/api.v1.$.tsx"],
    ["/api/v1", "routes/api.v1.$.tsx"],
  ])("%s is served by %s", (pathname, file) => {
    expect(resolveRoute(pathname)?.file).toBe(file);
  });
});

describe("POST /api/v1/members", () => {
  it("creates a member (201) and returns the snake_case shape", async () => {
    const { merchant, token } = await apiFixture();
    const res = await api("POST", "/api/v1/members", { token, body: { email: "Ada@Example.com", name: " Ada Lovelace ", birthday: "1990-04-23", external_id: "cus_1" } });
    expect(res.status).toBe(201);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(Object.keys(res.json).sort()).toEqual(MEMBER_KEYS);
    expect(res.json).toMatchObject({ email: "ada@example.com", name: "Ada Lovelace", birthday: "1990-04-23", external_id: "cus_1", status: "active" });
    expect(res.json.id).toMatch(/^mbr_/);
    expect(new Date(res.json.created_at).toISOString()).toBe(res.json.created_at);
    expect(await countRows(merchant.id, "members")).toBe(1);
    // Audited as the API key.
    const audit = await withTenant(testDb(), merchant.id, (trx) => trx.selectFrom("audit_log").select(["action", "actor_type"]).where("target_id", "=", res.json.id).execute());
    expect(audit).toEqual([{ action: "member.created", actor_type: "api_key" }]);
  });

  it("updates by e-mail (200), leaving omitted fields alone and clearing nulls", async () => {
    const { merchant, token } = await apiFixture();
    const created = await api("POST", "/api/v1/members", { token, body: { email: "b@example.com", name: "Bea", birthday: "1985-01-02" } });
    const updated = await api("POST", "/api/v1/members", { token, body: { email: "B@EXAMPLE.COM", name: "Beatrice" } });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ id: created.json.id, name: "Beatrice", birthday: "1985-01-02" });
    const cleared = await api("POST", "/api/v1/members", { token, body: { email: "b@example.com", birthday: null } });
    expect(cleared.json).toMatchObject({ id: created.json.id, name: "Beatrice", birthday: null });
    expect(await countRows(merchant.id, "members")).toBe(1);
  });

  it("an update that changes nothing writes nothing", async () => {
    const { merchant, token } = await apiFixture();
    const first = await api("POST", "/api/v1/members", { token, body: { email: "same@example.com", name: "Same" } });
    const audits = await countRows(merchant.id, "audit_log");
    const again = await api("POST", "/api/v1/members", { token, body: { email: "same@example.com", name: "Same" } });
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    expect(await countRows(merchant.id, "audit_log")).toBe(audits);
  });

  it("matches by external_id first and can change the e-mail", async () => {
    const { merchant, token } = await apiFixture();
    const created = await api("POST", "/api/v1/members", { token, body: { email: "old@example.com", external_id: "cus_9" } });
    const moved = await api("POST", "/api/v1/members", { token, body: { email: "new@example.com", external_id: "cus_9" } });
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({ id: created.json.id, email: "new@example.com", external_id: "cus_9" });
    expect(await countRows(merchant.id, "members")).toBe(1);
  });

  it("links a member found by e-mail to a new external_id", async () => {
    const { token } = await apiFixture();
    const created = await api("POST", "/api/v1/members", { token, body: { email: "link@example.com" } });
    const linked = await api("POST", "/api/v1/members", { token, body: { email: "link@example.com", external_id: "cus_link" } });
    expect(linked.status).toBe(200);
    expect(linked.json).toMatchObject({ id: created.json.id, external_id: "cus_link" });
  });

  it("409 email_taken when an e-mail change collides, nothing written", async () => {
    const { merchant, token } = await apiFixture();
    await api("POST", "/api/v1/members", { token, body: { email: "one@example.com", external_id: "cus_a" } });
    await api("POST", "/api/v1/members", { token, body: { email: "two@example.com", external_id: "cus_b" } });
    const before = await snapshotCounts(merchant.id);
    const res = await api("POST", "/api/v1/members", { token, body: { email: "two@example.com", external_id: "cus_a" } });
    expect(res.status).toBe(409);
    expect(res.json).toEqual({ error: { code: "email_taken", message: expect.any(String), field: "email" } });
    // An e-mail that belongs to a member with another external id is also taken.
    const res2 = await api("POST", "/api/v1/members", { token, body: { email: "one@example.com", external_id: "cus_new" } });
    expect(res2.status).toBe(409);
    expect(await snapshotCounts(merchant.id)).toEqual(before);
  });

  it("20 concurrent upserts of one new e-mail (no idempotency key) create exactly one member", async () => {
    const { merchant, token } = await apiFixture();
    const results = await Promise.all(Array.from({ length: 20 }, () => api("POST", "/api/v1/members", { token, body: { email: "race@example.com", name: "Race" } })));
    expect(results.map((r) => r.status).sort()).toEqual([...Array(19).fill(200), 201]);
    expect(new Set(results.map((r) => r.json.id)).size).toBe(1);
    expect(await countRows(merchant.id, "members")).toBe(1);
  });

  describe("bad input → 4xx with the error shape and nothing written", () => {
    const huge = "x".repeat(10_001);
    const cases: Array<[string, { body?: unknown; rawBody?: string; headers?: Record<string, string> }, number, string, string | undefined]> = [
      ["malformed JSON", { rawBody: '{"email": "a@example.com",' }, 400, "invalid_json", undefined],
      ["empty body", { rawBody: "" }, 400, "invalid_json", undefined],
      ["JSON array", { body: [{ email: "a@example.com" }] }, 422, "validation_failed", undefined],
      ["JSON string", { body: "a@example.com" }, 422, "validation_failed", undefined],
      ["JSON null", { rawBody: "null" }, 422, "validation_failed", undefined],
      ["missing e-mail", { body: { name: "No Mail" } }, 422, "validation_failed", "email"],
      ["e-mail of wrong type", { body: { email: 42 } }, 422, "validation_failed", "email"],
      ["invalid e-mail", { body: { email: "not-an-email" } }, 422, "validation_failed", "email"],
      ["huge e-mail", { body: { email: `${huge}@example.com` } }, 422, "validation_failed", "email"],
      ["huge name", { body: { email: "a@example.com", name: huge } }, 422, "validation_failed", "name"],
      ["name of wrong type", { body: { email: "a@example.com", name: ["Ada"] } }, 422, "validation_failed", "name"],
      ["huge external_id", { body: { email: "a@example.com", external_id: huge } }, 422, "validation_failed", "external_id"],
      ["external_id with spaces", { body: { email: "a@example.com", external_id: "a b" } }, 422, "validation_failed", "external_id"],
      ["future birthday", { body: { email: "a@example.com", birthday: "2999-01-01" } }, 422, "validation_failed", "birthday"],
      ["impossible birthday", { body: { email: "a@example.com", birthday: "2001-02-30" } }, 422, "validation_failed", "birthday"],
      ["birthday before 1900", { body: { email: "a@example.com", birthday: "1850-06-01" } }, 422, "validation_failed", "birthday"],
      ["birthday as timestamp", { body: { email: "a@example.com", birthday: "1990-04-23T00:00:00Z" } }, 422, "validation_failed", "birthday"],
      ["birthday of wrong type", { body: { email: "a@example.com", birthday: 19900423 } }, 422, "validation_failed", "birthday"],
      ["unknown field", { body: { email: "a@example.com", externalId: "cus_1" } }, 422, "validation_failed", "externalId"],
      ["status is not writable", { body: { email: "a@example.com", status: "blocked" } }, 422, "validation_failed", "status"],
      ["body over 64 KiB", { rawBody: JSON.stringify({ email: "a@example.com", name: "x".repeat(70_000) }) }, 413, "payload_too_large", undefined],
      ["bad Idempotency-Key", { body: { email: "a@example.com" }, headers: { "Idempotency-Key": "k".repeat(256) } }, 400, "invalid_idempotency_key", "Idempotency-Key"],
    ];

    it.each(cases)("%s", async (_name, call, status, code, field) => {
      const { merchant, token } = await apiFixture();
      const before = await snapshotCounts(merchant.id);
      const res = await api("POST", "/api/v1/members", { token, ...call });
      expect(res.status).toBe(status);
      expectErrorShape(res.json, code);
      expect(res.json.error.field).toBe(field);
      expect(await snapshotCounts(merchant.id)).toEqual(before);
    });
  });
});

describe("GET /api/v1/members/{id}", () => {
  it("returns the member", async () => {
    const { token } = await apiFixture();
    const created = await api("POST", "/api/v1/members", { token, body: { email: "get@example.com", name: "Get" } });
    const res = await api("GET", `/api/v1/members/${created.json.id}`, { token });
    expect(res.status).toBe(200);
    expect(res.json).toEqual(created.json);
  });

  it("answers another merchant's member id exactly like a nonexistent one (404, no data)", async () => {
    const a = await apiFixture("apia");
    const b = await apiFixture("apib");
    const ofB = await api("POST", "/api/v1/members", { token: b.token, body: { email: "secret-b@example.com", name: "Bee Secret" } });
    const cross = await api("GET", `/api/v1/members/${ofB.json.id}`, { token: a.token });
    const missing = await api("GET", "/api/v1/members/mbr_aaaaaaaaaaaaaaaaaaaaaaaaaa", { token: a.token });
    const garbage = await api("GET", `/api/v1/members/${encodeURIComponent("' or 1=1 --")}`, { token: a.token });
    for (const res of [cross, missing, garbage]) {
      expect(res.status).toBe(404);
      expect(res.json).toEqual({ error: { code: "not_found", message: "Member not found" } });
    }
    expect(cross.text).not.toContain("secret-b");
    expect(cross.text).not.toContain("Bee Secret");
  });

  it("merchant A's key cannot update merchant B's member by e-mail: it creates A's own", async () => {
    const a = await apiFixture("apia");
    const b = await apiFixture("apib");
    const ofB = await api("POST", "/api/v1/members", { token: b.token, body: { email: "shared@example.com", name: "B's" } });
    const ofA = await api("POST", "/api/v1/members", { token: a.token, body: { email: "shared@example.com", name: "A's" } });
    expect(ofA.status).toBe(201);
    expect(ofA.json.id).not.toBe(ofB.json.id);
    expect((await api("GET", `/api/v1/members/${ofB.json.id}`, { token: b.token })).json.name).toBe("B's");
  });
});

describe("GET /api/v1/members", () => {
  it("pages through members with next_cursor and filters with q and status", async () => {
    const { token } = await apiFixture();
    for (let i = 0; i < 5; i++) await api("POST", "/api/v1/members", { token, body: { email: `page${i}@example.com`, name: `Pager ${i}` } });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await api("GET", `/api/v1/members?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token });
      expect(res.status).toBe(200);
      expect(Object.keys(res.json).sort()).toEqual(["data", "next_cursor"]);
      for (const m of res.json.data) expect(Object.keys(m).sort()).toEqual(MEMBER_KEYS);
      seen.push(...res.json.data.map((m: { email: string }) => m.email));
      cursor = res.json.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(["page4@example.com", "page3@example.com", "page2@example.com", "page1@example.com", "page0@example.com"]);

    const q = await api("GET", "/api/v1/members?q=page3", { token });
    expect(q.json.data.map((m: { email: string }) => m.email)).toEqual(["page3@example.com"]);
    const blocked = await api("GET", "/api/v1/members?status=blocked", { token });
    expect(blocked.json).toEqual({ data: [], next_cursor: null });
  });

  it("never lists another merchant's members", async () => {
    const a = await apiFixture("apia");
    const b = await apiFixture("apib");
    await api("POST", "/api/v1/members", { token: b.token, body: { email: "only-b@example.com" } });
    const res = await api("GET", "/api/v1/members?q=only-b", { token: a.token });
    expect(res.json.data).toEqual([]);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=abc", "limit"],
    ["limit=1.5", "limit"],
    ["status=gone", "status"],
    ["cursor=not-a-cursor", "cursor"],
    ["q=<10,001 characters>", "q"],
  ])("?%s → 422 naming the parameter", async (query, field) => {
    const { token } = await apiFixture();
    const qs = query.startsWith("q=") ? `q=${"x".repeat(10_001)}` : query;
    const res = await api("GET", `/api/v1/members?${qs}`, { token });
    expect(res.status).toBe(422);
    expectErrorShape(res.json, "validation_failed");
    expect(res.json.error.field).toBe(field);
  });

  it("ignores unknown query parameters", async () => {
    const { token } = await apiFixture();
    expect((await api("GET", "/api/v1/members?utm_source=x", { token })).status).toBe(200);
  });
});

describe("authentication and errors on every endpoint", () => {
  const endpoints: Array<[string, string]> = [
    ["GET", "/api/v1/members"],
    ["POST", "/api/v1/members"],
    ["GET", "/api/v1/members/mbr_aaaaaaaaaaaaaaaaaaaaaaaaaa"],
  ];

  it.each(endpoints)("%s %s: missing or bad token → 401 JSON, nothing written", async (method, path) => {
    const m = await createMerchant();
    const { token } = await createKey(m.id);
    const before = await snapshotCounts(m.id);
    const body = method === "POST" ? { email: "anon@example.com" } : undefined;
    // A wrong last character (never the real one, or the "bad" token would be the good one 1 time in 32).
    const wrongSecret = `${token.slice(0, -1)}${token.endsWith("a") ? "b" : "a"}`;
    for (const auth of [undefined, "Bearer nope", `Bearer ${wrongSecret}`, `Token ${token}`]) {
      const res = await api(method, path, { body, headers: auth ? { Authorization: auth } : {} });
      expect(res.status, String(auth)).toBe(401);
      expectErrorShape(res.json, "unauthenticated");
      expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
    }
    expect(await snapshotCounts(m.id)).toEqual(before);
  });

  it("authenticates before parsing: malformed JSON without a key is 401, not 400", async () => {
    const res = await api("POST", "/api/v1/members", { rawBody: "{" });
    expect(res.status).toBe(401);
  });

  it.each([
    ["PUT", "/api/v1/members"],
    ["DELETE", "/api/v1/members/mbr_aaaaaaaaaaaaaaaaaaaaaaaaaa"],
    ["POST", "/api/v1/members/mbr_aaaaaaaaaaaaaaaaaaaaaaaaaa"],
    ["POST", "/api/v1/openapi.json"],
  ])("%s %s → 405 JSON", async (method, path) => {
    const { token } = await apiFixture();
    const res = await api(method, path, { token, body: {} });
    expect(res.status).toBe(405);
    expectErrorShape(res.json, "method_not_allowed");
  });

  it.each([
    ["GET", "/api/v1/nope"],
    ["GET", "/api/v1"],
    ["POST", "/api/v1/members/mbr_x/orders"],
    ["DELETE", "/api/v1/whatever/else"],
  ])("unknown route %s %s → 404 JSON", async (method, path) => {
    const res = await api(method, path, { body: method === "GET" ? undefined : {} });
    expect(res.status).toBe(404);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    expectErrorShape(res.json, "not_found");
  });
});
