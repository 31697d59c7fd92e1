/**
 * Input PostgreSQL cannot store, caught at the edge. text and jsonb refuse NUL (U+0000) and jsonb refuses an
 * unpaired UTF-16 surrogate, so either would reach the database as an error (a 500) instead of a field error.
 * JSON nested thousands of levels deep parses fine but overflows the stack of every recursive walk after it
 * (canonical hashing, Zod, JSON.stringify), so its depth is bounded before parsing. Pure: no I/O.
 */

// Surrogates are matched as UTF-16 code units (no `u` flag): a high one not followed by a low one, or a low one
// not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why this string cannot be stored as PostgreSQL text, or null when it can. */
export function unstorableReason(s: string): string | null {
  if (s.includes("\u0000")) return "must not contain NUL characters (U+0000)";
  if (LONE_SURROGATE.test(s)) return "must not contain unpaired UTF-16 surrogates (invalid Unicode)";
  return null;
}

export interface UnstorableText {
  /** Dotted path of the offending value or key (`items.0.name`), as API errors name fields. */
  field: string;
  reason: string;
  message: string;
}

/** The first string (value or object key) in a parsed JSON value that PostgreSQL would refuse. Iterative. */
export function findUnstorableText(value: unknown, rootPath: string[] = []): UnstorableText | null {
  const stack: Array<{ value: unknown; path: string[] }> = [{ value, path: rootPath }];
  while (stack.length) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === "string") {
      const reason = unstorableReason(v);
      if (reason) return { field: path.join(".") || "body", reason, message: `${path.join(".") || "The body"} ${reason}` };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: [...path, String(i)] });
    } else if (v !== null && typeof v === "object") {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        const reason = unstorableReason(key);
        // The key itself is unprintable, so the field is named by its parent and a sanitised copy of the key.
        if (reason) return { field: [...path, printable(key)].join("."), reason, message: `A field name ${reason}` };
        stack.push({ value: (v as Record<string, unknown>)[key], path: [...path, key] });
      }
    }
  }
  return null;
}

/** A key with its NULs and lone surrogates replaced by U+FFFD, safe to echo back. */
export function printable(s: string): string {
  return s.replaceAll("\u0000", "\uFFFD").replace(new RegExp(LONE_SURROGATE.source, "g"), "\uFFFD");
}

/** Deeper than any document we accept (the API's bodies nest three or four levels). */
export const MAX_JSON_DEPTH = 64;

/** True when JSON text opens more than `max` arrays/objects at once. A linear scan; strings are skipped. */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
