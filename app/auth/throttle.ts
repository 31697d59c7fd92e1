/**
 * Login throttling rules (S6), pure so they can be unit-tested. Failures are counted per account key, whether or
 * not the account exists, so the throttle itself cannot reveal which e-mails are registered.
 */

/** Failures allowed before any waiting starts (typos happen). */
export const FREE_FAILURES = 3;
export const MAX_BACKOFF_SECONDS = 300;
/** A key whose last failure is older than this starts counting from zero again. */
export const FAILURE_MEMORY_MS = 60 * 60 * 1000;

/** Seconds to wait after the `failures`-th consecutive failure: 0, 0, 0, 1, 2, 4, … capped at 300. */
export function backoffSeconds(failures: number): number {
  if (!Number.isFinite(failures) || failures <= FREE_FAILURES) return 0;
  const exponent = Math.min(failures - FREE_FAILURES - 1, 30);
  return Math.min(MAX_BACKOFF_SECONDS, 2 ** exponent);
}

/** Whole seconds (rounded up) until `nextAllowedAt`; 0 when an attempt is allowed now. */
export function secondsUntil(nextAllowedAt: Date, now: Date): number {
  const ms = nextAllowedAt.getTime() - now.getTime();
  return ms > 0 ? Math.ceil(ms / 1000) : 0;
}

export const staffThrottleKey = (email: string) => `staff:${email.trim().toLowerCase()}`;
export const memberThrottleKey = (merchantId: string, email: string) => `member:${merchantId}:${email.trim().toLowerCase()}`;

/** One message for unknown e-mail and wrong password alike. */
export const INVALID_LOGIN_MESSAGE = "Wrong e-mail or password.";
export const throttledMessage = (seconds: number) => `Too many attempts, try again in ${seconds} second${seconds === 1 ? "" : "s"}.`;
