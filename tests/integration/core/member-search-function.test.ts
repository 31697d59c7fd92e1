import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { setTenant, withTenant, type Trx } from "~/db.server";
import { countMembersCapped, listMembers, type MemberListQuery } from "~/domain/members/search.server";
import { testDb } from "../../support/db";
import { createMerchant, insertMembers, insertOrder } from "../../support/admin";

/**
 * The SECURITY DEFINER search functions of migration 2026-11-22T1800_member_search. They run as the table owner, so
 * these tests pin down what keeps them from being a hole in Row Level Security.
 */

const PAGE_FN = "member_search_page(text, text, timestamptz, timestamptz, boolean, timestamptz, text, boolean, integer)";
const COUNT_FN = "member_search_count(text, text, timestamptz, timestamptz, boolean, integer)";

/** Calls the page function directly (search text only, first page, newest first). */
async function searchIds(trx: Trx, q: string | null, limit = 100): Promise<string[]> {
  const r = await sql<{ id: string }>`
    select id from member_search_page(${q}::text, null, null, null, null, null, null, false, ${limit}::int)`.execute(trx);
  return r.rows.map((row) => row.id);
}

async function searchCount(trx: Trx, q: string | null): Promise<number> {
  const r = await sql<{ n: number }>`select member_search_count(${q}::text, null, null, null, null, 1000) as n`.execute(trx);
  return r.rows[0]!.n;
}

const list = (merchantId: string, q: MemberListQuery) => withTenant(testDb(), merchantId, (trx) => listMembers(trx, merchantId, q));

describe("member_search_page / member_search_count", () => {
  it("return nothing when no tenant is set", async () => {
    const m = await createMerchant();
    await insertMembers(m.id, [{ email: "notenant.zyxw@example.com", name: "No Tenant" }]);
    await testDb()
      .transaction()
      .execute(async (trx) => {
        expect(await searchIds(trx, "zyxw")).toEqual([]);
        expect(await searchIds(trx, null)).toEqual([]);
        expect(await searchCount(trx, "zyxw")).toBe(0);
        // An empty setting (what RESET leaves behind in a pooled connection) is no tenant either.
        await sql`select set_config('app.merchant_id', '', true)`.execute(trx);
        expect(await searchIds(trx, "zyxw")).toEqual([]);
        expect(await searchCount(trx, null)).toBe(0);
      });
  });

  it("return only the current tenant's members when another merchant has matching ones", async () => {
    const a = await createMerchant();
    const b = await createMerchant();
    const aIds = await insertMembers(a.id, [
      { email: "qoph.one@example.com", name: "Qoph One" },
      { email: "qoph.two@example.com", name: "Qoph Two" },
    ]);
    const bIds = await insertMembers(b.id, [{ email: "qoph.one@example.com", name: "Qoph One" }]);
    await withTenant(testDb(), a.id, async (trx) => {
      expect((await searchIds(trx, "qoph")).sort()).toEqual([...aIds].sort());
      expect((await searchIds(trx, null)).sort()).toEqual([...aIds].sort());
      expect(await searchCount(trx, "qoph")).toBe(2);
      // Re-scoping the transaction is the only way to another merchant; there is no merchant parameter.
      await setTenant(trx, b.id);
      expect(await searchIds(trx, "qoph")).toEqual(bIds);
      expect(await searchCount(trx, "qoph")).toBe(1);
    });
    // listMembers asked for merchant B inside A's scope: the function answers for A, RLS on the join-back for B → nothing.
    const crossed = await withTenant(testDb(), a.id, (trx) => listMembers(trx, b.id, { q: "qoph" }));
    expect(crossed.rows).toEqual([]);
  });

  it("match %, _ and \\ literally", async () => {
    const m = await createMerchant();
    const [pct, , under, , slash] = await insertMembers(m.id, [
      { email: "pct@example.com", name: "Deal 100%off" },
      { email: "pctdecoy@example.com", name: "Deal 100xoff" },
      { email: "under@example.com", external_id: "a_b_c" },
      { email: "underdecoy@example.com", external_id: "axbxc" },
      { email: "slash@example.com", name: "back\\slash" },
      { email: "slashdecoy@example.com", name: "backslash" },
    ]);
    await withTenant(testDb(), m.id, async (trx) => {
      expect(await searchIds(trx, "100%off")).toEqual([pct]);
      expect(await searchIds(trx, "0%o")).toEqual([pct]);
      expect(await searchIds(trx, "a_b_c")).toEqual([under]);
      expect(await searchIds(trx, "k\\s")).toEqual([slash]);
      expect(await searchIds(trx, "%%%")).toEqual([]);
      expect(await searchIds(trx, "___")).toEqual([]);
      // 1–2 characters: e-mail prefix, wildcards still literal.
      expect(await searchIds(trx, "%")).toEqual([]);
      expect(await searchIds(trx, "_")).toEqual([]);
      expect(await searchCount(trx, "\\")).toBe(0);
    });
    expect((await list(m.id, { q: "100%" })).rows.map((r) => r.id)).toEqual([pct]);
    expect((await list(m.id, { q: "x" })).rows).toEqual([]);
  });

  it("can be executed by the app role, not by PUBLIC; the helpers are not callable by the app", async () => {
    const r = await sql<{ fn: string; app: boolean; public_exec: boolean; definer: boolean; config: string[] | null }>`
      select f.fn,
             has_function_privilege(current_user, f.fn, 'execute') as app,
             (p.proacl is null or exists (select 1 from aclexplode(p.proacl) a where a.grantee = 0 and a.privilege_type = 'EXECUTE')) as public_exec,
             p.prosecdef as definer,
             p.proconfig as config
      from (values (${PAGE_FN}), (${COUNT_FN}), ('member_search_where(text, text, timestamptz, timestamptz, boolean)'), ('member_search_pattern(text)')) f(fn)
      join pg_proc p on p.oid = f.fn::regprocedure`.execute(testDb());
    const byName = Object.fromEntries(r.rows.map((row) => [row.fn.split("(")[0], row]));
    expect(byName.member_search_page).toMatchObject({ app: true, public_exec: false, definer: true, config: ["search_path=public, pg_temp"] });
    expect(byName.member_search_count).toMatchObject({ app: true, public_exec: false, definer: true, config: ["search_path=public, pg_temp"] });
    expect(byName.member_search_where).toMatchObject({ app: false, public_exec: false, definer: false });
    expect(byName.member_search_pattern).toMatchObject({ app: false, public_exec: false, definer: false });
    // The tests run as the app role itself.
    const who = await sql<{ u: string }>`select current_user as u`.execute(testDb());
    expect(who.rows[0]!.u).toBe("perennial_app");
  });

  it("walks every match exactly once forward and backward, with filters, through listMembers", async () => {
    const m = await createMerchant();
    // 38 matches and 12 non-matches; many share a created_at, so the id must break ties across page edges.
    const seeds = Array.from({ length: 50 }, (_, i) => ({
      email: i % 4 === 3 ? `other${i}@example.com` : `vexil${i}@example.com`,
      name: `Walker ${i}`,
      status: (i % 5 === 0 ? "blocked" : "active") as "active" | "blocked",
      created_at: i < 25 ? "2026-06-06T06:06:06.654321Z" : new Date(Date.UTC(2026, 5, 7, 0, 0, i)).toISOString(),
    }));
    const ids = await insertMembers(m.id, seeds);
    const matching = ids.filter((_, i) => i % 4 !== 3);
    expect(matching).toHaveLength(38);

    const walk = async (query: MemberListQuery) => {
      const pages: string[][] = [];
      let cursor: string | null = null;
      let last: Awaited<ReturnType<typeof list>>;
      do {
        last = await list(m.id, { ...query, cursor, limit: 10 });
        pages.push(last.rows.map((r) => r.id));
        cursor = last.nextCursor;
      } while (cursor);
      const backward: string[][] = [pages[pages.length - 1]!];
      let prev = last.prevCursor;
      while (prev) {
        const page = await list(m.id, { ...query, cursor: prev, direction: "prev", limit: 10 });
        backward.unshift(page.rows.map((r) => r.id));
        prev = page.prevCursor;
      }
      expect(backward).toEqual(pages);
      return pages;
    };

    const pages = await walk({ q: "VEXIL" });
    expect(pages.map((p) => p.length)).toEqual([10, 10, 10, 8]);
    const seen = pages.flat();
    expect(new Set(seen).size).toBe(38);
    expect([...seen].sort()).toEqual([...matching].sort());
    // Same order as the unsearched list restricted to the matches.
    const all = await list(m.id, { limit: 100 });
    expect(seen).toEqual(all.rows.map((r) => r.id).filter((id) => matching.includes(id)));
    expect(await withTenant(testDb(), m.id, (trx) => countMembersCapped(trx, m.id, { q: "vexil" }))).toEqual({ count: 38, capped: false });
    expect(await withTenant(testDb(), m.id, (trx) => countMembersCapped(trx, m.id, { q: "vexil" }, 20))).toEqual({ count: 20, capped: true });

    // Search combined with the other filters gives what the unsearched list gives, filtered the same way.
    await insertOrder(m.id, ids[0]!, 500, "2026-07-01T00:00:00Z");
    await insertOrder(m.id, ids[3]!, 500, "2026-07-01T00:00:00Z");
    const cases: MemberListQuery[] = [
      { status: "blocked" },
      { hasOrders: true },
      { hasOrders: false, status: "active" },
      { joinedFrom: "2026-06-07" },
      { joinedTo: "2026-06-06" },
      { joinedTo: "2026-06-06T06:06:06.654321Z" },
      { joinedFrom: "2026-06-06T06:06:06.654322Z" },
    ];
    for (const filters of cases) {
      const expected = (await list(m.id, { ...filters, limit: 100 })).rows.map((r) => r.id).filter((id) => matching.includes(id));
      const searched = (await walk({ ...filters, q: "vexil" })).flat();
      expect(searched, JSON.stringify(filters)).toEqual(expected);
      const counted = await withTenant(testDb(), m.id, (trx) => countMembersCapped(trx, m.id, { ...filters, q: "vexil" }));
      expect(counted, JSON.stringify(filters)).toEqual({ count: expected.length, capped: false });
    }
    const buyers = await list(m.id, { q: "vexil", hasOrders: true });
    expect(buyers.rows.map((r) => [r.id, r.order_count, r.total_spend_minor])).toEqual([[ids[0], 1, 500]]);
  });

  it("finds sparse matches beyond the first walk window (the second step), paging both ways", async () => {
    const m = await createMerchant();
    // 1,500 members, three per timestamp; 14 match 'sparrowhawk', far apart and in a cluster at the oldest end.
    const hits = [5, 6, 700, 1100, ...Array.from({ length: 10 }, (_, k) => 1480 + k)];
    await withTenant(testDb(), m.id, async (trx) => {
      await sql`
        insert into members (merchant_id, id, email, name, created_at, updated_at)
        select ${m.id}, 'mbr_' || substr(translate(md5(${m.id} || i), '0189', 'wxyz'), 1, 26),
               'sparse' || i || '@example.com',
               case when i = any(${hits}::int[]) then 'Sparrowhawk ' || i else 'Other ' || i end,
               t, t
        from generate_series(1, 1500) i, lateral (select timestamptz '2026-01-01' + (i / 3) * interval '1 minute' as t) x`.execute(trx);
    });
    const everyone: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(m.id, { cursor, limit: 100 });
      everyone.push(...page.rows.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    const expected = (await withTenant(testDb(), m.id, (trx) =>
      trx.selectFrom("members").select("id").where("name", "like", "Sparrowhawk%").execute(),
    )).map((r) => r.id);
    const ordered = everyone.filter((id) => expected.includes(id));
    expect(ordered).toHaveLength(hits.length);

    for (const limit of [1, 3, 5]) {
      const pages: string[][] = [];
      let last: Awaited<ReturnType<typeof list>>;
      cursor = null;
      do {
        last = await list(m.id, { q: "sparrowhawk", cursor, limit });
        pages.push(last.rows.map((r) => r.id));
        cursor = last.nextCursor;
      } while (cursor);
      expect(pages.flat(), `limit ${limit}`).toEqual(ordered);
      const backward: string[][] = [pages[pages.length - 1]!];
      let prev = last.prevCursor;
      while (prev) {
        const page = await list(m.id, { q: "sparrowhawk", cursor: prev, direction: "prev", limit });
        backward.unshift(page.rows.map((r) => r.id));
        prev = page.prevCursor;
      }
      expect(backward, `limit ${limit}`).toEqual(pages);
    }
    // A filter that no match satisfies: nothing, from either step.
    expect((await list(m.id, { q: "sparrowhawk", status: "blocked" })).rows).toEqual([]);
    expect((await list(m.id, { q: "sparrowhawk", hasOrders: true })).rows).toEqual([]);
  });
});
