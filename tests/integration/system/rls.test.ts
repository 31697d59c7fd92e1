import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import pg from "pg";
import { withTenant } from "~/db.server";
import { newId } from "~/lib/ids";
import { testDb, ownerUrl } from "../../support/db";

// reliability.md M2: Row Level Security is the backstop behind every merchant-scoped query.
const TENANT_TABLES = [
  "merchant_staff",
  "staff_invitations",
  "members",
  "member_sessions",
  "member_password_resets",
  "api_keys",
  "api_key_directory",
  "audit_log",
  "email_outbox",
  "idempotency_keys",
  "orders",
  "earning_rules",
  "ledger_journals",
  "ledger_entries",
  "point_lots",
  "lot_allocations",
  "member_balances",
  "order_refunds",
  "stripe_connections",
  "stripe_events",
  "stripe_payments",
  "imports",
  "points_notifications",
  "program_summaries",
  "member_stats",
  "experiments",
  "experiment_arms",
  "experiment_assignments",
  "experiment_events",
  "referral_codes",
  "referral_edges",
  "referral_programs",
  "referral_nodes",
  "referral_node_counters",
  "referral_clicks",
  "referrals",
  "referral_payouts",
  "referral_reviews",
  "referral_blocks",
  "referral_invites",
  "cltv_models",
  "cltv_settings",
  "cltv_summaries",
  "dashboard_summaries",
  "member_tags",
  "marketing_optouts",
  "segments",
  "offers",
  "offer_claims",
  "surprise_gifts",
  "gift_grants",
  "offer_announcements",
  "announcement_recipients",
  "tier_settings",
  "tiers",
  "member_tiers",
  "tier_history",
  "tier_notifications",
  "tier_jobs",
  "rewards",
  "reward_redemptions",
  "referral_friend_arms",
  "referral_holdout_signups",
  "experiment_member_facts",
  "experiment_member_months",
  "experiment_summaries",
  "subscriptions",
  "subscription_invoices",
];

async function merchantWithMember() {
  const db = testDb();
  const merchantId = newId("merchant");
  const slug = `rls-${merchantId.slice(4, 14)}`;
  await db.insertInto("merchants").values({ id: merchantId, slug, name: "RLS Co", currency: "USD", timezone: "UTC" }).execute();
  const memberId = newId("member");
  await withTenant(db, merchantId, (trx) =>
    trx.insertInto("members").values({ merchant_id: merchantId, id: memberId, email: `${memberId}@example.com` }).execute(),
  );
  return { merchantId, memberId };
}

describe("row level security", () => {
  it("covers every table that has a merchant_id column", async () => {
    const rows = await sql<{ table_name: string; rls: boolean; forced: boolean }>`
      select c.relname as table_name, c.relrowsecurity as rls, c.relforcerowsecurity as forced
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r'
        and exists (select 1 from information_schema.columns col
                    where col.table_schema = 'public' and col.table_name = c.relname and col.column_name = 'merchant_id')
        and c.relname <> 'merchants'`.execute(testDb());
    const names = rows.rows.map((r) => r.table_name).sort();
    expect(names).toEqual([...TENANT_TABLES].sort());
    for (const r of rows.rows) expect(r, r.table_name).toMatchObject({ rls: true });
  });

  it("returns nothing from tenant tables when no tenant is set", async () => {
    await merchantWithMember();
    const db = testDb();
    for (const t of TENANT_TABLES) {
      const r = await sql<{ n: string }>`select count(*)::text as n from ${sql.table(t)}`.execute(db);
      expect(r.rows[0]!.n, t).toBe("0");
    }
  });

  it("shows a merchant its own rows and never another merchant's", async () => {
    const a = await merchantWithMember();
    const b = await merchantWithMember();
    const db = testDb();
    const seenByA = await withTenant(db, a.merchantId, (trx) => trx.selectFrom("members").select(["id", "merchant_id"]).execute());
    expect(seenByA.map((m) => m.id)).toEqual([a.memberId]);
    // Even a query that names B's id explicitly finds nothing.
    const leak = await withTenant(db, a.merchantId, (trx) =>
      trx.selectFrom("members").selectAll().where("merchant_id", "=", b.merchantId).execute(),
    );
    expect(leak).toEqual([]);
    // Writing a row for another merchant is refused by the policy's WITH CHECK.
    await expect(
      withTenant(db, a.merchantId, (trx) =>
        trx.insertInto("members").values({ merchant_id: b.merchantId, id: newId("member"), email: "x@example.com" }).execute(),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it("runs the app as a role that is not owner, superuser or BYPASSRLS", async () => {
    const r = await sql<{ role: string; rolsuper: boolean; rolbypassrls: boolean; owns: string }>`
      select current_user as role, r.rolsuper, r.rolbypassrls,
        (select count(*)::text from pg_tables where schemaname = 'public' and tableowner = current_user) as owns
      from pg_roles r where r.rolname = current_user`.execute(testDb());
    expect(r.rows[0]).toEqual({ role: "perennial_app", rolsuper: false, rolbypassrls: false, owns: "0" });
  });

  it("keeps synchronous_commit on", async () => {
    const r = await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(testDb());
    expect(r.rows[0]!.synchronous_commit).toBe("on");
  });

  it("forbids the app role from rewriting the audit log", async () => {
    const { merchantId } = await merchantWithMember();
    const db = testDb();
    await withTenant(db, merchantId, (trx) =>
      trx.insertInto("audit_log").values({ merchant_id: merchantId, id: newId("audit"), actor_type: "system", action: "test" }).execute(),
    );
    await expect(
      withTenant(db, merchantId, (trx) => trx.updateTable("audit_log").set({ action: "tampered" }).execute()),
    ).rejects.toThrow(/permission denied/);
    await expect(withTenant(db, merchantId, (trx) => trx.deleteFrom("audit_log").execute())).rejects.toThrow(/permission denied/);
  });

  it("lets the owner connection see everything (so RLS, not a filter, is what hides rows)", async () => {
    const client = new pg.Client({ connectionString: ownerUrl });
    await client.connect();
    try {
      const r = await client.query("select count(*)::int as n from members");
      expect(r.rows[0].n).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
  });
});
