import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateSecret, hashSecret, parseToken, secretMatches } from "./tokens.server";

describe("secrets (S1)", () => {
  it("carry at least 120 bits of randomness and never repeat", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const s = generateSecret();
      expect(decodeBase32IgnorePadding(s.toUpperCase()).length * 8).toBeGreaterThanOrEqual(120);
      seen.add(s);
    }
    expect(seen.size).toBe(1000);
  });

  it("are stored as their SHA-256 only", () => {
    const s = generateSecret();
    const h = hashSecret(s);
    expect(h.length).toBe(32);
    expect(h.toString("hex")).toBe(
      // Reference SHA-256 computed independently with node:crypto.
      createHash("sha256").update(s).digest("hex"),
    );
    expect(h.toString("utf8")).not.toContain(s);
  });

  it("match only the right secret", () => {
    const s = generateSecret();
    const h = hashSecret(s);
    expect(secretMatches(s, h)).toBe(true);
    expect(secretMatches(generateSecret(), h)).toBe(false);
    expect(secretMatches(s.slice(0, -1), h)).toBe(false);
    expect(secretMatches(s, new Uint8Array(16))).toBe(false);
  });
});

describe("parseToken", () => {
  it("splits id and secret", () => {
    expect(parseToken("ses_abc.mfrggzdf")).toEqual({ id: "ses_abc", secret: "mfrggzdf" });
  });
  it.each([null, undefined, "", "nodot", ".secret", "id.", "ID.abc", "ses_abc.ABC", "ses_abc.a1b", "ses-abc.abc", "a.b.c", `a.${"a".repeat(300)}`])(
    "rejects %j",
    (t) => {
      expect(parseToken(t)).toBeNull();
    },
  );
});
