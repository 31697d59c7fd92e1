import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";

/**
 * The fingerprint that decides "same request" for an idempotency key: SHA-256 of the body's canonical JSON.
 * Canonical means object keys sorted (recursively) and no whitespace, so a client that re-serialises the same
 * value with another key order or spacing is still recognised; array order and value types stay significant
 * (`1` and `"1"` differ). Method and path are stored and compared separately. Pure: no I/O.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    // JSON.stringify turns undefined into undefined; treat a missing body like JSON null.
    return JSON.stringify(value) ?? "null";
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(",")}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(",")}}`;
}

export function requestHash(body: unknown): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(canonicalJson(body))));
}

/** The `Idempotency-Key` header: 1–255 visible ASCII characters (Stripe's limit), or null when absent. */
export const IDEMPOTENCY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotent-Replayed";

export function parseIdempotencyKey(raw: string | null): { ok: true; key: string | null } | { ok: false; message: string } {
  if (raw === null) return { ok: true, key: null };
  const key = raw.trim();
  if (key.length < 1 || key.length > 255) return { ok: false, message: "Idempotency-Key must be 1 to 255 characters" };
  if (!/^[\x21-\x7e]+$/.test(key)) return { ok: false, message: "Idempotency-Key may contain visible ASCII characters only" };
  return { ok: true, key };
}
