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

export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${encodeBase32LowerCaseNoPadding(randomBytes(16))}`;
}

const ID_RE = /^[a-z]{3}_[a-z2-7]{26}$/;

/** True when `value` looks like an id of `kind`; a cheap check before touching the database. */
export function isId(kind: IdKind, value: string): boolean {
  return value.startsWith(`${ID_PREFIXES[kind]}_`) && ID_RE.test(value);
}
