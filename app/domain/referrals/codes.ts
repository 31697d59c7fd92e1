import { randomBytes } from "~/lib/ids";

/** Readable alphabet: no 0/O, 1/I/L (the column's check allows any alphanumerics, the generator avoids look-alikes). */
const ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
export const CODE_LENGTH = 7;
export const CODE_PATTERN = /^[A-Za-z0-9]{4,16}$/;

/** A random code (31^7 ≈ 2.75e10): not derived from the member id, so it cannot be guessed from it. */
export function generateReferralCode(length = CODE_LENGTH): string {
  // Rejection sampling keeps every letter equally likely.
  let out = "";
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b < 248 && out.length < length) out += ALPHABET[b % ALPHABET.length];
    }
  }
  return out;
}

export function normalizeCode(code: string): string | null {
  const c = code.trim();
  return CODE_PATTERN.test(c) ? c.toUpperCase() : null;
}
