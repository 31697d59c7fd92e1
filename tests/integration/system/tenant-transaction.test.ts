import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { APP_ROLE, setTenant, withBegin, withTenant, writeBehind } from "~/db.server";
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
      expect(sqls[1]).toBe(`set local app.merchant_id = '${id}'`);
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

  describe("writeBehind", () => {
    const insertMember = (trx: Parameters<Parameters<typeof withTenant>[2]>[0], m: string, id: string, email: string) =>
      trx.insertInto("members").values({ merchant_id: m, id, email }).compile();
    const count = (m: string, id: string) =>
      withTenant(testDb(), m, (trx) => trx.selectFrom("members").select(sql<number>`count(*)::int`.as("n")).where("merchant_id", "=", m).where("id", "=", id).executeTakeFirstOrThrow()).then((r) => r.n);

    it("sends the write with the commit: one round trip, the parameters as literals", async () => {
      const m = await merchant();
      const id = newId("member");
      const odd = "o'brien\\ ünï'cödé+tag@t.example";
      const [, sqls] = await statementsSent(() => withTenant(testDb(), m, (trx) => writeBehind(trx, insertMember(trx, m, id, odd))));
      // Nothing else was sent: begin, the write and the commit are one round trip.
      expect(sqls).toHaveLength(1);
      expect(sqls[0]).toMatch(/^begin; set local app\.merchant_id = '[^']+';\ninsert into "members"[\s\S]*;\ncommit$/);
      const row = await withTenant(testDb(), m, (trx) => trx.selectFrom("members").select("email").where("merchant_id", "=", m).where("id", "=", id).executeTakeFirstOrThrow());
      expect(row.email).toBe(odd);
    });

    it("sends it before the transaction's next statement, which sees its effect", async () => {
      const m = await merchant();
      const id = newId("member");
      const [n, sqls] = await statementsSent(() =>
        withTenant(testDb(), m, async (trx) => {
          await writeBehind(trx, insertMember(trx, m, id, `${id}@t.example`));
          return (await trx.selectFrom("members").select("id").where("merchant_id", "=", m).where("id", "=", id).execute()).length;
        }),
      );
      expect(n).toBe(1);
      expect(sqls.map((q) => q.split(/\s/)[0])).toEqual(["begin;", "select", "commit"]);
      expect(sqls[0]).toMatch(/;\ninsert into "members"/);
    });

    it("a write that fails at the commit rolls the transaction back and raises its error", async () => {
      const m = await merchant();
      const id = newId("member");
      const before = newId("member");
      await expect(
        withTenant(testDb(), m, async (trx) => {
          await trx.insertInto("members").values({ merchant_id: m, id: before, email: `${before}@t.example` }).execute();
          await writeBehind(trx, insertMember(trx, m, id, `${id}@t.example`));
          await writeBehind(trx, insertMember(trx, m, id, `${id}@t.example`));
        }),
      ).rejects.toMatchObject({ code: "23505" });
      expect(await count(m, id)).toBe(0);
      expect(await count(m, before)).toBe(0);
      expect((await testDb().transaction().execute((t) => tenantOf(t))) ?? "").toBe("");
    });

    it("a callback that throws drops what was left behind; the next transaction on the connection is clean", async () => {
      const m = await merchant();
      const id = newId("member");
      await expect(
        withTenant(testDb(), m, async (trx) => {
          await writeBehind(trx, insertMember(trx, m, id, `${id}@t.example`));
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      const [, sqls] = await statementsSent(() => withTenant(testDb(), m, (trx) => tenantOf(trx)));
      expect(sqls).toHaveLength(3);
      expect(await count(m, id)).toBe(0);
    });

    it("withBegin: the transaction's first statement goes with its begin, and answers with its own rows", async () => {
      const m = await merchant();
      const [rows, sqls] = await statementsSent(() =>
        withTenant(testDb(), m, async (trx) => {
          const first = await trx.executeQuery(withBegin(sql<{ t: string; n: number; s: string }>`select current_setting('app.merchant_id') as t, ${7}::int as n, ${"it's"} as s`.compile(trx)));
          const second = await trx.executeQuery(withBegin(sql<{ n: number }>`select ${8}::int as n`.compile(trx)));
          return [first.rows, second.rows];
        }),
      );
      expect(rows).toEqual([[{ t: m, n: 7, s: "it's" }], [{ n: 8 }]]);
      expect(sqls).toHaveLength(3);
      expect(sqls[0]).toMatch(/^begin; set local app\.merchant_id = '[^']+';\nselect current_setting/);
      // Only a first statement is inlined; a later one is sent as it is.
      expect(sqls[1]).toBe("select $1::int as n");
    });

    it("a value with a NUL (no literal can hold it) goes as a parameter, and fails as it always did", async () => {
      const m = await merchant();
      const [, sqls] = await statementsSent(() =>
        expect(
          withTenant(testDb(), m, async (trx) => {
            await trx.executeQuery(withBegin(sql`select ${"a\0b"}::text`.compile(trx)));
          }),
        ).rejects.toMatchObject({ code: "22021" }),
      );
      expect(sqls.slice(0, 2)).toEqual([`begin; set local app.merchant_id = '${m}'`, "select $1::text"]);
      const id = newId("member");
      const [, behind] = await statementsSent(() =>
        expect(withTenant(testDb(), m, (trx) => writeBehind(trx, insertMember(trx, m, id, "x\0@t.example")))).rejects.toMatchObject({ code: "22021" }),
      );
      expect(behind[1]).toMatch(/^insert into "members" .*\$1/);
    });

    it("withBegin: a first statement that fails rolls the transaction back", async () => {
      const m = await merchant();
      const [, sqls] = await statementsSent(() =>
        expect(withTenant(testDb(), m, (trx) => trx.executeQuery(withBegin(sql`select 1 / ${0}::int`.compile(trx))))).rejects.toMatchObject({ code: "22012" }),
      );
      expect(sqls.at(-1)).toBe("rollback");
      expect((await testDb().transaction().execute((t) => tenantOf(t))) ?? "").toBe("");
    });

    it("runs at once in a transaction withTenant did not open (its connection is not the tenant's)", async () => {
      const m = await merchant();
      const id = newId("member");
      await withTenant(testDb(), m, async () => {
        await testDb()
          .transaction()
          .execute(async (t) => {
            await setTenant(t as never, m);
            const [, sqls] = await statementsSent(() => writeBehind(t as never, insertMember(t as never, m, id, `${id}@t.example`)));
            expect(sqls).toHaveLength(1);
            expect(sqls[0]).toMatch(/^insert into "members" .*\$1/);
          });
      });
      expect(await count(m, id)).toBe(1);
    });
  });
});
