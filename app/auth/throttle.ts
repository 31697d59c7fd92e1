/**
 * Login throttling rules (S6), pure so they can be unit-tested. Failures are counted per account key, whether or
 * not the account exists, so the throttle itself cannot reveal which e-mails are registered.
 *
 * Issue 12 §4: the account backoff is kept per (account, source), so an attacker's guesses slow the attacker's
 * address and not the owner's; each source also has a budget of failures across all accounts, so one address
 * cannot spray guesses over many accounts. A source is an IPv4 address or an IPv6 /64 (one customer's prefix).
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

/** Failures one source may make across all accounts before its own backoff starts (a shared NAT makes typos too). */
export const SOURCE_FREE_FAILURES = 20;

/** Seconds a source waits after its `failures`-th failure across accounts: 0 up to 20, then 1, 2, 4, … capped at 300. */
export function sourceBackoffSeconds(failures: number): number {
  if (!Number.isFinite(failures) || failures <= SOURCE_FREE_FAILURES) return 0;
  return backoffSeconds(failures - SOURCE_FREE_FAILURES + FREE_FAILURES);
}

/**
 * The throttling source of a client address: `ip:a.b.c.d` for IPv4 (IPv4-mapped IPv6 included), `ip:<first four
 * hextets>::/64` for IPv6, since one subscriber usually gets a whole /64 and could otherwise rotate through it.
 * Anything unparsable shares the one `ip:unknown` source. `null` (no address at all: not an HTTP request) → null.
 */
export function throttleSource(ip: string | null | undefined): string | null {
  if (ip === null || ip === undefined) return null;
  const raw = ip.trim().replace(/^\[(.*)\]$/, "$1");
  const v4 = parseIPv4(raw);
  if (v4) return `ip:${v4.join(".")}`;
  const v6 = parseIPv6(raw.replace(/%.*$/, ""));
  if (!v6) return "ip:unknown";
  if (v6.slice(0, 5).every((h) => h === 0) && v6[5] === 0xffff) {
    return `ip:${[v6[6]! >> 8, v6[6]! & 255, v6[7]! >> 8, v6[7]! & 255].join(".")}`;
  }
  return `ip:${v6
    .slice(0, 4)
    .map((h) => h.toString(16))
    .join(":")}::/64`;
}

function parseIPv4(s: string): number[] | null {
  const parts = s.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return null;
  const octets = parts.map(Number);
  return octets.every((o) => o <= 255) ? octets : null;
}

/** Eight 16-bit groups, or null. Accepts `::` once and a dotted IPv4 tail (`::ffff:1.2.3.4`). */
function parseIPv6(s: string): number[] | null {
  if (!s.includes(":") || s.length > 45) return null;
  let text = s.toLowerCase();
  const tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const v4 = parseIPv4(tail[2]!);
    if (!v4) return null;
    text = `${tail[1]}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const all = [...head, ...rest];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  const missing = 8 - all.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  return [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest].map((g) => parseInt(g, 16));
}

/**
 * The row that throttles one account for one source. Without a source (no HTTP request) it is the account key
 * itself, which is how every row was keyed before sources existed.
 */
export const accountSourceKey = (accountKey: string, source: string | null) => (source ? `${accountKey}|${source}` : accountKey);

export const staffThrottleKey = (email: string) => `staff:${email.trim().toLowerCase()}`;
export const memberThrottleKey = (merchantId: string, email: string) => `member:${merchantId}:${email.trim().toLowerCase()}`;

/** One message for unknown e-mail and wrong password alike. */
export const INVALID_LOGIN_MESSAGE = "Wrong e-mail or password.";
export const throttledMessage = (seconds: number) => `Too many attempts, try again in ${seconds} second${seconds === 1 ? "" : "s"}.`;
