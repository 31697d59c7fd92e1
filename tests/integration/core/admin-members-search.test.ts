import { describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { countMembersCapped, decodeCursor, encodeCursor, listMembers, type MemberListQuery } from "~/domain/members/search.server";
import { DomainError } from "~/lib/errors";
import { testDb } from "../../support/db";
import { createMerchant, insertMembers, insertOrder } from "../../support/admin";

const list = (merchantId: string, q: MemberListQuery) => withTenant(testDb(), merchantId, (trx) => listMembers(trx, merchantId, q));
const count = (merchantId: string, q: MemberListQuery, cap?: number) =>
  withTenant(testDb(), merchantId, (trx) => countMembersCapped(trx, merchantId, q, cap));

/** 23 members, one a day from 2026-01-01, with a few distinctive ones. */
async function seeded() {
  const m = await createMerchant();
  const seeds = Array.from({ length: 23 }, (_, i) => ({
    email: `person${i}@example.com`,
    name: `Person ${i}`,
    external_id: `ext-${i}`,
    created_at: new Date(Date.UTC(2026, 0, 1 + i, 12)).toISOString(),
  }));
  seeds[5] = { ...seeds[5]!, email: "maria.garcia@shop.test", name: "María García" };
  seeds[9] = { ...seeds[9]!, name: "Zed Quux", external_id: "CRM-77731" };
  const ids = await insertMembers(m.id, seeds.map((s, i) => ({ ...s, status: i % 4 === 0 ? "blocked" : "active" })));
  return { ...m, ids };
}

describe("listMembers", () => {
  it("searches by e-mail fragment, name and external id, case-insensitively", async () => {
    const m = await seeded();
    expect((await list(m.id, { q: "GARCIA@shop" })).rows.map((r) => r.id)).toEqual([m.ids[5]]);
    expect((await list(m.id, { q: "zed qu" })).rows.map((r) => r.id)).toEqual([m.ids[9]]);
    expect((await list(m.id, { q: "crm-7773" })).rows.map((r) => r.id)).toEqual([m.ids[9]]);
    // 1–2 characters: e-mail prefix only.
    expect((await list(m.id, { q: "ma" })).rows.map((r) => r.id)).toEqual([m.ids[5]]);
    // LIKE wildcards are literal characters.
    expect((await list(m.id, { q: "%" })).rows).toEqual([]);
    expect((await list(m.id, { q: "___" })).rows).toEqual([]);
  });

  it("filters by status, join dates (inclusive, in the merchant's zone) and orders", async () => {
    const m = await seeded();
    const blocked = await list(m.id, { status: "blocked" });
    expect(blocked.rows).toHaveLength(6);
    expect(blocked.rows.every((r) => r.status === "blocked")).toBe(true);

    const jan = await list(m.id, { joinedFrom: "2026-01-03", joinedTo: "2026-01-05" });
    expect(jan.rows.map((r) => r.id)).toEqual([m.ids[4], m.ids[3], m.ids[2]]);

    await insertOrder(m.id, m.ids[7]!, 1250, "2026-02-01T10:00:00Z");
    await insertOrder(m.id, m.ids[7]!, 750, "2026-03-01T10:00:00Z");
    const buyers = await list(m.id, { hasOrders: true });
    expect(buyers.rows).toHaveLength(1);
    expect(buyers.rows[0]).toMatchObject({ id: m.ids[7], order_count: 2, total_spend_minor: 2000 });
    expect(buyers.rows[0]!.last_order_at).toEqual(new Date("2026-03-01T10:00:00Z"));
    expect((await list(m.id, { hasOrders: false })).rows).toHaveLength(22);
    expect(await count(m.id, { hasOrders: false })).toEqual({ count: 22, capped: false });
  });

  it("interprets join days in the merchant's time zone", async () => {
    const m = await createMerchant({ timezone: "America/New_York" });
    // 2026-01-02T03:00Z is still 1 January in New York.
    const [late] = await insertMembers(m.id, [{ email: "late@example.com", created_at: "2026-01-02T03:00:00Z" }]);
    expect((await list(m.id, { joinedFrom: "2026-01-01", joinedTo: "2026-01-01" })).rows.map((r) => r.id)).toEqual([late]);
    expect((await list(m.id, { joinedFrom: "2026-01-02" })).rows).toEqual([]);
  });

  it("rejects malformed dates with a field error, not a database error", async () => {
    const m = await createMerchant();
    await expect(list(m.id, { joinedFrom: "2026-02-30" })).rejects.toMatchObject({ code: "validation_failed", field: "joinedFrom" });
    await expect(list(m.id, { joinedTo: "yesterday" })).rejects.toBeInstanceOf(DomainError);
  });

  it("walks every member exactly once forward and backward with keyset pagination", async () => {
    const m = await createMerchant();
    // Same created_at for many rows: the id breaks ties, and microseconds must survive the cursor.
    const seeds = Array.from({ length: 47 }, (_, i) => ({
      email: `walk${i}@example.com`,
      created_at: i < 20 ? "2026-05-05T05:05:05.123456Z" : new Date(Date.UTC(2026, 4, 6, 0, 0, i, 0) + i * 0.001).toISOString().replace("Z", "789Z"),
    }));
    const ids = await insertMembers(m.id, seeds);

    const forward: string[] = [];
    const pages: string[][] = [];
    let cursor: string | null = null;
    let last: Awaited<ReturnType<typeof list>> | null = null;
    do {
      last = await list(m.id, { cursor, limit: 10 });
      pages.push(last.rows.map((r) => r.id));
      forward.push(...last.rows.map((r) => r.id));
      cursor = last.nextCursor;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([10, 10, 10, 10, 7]);
    expect(new Set(forward).size).toBe(47);
    expect([...forward].sort()).toEqual([...ids].sort());
    // Newest first.
    const created = await list(m.id, { limit: 100 });
    expect(created.rows.map((r) => r.id)).toEqual(forward);

    const backward: string[][] = [pages[pages.length - 1]!];
    let prev = last.prevCursor;
    while (prev) {
      const page = await list(m.id, { cursor: prev, direction: "prev", limit: 10 });
      backward.unshift(page.rows.map((r) => r.id));
      prev = page.prevCursor;
      expect(page.nextCursor).not.toBeNull();
    }
    expect(backward).toEqual(pages);
  });

  it("treats a tampered or foreign cursor as the first page", async () => {
    const m = await seeded();
    const first = await list(m.id, { limit: 5 });
    expect(first.prevCursor).toBeNull();
    for (const bad of ["", "not-a-cursor", "%%%", encodeCursor({ ts: "2026-13-45T99:00:00Z", id: "mbr_x" }), Buffer.from("2026-01-01T00:00:00Z|'; drop table members;--").toString("base64url"), "A".repeat(5000)]) {
      expect(decodeCursor(bad)).toBeNull();
      const page = await list(m.id, { cursor: bad, limit: 5 });
      expect(page.rows.map((r) => r.id)).toEqual(first.rows.map((r) => r.id));
    }
  });

  it("never shows one merchant another merchant's members", async () => {
    const a = await seeded();
    const b = await createMerchant();
    await insertMembers(b.id, [{ email: "maria.garcia@shop.test", name: "María García" }]);
    const all = await list(a.id, { limit: 100 });
    expect(all.rows).toHaveLength(23);
    expect(all.rows.every((r) => a.ids.includes(r.id))).toBe(true);
    expect((await list(b.id, { q: "garcia" })).rows).toHaveLength(1);
    // Asking for merchant B's rows inside merchant A's tenant scope yields nothing (RLS).
    const crossed = await withTenant(testDb(), a.id, (trx) => listMembers(trx, b.id, {}));
    expect(crossed.rows).toEqual([]);
    expect(await count(a.id, {})).toEqual({ count: 23, capped: false });
  });

  it("caps the count", async () => {
    const m = await seeded();
    expect(await count(m.id, {}, 10)).toEqual({ count: 10, capped: true });
    expect(await count(m.id, { q: "person2" }, 10)).toEqual({ count: 4, capped: false });
  });
});
