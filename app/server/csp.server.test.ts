import { describe, expect, it } from "vitest";
import { newCspNonce } from "./csp.server";

describe("newCspNonce", () => {
  it("gives 16 fresh random bytes per nonce, across several blocks of randomness (each byte used once)", () => {
    const nonces = Array.from({ length: 1_000 }, () => newCspNonce());
    const bytes = nonces.map((n) => Buffer.from(n, "base64"));
    expect(bytes.every((b, i) => b.length === 16 && b.toString("base64") === nonces[i])).toBe(true);
    // No 6 bytes recur anywhere (48 bits: a chance recurrence is ~1e-7 here); bytes handed out twice would.
    const windows = bytes.flatMap((b) => Array.from({ length: 11 }, (_, i) => b.toString("hex", i, i + 6)));
    expect(new Set(windows).size).toBe(windows.length);
  });
});
