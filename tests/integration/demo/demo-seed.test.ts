import { sql } from "kysely";
import { reconcileLedger } from "~/domain/points/balance.server";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "~/auth/password.server";
import { withTenant } from "~/db.server";
import { generateDemoData } from "~/demo/generate";
import { DEMO_LOYALTY_PROGRAM } from "~/demo/incrementality.server";
import { DEMO_SEED, seedDemoMerchant } from "~/demo/seed.server";
import { DEMO_NOW as now, demoDatabase, type DemoDatabase } from "../../support/database-clones";
import { testDb, ownerUrl } from "../../support/db";

// The worker's database is shared with other test files: every seed here uses its own slug and e-mails.

function uniqueOpts() {
  const tag = Math.random().toString(36).slice(2, 10);
  return {
    slug: `northwind-${tag}`,
    ownerEmail: `owner+${tag}@northwind.test`,
    memberEmail: `member+${tag}@northwind.test`,
    now,
  };
}

/** Counts rows per table for one merchant as the owner role (bypasses RLS), to see what really landed. */
async function countAsOwner(merchantId: string, url = ownerUrl) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const q = async (table: string) =>
      Number((await client.query(`select count(*)::int as n from ${table} where merchant_id = $1`, [merchantId])).rows[0].n);
    return { members: await q("members"), orders: await q("orders"), staff: await q("merchant_staff"), audit: await q("audit_log") };
  } finally {
    await client.end();
  }
}

describe("seedDemoMerchant", () => {
  // The full seed (≈5,000 orders earned one by one through the real ledger) runs once per test run, into the demo
  // template (tests/support/database-clones.ts); `demo.seed` is that call's result. It takes about a minute alone and
  // has taken over three beside the other integration files on a 2-core machine: a correctness test, not a timing one.
  let demo: DemoDatabase;
  beforeAll(async () => {
    demo = await demoDatabase();
  }, 480_000);
  afterAll(async () => demo?.close());

  it("seeds ~2,000 members with their orders once, and is a no-op the second time", async () => {
    const db = demo.db;
    const o = { slug: demo.seed.slug, ownerEmail: demo.seed.ownerEmail, memberEmail: demo.seed.memberEmail, now };
    expect(demo.seed.now).toBe(now.toISOString());
    let hashes = demo.seed.hashes;
    const countingHash = (pw: string) => {
      hashes++;
      return hashPassword(pw);
    };

    const first = demo.seed;
    const ms = first.ms;
    expect(first.created).toBe(true);
    expect(hashes).toBe(2);

    // The seed generates with the loyalty program's holdout and effect (issue 6), so the expectation does too.
    const expected = generateDemoData({ seed: DEMO_SEED, now, members: 2000, program: DEMO_LOYALTY_PROGRAM });
    const counts = await countAsOwner(first.merchantId, demo.ownerUrl);
    console.log(
      `[demo-seed] seeded ${counts.members} members and ${counts.orders} orders in ${ms.toFixed(0)} ms (incl. 2 argon2 hashes)`,
    );
    expect(counts).toEqual({ members: 2000, orders: expected.orders.length, staff: 1, audit: 1 });
    expect(counts.orders).toBeGreaterThan(5000);

    // Through RLS, as the app sees it: every row carries the merchant, and the data matches the generator.
    await withTenant(db, first.merchantId, async (trx) => {
      const members = await trx.selectFrom("members").select(["merchant_id", "email", "status", "password_hash", "birthday"]).execute();
      expect(members).toHaveLength(2000);
      expect(members.every((m) => m.merchant_id === first.merchantId && m.status === "active")).toBe(true);
      const withPassword = members.filter((m) => m.password_hash !== null);
      expect(withPassword.map((m) => m.email)).toEqual([o.memberEmail]);
      expect(await verifyPassword(withPassword[0]!.password_hash!, "perennial-demo")).toBe(true);
      expect(members.filter((m) => m.birthday !== null).length).toBe(expected.members.filter((m) => m.birthday).length);

      const agg = await trx
        .selectFrom("orders")
        .select([
          sql<number>`count(*)::int`.as("n"),
          sql<number>`sum(amount_minor)::bigint`.as("sum"),
          sql<number>`count(*) filter (where merchant_id <> ${first.merchantId} or source <> 'seed' or currency <> 'USD')::int`.as("foreign"),
          sql<Date>`max(occurred_at)`.as("last"),
        ])
        .executeTakeFirstOrThrow();
      expect(agg.n).toBe(expected.orders.length);
      expect(Number(agg.sum)).toBe(expected.orders.reduce((s, x) => s + x.amountMinor, 0));
      expect(agg.foreign).toBe(0);
      expect(new Date(agg.last).getTime()).toBeLessThanOrEqual(now.getTime());

      // No order before its member joined.
      const early = await sql<{ n: number }>`
        select count(*)::int as n from orders o join members m on m.merchant_id = o.merchant_id and m.id = o.member_id
        where o.occurred_at < m.created_at`.execute(trx);
      expect(early.rows[0]!.n).toBe(0);

      const audit = await trx.selectFrom("audit_log").select(["action", "actor_type", "target_id"]).execute();
      expect(audit).toEqual([{ action: "merchant.seeded", actor_type: "system", target_id: first.merchantId }]);

      // The points program ran through the real ledger: earnings, some refunds and redemptions, all reconciled.
      const kinds = await trx.selectFrom("ledger_journals").select(["kind", sql<number>`count(*)::int`.as("n")]).groupBy("kind").execute();
      const byKind = Object.fromEntries(kinds.map((k) => [k.kind, k.n]));
      expect(byKind.earn).toBeGreaterThan(1000);
      expect(byKind.reverse).toBeGreaterThan(0);
      expect(byKind.spend).toBeGreaterThan(0);
      expect((await reconcileLedger(trx, first.merchantId)).mismatches).toEqual([]);
    });

    const merchant = await db.selectFrom("merchants").selectAll().where("id", "=", first.merchantId).executeTakeFirstOrThrow();
    expect(merchant).toMatchObject({ slug: o.slug, name: "Northwind Coffee", currency: "USD", timezone: "America/New_York" });
    expect(merchant.settings).toMatchObject({ brandColor: "#7c4a2d", membersOnlyPortal: true });

    const owner = await db.selectFrom("staff_users").selectAll().where("email", "=", o.ownerEmail).executeTakeFirstOrThrow();
    expect(await verifyPassword(owner.password_hash, "perennial-demo")).toBe(true);
    const memberships = await sql<{ merchant_id: string; role: string }>`select * from auth_staff_memberships(${owner.id})`.execute(db);
    expect(memberships.rows).toEqual([{ merchant_id: first.merchantId, role: "owner" }]);

    const second = await seedDemoMerchant(db, { ...o, hashPassword: countingHash });
    expect(second).toMatchObject({ created: false, merchantId: first.merchantId, ownerEmail: o.ownerEmail });
    expect(hashes).toBe(2);
    expect(await countAsOwner(first.merchantId, demo.ownerUrl)).toEqual(counts);
  });

  it("lets exactly one of two concurrent seeds create the merchant", async () => {
    const db = testDb();
    const o = uniqueOpts();
    const fastHash = async (pw: string) => `test-hash:${pw}`;
    const results = await Promise.all([
      seedDemoMerchant(db, { ...o, members: 150, hashPassword: fastHash }),
      seedDemoMerchant(db, { ...o, members: 150, hashPassword: fastHash }),
    ]);
    expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    expect(results[0]!.merchantId).toBe(results[1]!.merchantId);
    expect((await countAsOwner(results[0]!.merchantId)).members).toBe(150);
  });
});
