import { encodeBase32LowerCaseNoPadding } from "@oslojs/encoding";

/**
 * Prefixed, unguessable ids (Stripe/Dub style): `mbr_` + 128 random bits in lowercase base32.
 * The prefix says what an id is in logs, URLs and the API; the randomness makes ids safe to show.
 */
export const ID_PREFIXES = {
  merchant: "mch",
  staff: "stf",
  member: "mbr",
  apiKey: "key",
  session: "ses",
  invitation: "inv",
  passwordReset: "pwr",
  audit: "aud",
  email: "eml",
  order: "ord",
  journal: "jnl",
  lot: "lot",
  refund: "rfn",
  import: "imp",
  experiment: "exp",
  referral: "ref",
  referralClick: "rcl",
  referralPayout: "rpo",
  referralReview: "rrv",
  referralInvite: "rin",
  segment: "seg",
  offer: "ofr",
  gift: "gft",
  announcement: "ann",
  reward: "rwd",
  redemption: "rdm",
  tier: "tie",
  tierHistory: "tih",
  tierJob: "tij",
  cltvModel: "clm",
  referralHoldoutSignup: "rhs",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

export function randomBytes(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  return bytes;
}

// 16 fresh random bytes cut from a block of the same random source, 256 per call: one getRandomValues call per id
// (accrual profile) or per CSP nonce cost more than the rest of that work. Every byte is handed out once; a used
// block is dropped, never refilled, so bytes handed out before cannot change.
const BLOCK_BYTES = 4096;
let block: Uint8Array = new Uint8Array(0);
let offset = 0;

/** 16 random bytes never handed out before (a view of a block: do not write to it). newId's and the CSP nonce's. */
export function random16(): Uint8Array {
  if (offset + 16 > block.length) {
    block = randomBytes(BLOCK_BYTES);
    offset = 0;
  }
  const bytes = block.subarray(offset, offset + 16);
  offset += 16;
  return bytes;
}

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${encodeBase32LowerCaseNoPadding(random16())}`;
}

/**
 * `n` ids of one kind, the same as `n` calls of newId, drawing the randomness in 64 KB calls: a bulk insert's
 * thousands of ids cost one call to the random source each call of newId otherwise pays (the larger part of its cost).
 */
export function newIds(kind: IdKind, n: number): string[] {
  const prefix = `${ID_PREFIXES[kind]}_`;
  const ids = new Array<string>(n);
  // getRandomValues refuses more than 65,536 bytes at once.
  const perDraw = 4096;
  for (let start = 0; start < n; start += perDraw) {
    const count = Math.min(perDraw, n - start);
    const bytes = randomBytes(16 * count);
    for (let i = 0; i < count; i++) ids[start + i] = prefix + encodeBase32LowerCaseNoPadding(bytes.subarray(i * 16, i * 16 + 16));
  }
  return ids;
}

const ID_RE = /^[a-z]{3}_[a-z2-7]{26}$/;

/** True when `value` looks like an id of `kind`; a cheap check before touching the database. */
export function isId(kind: IdKind, value: string): boolean {
  return value.startsWith(`${ID_PREFIXES[kind]}_`) && ID_RE.test(value);
}
