/**
 * Session lifetime rules (pure, unit-tested). Sliding expiry the Lucia way: a session unused for IDLE_MS expires;
 * using it in the second half of that window pushes expiry out again. ABSOLUTE_MS caps a session however active.
 */
export const IDLE_MS = 14 * 24 * 60 * 60 * 1000;
export const ABSOLUTE_MS = 60 * 24 * 60 * 60 * 1000;

export type SessionVerdict = { kind: "expired" } | { kind: "valid" } | { kind: "renew"; expiresAt: Date };

export function judgeSession(s: { createdAt: Date; expiresAt: Date }, now: Date): SessionVerdict {
  const hardLimit = s.createdAt.getTime() + ABSOLUTE_MS;
  if (now.getTime() >= s.expiresAt.getTime() || now.getTime() >= hardLimit) return { kind: "expired" };
  if (s.expiresAt.getTime() - now.getTime() < IDLE_MS / 2) {
    return { kind: "renew", expiresAt: new Date(Math.min(now.getTime() + IDLE_MS, hardLimit)) };
  }
  return { kind: "valid" };
}

export function initialExpiry(now: Date): Date {
  return new Date(now.getTime() + IDLE_MS);
}

/** The cookie outlives any server-side expiry; the database row is what decides. */
export function cookieExpiry(now: Date): Date {
  return new Date(now.getTime() + ABSOLUTE_MS);
}
