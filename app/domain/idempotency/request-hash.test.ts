import { describe, expect, it } from "vitest";
import { canonicalJson, parseIdempotencyKey, requestHash } from "./request-hash";

describe("request hash canonicalisation", () => {
  it("ignores key order and whitespace, recursively", () => {
    const a = JSON.parse('{"email":"a@example.com","name":"A","nested":{"y":1,"x":[1,{"b":2,"a":1}]}}');
    const b = JSON.parse('{ "nested": { "x": [1, { "a": 1, "b": 2 }], "y": 1 }, "name": "A", "email": "a@example.com" }');
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(requestHash(a)).toBe(requestHash(b));
  });

  it("produces sorted compact JSON", () => {
    expect(canonicalJson({ b: 1, a: [true, null, "x"], c: { z: 1, y: 2 } })).toBe('{"a":[true,null,"x"],"b":1,"c":{"y":2,"z":1}}');
  });

  it.each([
    [{ a: 1 }, { a: "1" }],
    [{ a: [1, 2] }, { a: [2, 1] }],
    [{ a: null }, {}],
    [{ a: 1 }, { a: 1, b: 2 }],
    [{ email: "a@example.com" }, { email: "A@example.com" }],
  ])("tells %j and %j apart", (x, y) => {
    expect(requestHash(x)).not.toBe(requestHash(y));
  });

  it("is a 64-character hex SHA-256", () => {
    expect(requestHash({})).toMatch(/^[0-9a-f]{64}$/);
    expect(requestHash({})).toBe("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  });

  it("escapes keys and strings exactly like JSON", () => {
    expect(canonicalJson({ 'we"ird\n': "\u2028" })).toBe(JSON.stringify({ 'we"ird\n': "\u2028" }));
  });
});

describe("Idempotency-Key header", () => {
  it("is optional", () => expect(parseIdempotencyKey(null)).toEqual({ ok: true, key: null }));
  it("accepts 1 to 255 visible characters", () => {
    expect(parseIdempotencyKey("a")).toEqual({ ok: true, key: "a" });
    expect(parseIdempotencyKey("k".repeat(255))).toEqual({ ok: true, key: "k".repeat(255) });
    expect(parseIdempotencyKey("8e0f1c1e-5f7a-4a53-9f0e-1b2c3d4e5f60")).toMatchObject({ ok: true });
  });
  it.each(["", "   ", "k".repeat(256), "with space", "ünïcode"])("rejects %j", (raw) => {
    expect(parseIdempotencyKey(raw).ok).toBe(false);
  });
});
