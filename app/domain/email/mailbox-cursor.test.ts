import { describe, expect, it } from "vitest";
import { decodeMailboxCursor, encodeMailboxCursor } from "./mailbox-cursor";

const cursor = { ts: "2026-11-22T17:00:00.123456Z", id: "eml_aaaaaaaaaaaaaaaaaaaaaaaaaa" };

describe("mailbox cursor", () => {
  it("round-trips", () => {
    expect(decodeMailboxCursor(encodeMailboxCursor(cursor))).toEqual(cursor);
  });

  it.each([
    ["missing", null],
    ["empty", ""],
    ["not base64url", "a+b/c="],
    ["garbage", "bm90IGEgY3Vyc29y"],
    ["wrong id kind", encodeMailboxCursor({ ...cursor, id: "mbr_aaaaaaaaaaaaaaaaaaaaaaaaaa" })],
    ["SQL in the timestamp", encodeMailboxCursor({ ...cursor, ts: "2026-01-01'; drop table x; --" })],
    ["extra fields", Buffer.from(`${cursor.ts}|${cursor.id}|x`).toString("base64url")],
    ["huge", "a".repeat(500)],
  ])("rejects %s", (_, raw) => {
    expect(decodeMailboxCursor(raw)).toBeNull();
  });
});
