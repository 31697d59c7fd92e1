import { Kysely, PostgresDialect, sql, type Transaction } from "kysely";
import pg from "pg";
import type { Database } from "~db/schema";
import { env } from "~/lib/env.server";

/**
 * One Kysely instance per process, shared through globalThis so the tsx-loaded entry points (start, worker, CLI)
 * and the Vite-bundled Remix server use the same pool.
 *
 * The pool connects with the operator's DATABASE_URL but runs every query as role `perennial_app`
 * (startup option `-c role=...`): that role owns no table and is subject to Row Level Security.
 */

// bigint (int8) → number, refusing values a JS number cannot hold exactly; `date` stays 'YYYY-MM-DD'.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${v} exceeds Number.MAX_SAFE_INTEGER`);
  return n;
});
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => v);

export type DB = Kysely<Database>;
export type Trx = Transaction<Database>;

export const APP_ROLE = "perennial_app";

interface DbGlobal {
  db?: DB;
  url?: string;
}
const holder = ((globalThis as { __perennialDb?: DbGlobal }).__perennialDb ??= {});

export function createDb(url: string, opts: { max?: number; role?: string | null } = {}): DB {
  const role = opts.role === undefined ? APP_ROLE : opts.role;
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    options: role ? `-c role=${role}` : undefined,
    application_name: "perennial",
  });
  // A client that loses its server (PostgreSQL restart) must not crash the process: an idle one is reported by the
  // pool; a checked-out one between two statements emits "error" on itself (its next query fails on its own).
  pool.on("error", (err) => console.error("[db] idle client error:", err.message));
  pool.on("connect", (client) => client.on("error", (err) => console.error("[db] client error:", err.message)));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** Points the process at a database (called by the entry points and the test setup). */
export function configureDb(url: string, opts: { max?: number } = {}): DB {
  if (holder.db && holder.url === url) return holder.db;
  holder.db = createDb(url, opts);
  holder.url = url;
  return holder.db;
}

export function db(): DB {
  if (!holder.db) {
    const url = env().DATABASE_URL ?? process.env.PERENNIAL_RESOLVED_DATABASE_URL;
    if (!url) throw new Error("Database not configured: start Perennial with `npm start` or set DATABASE_URL");
    configureDb(url);
  }
  return holder.db!;
}

export async function closeDb(): Promise<void> {
  const d = holder.db;
  holder.db = undefined;
  holder.url = undefined;
  await d?.destroy();
}

/**
 * Runs `fn` in a transaction scoped to one merchant: Row Level Security lets it see that merchant's rows only.
 * Every tenant query goes through here (or through a `trx` it handed out).
 */
export async function withTenant<T>(database: DB, merchantId: string, fn: (trx: Trx) => Promise<T>): Promise<T> {
  return database.transaction().execute(async (trx) => {
    await sql`select set_config('app.merchant_id', ${merchantId}, true)`.execute(trx);
    return fn(trx);
  });
}

/** Re-scopes an existing transaction (e.g. after creating a merchant inside it). */
export async function setTenant(trx: Trx, merchantId: string): Promise<void> {
  await sql`select set_config('app.merchant_id', ${merchantId}, true)`.execute(trx);
}
