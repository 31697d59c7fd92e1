/**
 * Keyset cursor for the Mailbox list (newest first): the position of a row as (created_at with microseconds, id),
 * base64url-encoded. Opaque to the browser; anything that does not decode to what we issued is ignored.
 */
export interface MailboxCursor {
  ts: string;
  id: string;
}

const TS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const ID_RE = /^eml_[a-z2-7]{26}$/;

export function encodeMailboxCursor(c: MailboxCursor): string {
  return Buffer.from(`${c.ts}|${c.id}`, "utf8").toString("base64url");
}

export function decodeMailboxCursor(raw: string | null | undefined): MailboxCursor | null {
  if (!raw || raw.length > 120 || !/^[A-Za-z0-9_-]+$/.test(raw)) return null;
  const [ts, id, extra] = Buffer.from(raw, "base64url").toString("utf8").split("|");
  if (extra !== undefined || !ts || !id || !TS_RE.test(ts) || !ID_RE.test(id)) return null;
  return { ts, id };
}
