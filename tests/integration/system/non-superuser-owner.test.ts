import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDb, withTenant, type DB } from "~/db.server";
import { authenticateApiKey, createApiKey } from "~/domain/api-keys/api-keys.server";
import { staffMemberships } from "~/domain/merchants/merchants.server";
import { listMembers } from "~/domain/members/search.server";
import { newId } from "~/lib/ids";
import { migrateToLatest } from "~db/migrate";
import { adminQuery, withDatabase } from "../../support/global-setup";

/**
 * Production databases are usually owned by an ordinary role, not a superuser. The SECURITY DEFINER doors (API key
 * lookup, staff memberships, member search) run as that owner and must still work, while the app role stays
 * confined by Row Level Security.
 */
const admin = inject("pgAdminUrl");
const runId = inject("runId");
const role = `perennial_owner_${runId}`.toLowerCase();
const dbName = `perennial_owner_db_${runId}`;
let app: DB;

beforeAll(async () => {
  // What a DBA does once: an owner role that is not superuser, a database it owns, and the app role granted to it.
  await adminQuery(admin, `create role "${role}" login password 'owner-pass' nosuperuser nobypassrls nocreaterole`);
  await adminQuery(admin, `do $$ begin if not exists (select 1 from pg_roles where rolname = 'perennial_app') then create role perennial_app nologin; end if; end $$`);
  await adminQuery(admin, `grant perennial_app to "${role}"`);
  await adminQuery(admin, `create database "${dbName}" owner "${role}"`);
  const u = new URL(withDatabase(admin, dbName));
  u.username = role;
  u.password = "owner-pass";
  await migrateToLatest(u.toString());
  app = createDb(u.toString(), { max: 4 });
});

afterAll(async () => {
  await app?.destroy();
  await adminQuery(admin, `drop database if exists "${dbName}" with (force)`);
  await adminQuery(admin, `drop owned by "${role}"`).catch(() => {});
  await adminQuery(admin, `drop role if exists "${role}"`);
});

describe("a non-superuser database owner", () => {
  it("is what the migration ran as, and the app still runs as perennial_app", async () => {
    const c = new pg.Client({ connectionString: withDatabase(admin, dbName) });
    await c.connect();
    const owner = await c.query("select tableowner from pg_tables where tablename = 'members'");
    await c.end();
    expect(owner.rows[0].tableowner).toBe(role);
    const r = await sql<{ u: string }>`select current_user as u`.execute(app);
    expect(r.rows[0]!.u).toBe("perennial_app");
  });

  it("authenticates API keys, finds staff memberships and searches members through the definer functions", async () => {
    const merchantId = newId("merchant");
    const staffId = newId("staff");
    await app.insertInto("merchants").values({ id: merchantId, slug: `own-${runId.slice(-6)}`, name: "Owner Co", currency: "USD", timezone: "UTC" }).execute();
    await app.insertInto("staff_users").values({ id: staffId, email: `o-${runId}@example.com`, name: "O", password_hash: "x" }).execute();
    await withTenant(app, merchantId, async (trx) => {
      await trx.insertInto("merchant_staff").values({ merchant_id: merchantId, staff_user_id: staffId, role: "owner" }).execute();
      await trx.insertInto("members").values({ merchant_id: merchantId, id: newId("member"), email: "zebra.unique@example.com", name: "Zed" }).execute();
    });
    const { token } = await createApiKey(app, merchantId, { name: "k", scopes: ["members:read"], createdBy: null });
    await expect(authenticateApiKey(app, `Bearer ${token}`)).resolves.toMatchObject({ merchantId });
    expect((await staffMemberships(app, staffId)).map((m) => m.merchant.id)).toEqual([merchantId]);
    const page = await withTenant(app, merchantId, (trx) => listMembers(trx, merchantId, { q: "zebra.unique" }));
    expect(page.rows.map((r) => r.email)).toEqual(["zebra.unique@example.com"]);
  });

  it("keeps the app role confined: no tenant, no rows", async () => {
    const r = await sql<{ n: number }>`select count(*)::int as n from members`.execute(app);
    expect(r.rows[0]!.n).toBe(0);
  });
});
