import { describe, expect, it } from "vitest";
import { sql } from "kysely";
import { withTenant, type Trx } from "~/db.server";
import { createMerchant, insertMembers } from "../../support/admin";
import { testDb } from "../../support/db";

/**
 * Referral node numbers come from a per-merchant counter (referral_node_counters, migration 2026-12-07T0100), not a
 * sequence: unique within the merchant, continuing above the numbers its nodes already have (given out by the old
 * global sequence), independent between merchants.
 */

const tx = <T>(merchantId: string, fn: (trx: Trx) => Promise<T>) => withTenant(testDb(), merchantId, fn);

const edge = (trx: Trx, merchantId: string, member: string, referrer: string) =>
  sql`insert into referral_edges (merchant_id, member_id, referrer_id, depth, via) values (${merchantId}, ${member}, ${referrer}, 1, 'api')`.execute(trx);

const nodes = (merchantId: string) =>
  tx(merchantId, async (trx) =>
    (
      await sql<{ member_id: string; node_no: number; depth: number; seg_path: string }>`
        select member_id, node_no, depth, seg_path from referral_nodes where merchant_id = ${merchantId} order by node_no`.execute(trx)
    ).rows.map((r) => ({ ...r, node_no: Number(r.node_no) })),
  );

describe("referral node numbers", () => {
  it("a merchant's first numbers from the counter continue above its existing nodes; merchants count on their own", async () => {
    const a = await createMerchant();
    const b = await createMerchant();
    const [a1, a2, a3, a4] = await insertMembers(a.id, [1, 2, 3, 4].map((i) => ({ email: `n${i}@example.com` })));
    const [b1, b2] = await insertMembers(b.id, [1, 2].map((i) => ({ email: `n${i}@example.com` })));

    // A node numbered by the old sequence (a root, as the backfill left it).
    await tx(a.id, (trx) =>
      sql`insert into referral_nodes (merchant_id, member_id, node_no, depth, anchor_no, seg_path) values (${a.id}, ${a1!}, 7001, 0, 7001, '7001')`.execute(trx),
    );
    await tx(a.id, async (trx) => {
      await edge(trx, a.id, a2!, a1!);
      await edge(trx, a.id, a3!, a2!);
    });
    // Another transaction continues from the counter; a new root takes a number too.
    await tx(a.id, (trx) => edge(trx, a.id, a4!, a3!));
    await tx(b.id, (trx) => edge(trx, b.id, b2!, b1!));

    expect(await nodes(a.id)).toEqual([
      { member_id: a1, node_no: 7001, depth: 0, seg_path: "7001" },
      { member_id: a2, node_no: 7002, depth: 1, seg_path: "7001.7002" },
      { member_id: a3, node_no: 7003, depth: 2, seg_path: "7001.7002.7003" },
      { member_id: a4, node_no: 7004, depth: 3, seg_path: "7001.7002.7003.7004" },
    ]);
    expect(await nodes(b.id)).toEqual([
      { member_id: b1, node_no: 1, depth: 0, seg_path: "1" },
      { member_id: b2, node_no: 2, depth: 1, seg_path: "1.2" },
    ]);
    const counters = await tx(a.id, async (trx) => (await sql<{ last_no: string }>`select last_no from referral_node_counters where merchant_id = ${a.id}`.execute(trx)).rows);
    expect(counters.map((r) => Number(r.last_no))).toEqual([7004]);
    // The counter is tenant data like the nodes.
    expect(await tx(b.id, async (trx) => (await sql`select 1 from referral_node_counters where merchant_id = ${a.id}`.execute(trx)).rows)).toEqual([]);
  });

  it("a moved leaf keeps its number", async () => {
    const m = await createMerchant();
    const [r1, r2, leaf] = await insertMembers(m.id, [1, 2, 3].map((i) => ({ email: `k${i}@example.com` })));
    await tx(m.id, (trx) => edge(trx, m.id, leaf!, r1!));
    const before = (await nodes(m.id)).find((n) => n.member_id === leaf)!.node_no;
    await tx(m.id, (trx) => sql`update referral_edges set referrer_id = ${r2!} where merchant_id = ${m.id} and member_id = ${leaf!}`.execute(trx));
    const after = await nodes(m.id);
    expect(after.find((n) => n.member_id === leaf)!.node_no).toBe(before);
    expect(new Set(after.map((n) => n.node_no)).size).toBe(after.length);
  });
});
