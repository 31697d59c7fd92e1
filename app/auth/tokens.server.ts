import { sha256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { encodeBase32LowerCaseNoPadding } from "@oslojs/encoding";
import { randomBytes } from "~/lib/ids";

/**
 * Secrets the Lucia way (lucia-auth.com): a token is `<id>.<secret>`; only SHA-256(secret) is stored, the id is
 * the lookup key, and the secret is compared in constant time. 160-bit secrets (S1 asks for ≥ 120).
 */
export function generateSecret(): string {
  return encodeBase32LowerCaseNoPadding(randomBytes(20));
}

export function hashSecret(secret: string): Buffer {
  return Buffer.from(sha256(new TextEncoder().encode(secret)));
}

export function secretMatches(secret: string, storedHash: Uint8Array): boolean {
  const h = hashSecret(secret);
  return h.length === storedHash.length && constantTimeEqual(h, new Uint8Array(storedHash));
}

/** Splits `<id>.<secret>`; null for anything malformed. */
export function parseToken(token: string | undefined | null): { id: string; secret: string } | null {
  if (!token || token.length > 200) return null;
  const dot = token.indexOf(".");
  if (dot <= 0 || dot === token.length - 1) return null;
  const id = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  if (!/^[a-z0-9_]+$/.test(id) || !/^[a-z2-7]+$/.test(secret)) return null;
  return { id, secret };
}
