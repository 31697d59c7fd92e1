/**
 * API key tokens: `prn_<key id without its "key_" prefix>_<secret>`, e.g. `prn_3x…(26)_k2…(32)`.
 * The key id is the lookup handle (through the SECURITY DEFINER `auth_api_key_lookup`, because the merchant is
 * unknown before authentication); the secret is 160 random bits of which only SHA-256 is stored. The `prn_` prefix
 * makes leaked keys easy to spot in logs and secret scanners. Pure: no I/O.
 */
const KEY_ID_PREFIX = "key_";
export const TOKEN_PREFIX = "prn_";
const TOKEN_RE = /^prn_([a-z2-7]{26})_([a-z2-7]{32})$/;

/** How many leading characters of a token are kept for display (`prn_` + 8 characters of the key id, no secret). */
export const DISPLAY_PREFIX_LENGTH = 12;

export function formatApiToken(keyId: string, secret: string): string {
  if (!keyId.startsWith(KEY_ID_PREFIX)) throw new Error(`not an API key id: ${keyId}`);
  return `${TOKEN_PREFIX}${keyId.slice(KEY_ID_PREFIX.length)}_${secret}`;
}

/** The token's key id and secret, or null for anything that is not exactly a well-formed token. */
export function parseApiToken(token: string | null | undefined): { keyId: string; secret: string } | null {
  if (!token || token.length > 100) return null;
  const m = TOKEN_RE.exec(token);
  if (!m) return null;
  return { keyId: `${KEY_ID_PREFIX}${m[1]}`, secret: m[2]! };
}

/** The visible part stored in `api_keys.token_prefix`; it never includes any of the secret. */
export function displayPrefix(token: string): string {
  return token.slice(0, DISPLAY_PREFIX_LENGTH);
}

/**
 * Extracts the token from an `Authorization` header. The scheme is case-insensitive (RFC 9110); anything other
 * than a single Bearer credential is rejected as a whole rather than guessed at.
 */
export function bearerToken(header: string | null | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer +(\S+) *$/i.exec(header);
  return m ? m[1]! : null;
}
