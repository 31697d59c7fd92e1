import { describe, expect, it } from "vitest";
import { generateSecret } from "~/auth/tokens.server";
import { newId } from "~/lib/ids";
import { bearerToken, displayPrefix, formatApiToken, parseApiToken } from "./token";
import { newApiKeySchema } from "./scopes";

describe("API key tokens", () => {
  it("round-trips the key id and secret", () => {
    const id = newId("apiKey");
    const secret = generateSecret();
    const token = formatApiToken(id, secret);
    expect(token).toMatch(/^prn_[a-z2-7]{26}_[a-z2-7]{32}$/);
    expect(parseApiToken(token)).toEqual({ keyId: id, secret });
  });

  it("carries at least 160 bits of secret", () => {
    // 32 base32 characters × 5 bits.
    expect(generateSecret()).toHaveLength(32);
  });

  it("shows only the key id part as the display prefix", () => {
    const secret = generateSecret();
    const token = formatApiToken(newId("apiKey"), secret);
    const prefix = displayPrefix(token);
    expect(prefix).toHaveLength(12);
    expect(prefix.startsWith("prn_")).toBe(true);
    expect(token.indexOf(secret)).toBeGreaterThanOrEqual(prefix.length);
  });

  it.each([
    null,
    "",
    "prn_",
    "key_abc.def",
    "prn_abc_def",
    `prn_${"a".repeat(26)}_${"b".repeat(31)}`,
    `prn_${"a".repeat(26)}_${"b".repeat(33)}`,
    `PRN_${"a".repeat(26)}_${"b".repeat(32)}`,
    `prn_${"a".repeat(26)}_${"b".repeat(31)}1`,
    `prn_${"a".repeat(26)}_${"b".repeat(32)}\n`,
    "x".repeat(10_000),
  ])("rejects malformed token %#", (token) => {
    expect(parseApiToken(token)).toBeNull();
  });

  it("refuses to format a token for a non-key id", () => {
    expect(() => formatApiToken(newId("member"), generateSecret())).toThrow();
  });

  it.each([
    ["Bearer abc", "abc"],
    ["bearer abc", "abc"],
    ["BEARER   abc ", "abc"],
    ["Basic abc", null],
    ["Bearer", null],
    ["Bearer a b", null],
    ["abc", null],
    ["", null],
  ])("reads the bearer token from %j", (header, expected) => {
    expect(bearerToken(header)).toBe(expected);
  });
});

describe("new API key input", () => {
  it("trims the name and dedupes and sorts scopes", () => {
    expect(newApiKeySchema.parse({ name: "  Sync ", scopes: ["members:write", "members:read", "members:write"] })).toEqual({
      name: "Sync",
      scopes: ["members:read", "members:write"],
    });
  });

  it.each([
    [{ name: "", scopes: ["members:read"] }, "name"],
    [{ name: "x".repeat(81), scopes: ["members:read"] }, "name"],
    [{ name: "ok", scopes: [] }, "scopes"],
    [{ name: "ok", scopes: ["admin:everything"] }, "scopes.0"],
    [{ name: "ok" }, "scopes"],
  ])("rejects %j", (input, field) => {
    const r = newApiKeySchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path.join(".")).toBe(field);
  });
});
