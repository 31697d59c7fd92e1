import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { APP_ROLE, setTenant, withTenant } from "~/db.server";
import type { Database } from "~db/schema";
import { newId } from "~/lib/ids";
import { ownerUrl, testDb } from "../../support/db";
import { statementsSent } from "../../support/sql-sent";

/**
 * withTenant opens its transaction and sets the tenant in one round trip (`begin; set local app.merchant_id = …`,
 * app/db.server.ts), and still scopes exactly one transaction: not one its callback opens, whatever the id holds.
 */


const tenantOf = (d: Kysely<Database>) =>
  sql<{ t: string | null }>`select current_setting('app.merchant_id', true) as t`.execute(d).then((r) => r.rows[0]!.t);

async function merchant(): Promise<string> {
  const id = newId("merchant");
  await testDb().insertInto("merchants").values({ id, slug: `tt-${id.slice(4, 16)}`, name: "Tenant test", currency: "USD", timezone: "UTC" }).execute();
  return id;
}

describe("withTenant", () => {
  it("begins and sets the tenant in one statement, then runs the callback and commits", async () => {
    const id = await merchant();
    const [seen, sqls] = await statementsSent(() => withTenant(testDb(), id, (trx) => tenantOf(trx)));
    expect(seen).toBe(id);
    expect(sqls[0]).toBe(`begin; set local app.merchant_id = '${id}'`);
    expect(sqls.slice(1, -1)).toHaveLength(1);
    expect(sqls.at(-1)).toBe("commit");
  });

  it("scopes Row Level Security to that merchant only", async () => {
    const [a, b] = [await merchant(), await merchant()];
    for (const m of [a, b]) await withTenant(testDb(), m, (trx) => trx.insertInto("members").values({ merchant_id: m, id: newId("member"), email: `${m}@t.example` }).execute());
    const seen = await withTenant(testDb(), a, (trx) => trx.selectFrom("members").select("merchant_id").execute());
    expect(seen.map((r) => r.merchant_id)).toEqual([a]);
  });

  it("quotes any id as a literal: quotes and backslashes arrive unchanged and select nothing", async () => {
    for (const odd of ["o'brien", "a\\'; select 1; --", "\\", "ünï'cödé\\n"]) {
      const [seen, sqls] = await statementsSent(() => withTenant(testDb(), odd, async (trx) => ({ t: await tenantOf(trx), n: (await trx.selectFrom("members").select("id").execute()).length })));
      expect(seen).toEqual({ t: odd, n: 0 });
      expect(sqls).toHaveLength(4);
    }
  });

  it("leaves a transaction the callback opens unscoped, and a nested withTenant scoped to its own merchant", async () => {
    const [a, b] = [await merchant(), await merchant()];
    const inner = await withTenant(testDb(), a, async () => ({
      plain: await testDb().transaction().execute((t) => tenantOf(t)),
      nested: await withTenant(testDb(), b, (t) => tenantOf(t)),
    }));
    expect(inner.plain ?? "").toBe("");
    expect(inner.nested).toBe(b);
  });

  it("rolls back with the callback's error and leaves the connection clean for the next transaction", async () => {
    const id = await merchant();
    await expect(withTenant(testDb(), id, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    const next = await testDb().transaction().execute((t) => tenantOf(t));
    expect(next ?? "").toBe("");
  });

  describe("with a Kysely instance of the plain dialect", () => {
    const plain = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: ownerUrl, options: `-c role=${APP_ROLE}`, max: 1 }) }) });
    afterAll(() => plain.destroy());

    it("still sets the tenant, as a statement of its own", async () => {
      const id = await merchant();
      const [seen, sqls] = await statementsSent(() => withTenant(plain, id, (trx) => tenantOf(trx)));
      expect(seen).toBe(id);
      expect(sqls[0]).toBe("begin");
      expect(sqls[1]).toMatch(/set_config\('app\.merchant_id'/);
    });
  });

  it("setTenant re-scopes a transaction", async () => {
    const [a, b] = [await merchant(), await merchant()];
    const seen = await withTenant(testDb(), a, async (trx) => {
      await setTenant(trx, b);
      return tenantOf(trx);
    });
    expect(seen).toBe(b);
  });
});
