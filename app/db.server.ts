import { AsyncLocalStorage } from "node:async_hooks";
import { CompiledQuery, Kysely, PostgresDialect, PostgresDriver, sql, type DatabaseConnection, type Dialect, type TransactionSettings, type Transaction } from "kysely";
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
  return new Kysely<Database>({ dialect: tenantDialect(pool) });
}

/** The tenant of the transaction `withTenant` is opening; the driver takes it once, when it sends `begin`. */
interface OpeningTenant {
  merchantId: string | null;
  applied: boolean;
}
// Shared through globalThis like the pool: the driver is made by the tsx-loaded module, withTenant may be the bundle's.
const opening = ((globalThis as { __perennialOpeningTenant?: AsyncLocalStorage<OpeningTenant> }).__perennialOpeningTenant ??= new AsyncLocalStorage<OpeningTenant>());

/**
 * Kysely's PostgreSQL driver, except that a transaction opened by `withTenant` starts with its tenant in the same
 * round trip: `begin; set local app.merchant_id = '…'` as one simple query (one round trip per transaction fewer on
 * every tenant request). SET LOCAL, not set_config(): Citus propagates SET LOCAL to the workers (issue 15). The id
 * is quoted by pg's escapeLiteral; one with a NUL (which no literal can hold) is left to withTenant's parameter.
 */
class TenantDriver extends PostgresDriver {
  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const tenant = opening.getStore();
    const merchantId = tenant?.merchantId;
    if (!tenant || !merchantId || settings.isolationLevel || settings.accessMode || merchantId.includes("\0")) return super.beginTransaction(connection, settings);
    // Taken once: a transaction the callback opens on another connection is not this tenant's.
    tenant.merchantId = null;
    await connection.executeQuery(CompiledQuery.raw(`begin; set local app.merchant_id = ${pg.escapeLiteral(merchantId)}`));
    tenant.applied = true;
  }
}

function tenantDialect(pool: pg.Pool): Dialect {
  const base = new PostgresDialect({ pool });
  return {
    createAdapter: () => base.createAdapter(),
    createDriver: () => new TenantDriver({ pool }),
    createQueryCompiler: () => base.createQueryCompiler(),
    createIntrospector: (d) => base.createIntrospector(d),
  };
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
  const tenant: OpeningTenant = { merchantId, applied: false };
  return opening.run(tenant, () =>
    database.transaction().execute(async (trx) => {
      tenant.merchantId = null;
      // A Kysely instance not made by createDb (or an id no literal can hold): the tenant as a statement of its own.
      if (!tenant.applied) await setTenant(trx, merchantId);
      return fn(trx);
    }),
  );
}

/** Re-scopes an existing transaction (e.g. after creating a merchant inside it). */
export async function setTenant(trx: Trx, merchantId: string): Promise<void> {
  await sql`select set_config('app.merchant_id', ${merchantId}, true)`.execute(trx);
}
