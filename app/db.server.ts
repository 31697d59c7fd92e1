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
  pool.on("connect", (client) => {
    client.on("error", (err) => console.error("[db] client error:", err.message));
    lastResultOnly(client);
  });
  return new Kysely<Database>({ dialect: tenantDialect(pool) });
}

/** The tenant of the transaction `withTenant` is opening; the driver takes it once, when the transaction begins. */
interface OpeningTenant {
  merchantId: string | null;
  applied: boolean;
  /** The transaction's connection (TenantDriver), until it commits or rolls back. */
  connection?: DatabaseConnection;
  /** Whether `begin` has been sent on it. */
  begun: boolean;
  /** What the next statement sends first, in one round trip: `begin; set local …` (once) and the writes left behind. */
  pending: string[];
}
// Shared through globalThis like the pool: the driver is made by the tsx-loaded module, withTenant may be the bundle's.
const opening = ((globalThis as { __perennialOpeningTenant?: AsyncLocalStorage<OpeningTenant> }).__perennialOpeningTenant ??= new AsyncLocalStorage<OpeningTenant>());

/**
 * Kysely's PostgreSQL driver, except that a transaction opened by `withTenant` costs no round trip of its own:
 * `begin; set local app.merchant_id = '…'` is sent as one simple query with the transaction's first statement — in
 * the same round trip when that statement is marked `withBegin` (the ledger's balance lock), just before it
 * otherwise — and the writes left behind (`writeBehind`) go with the next statement or the commit. SET LOCAL, not
 * set_config(): Citus propagates SET LOCAL to the workers (issue 15). The id is quoted by pg's escapeLiteral; one with
 * a NUL (which no literal can hold) is left to withTenant's parameter.
 */
class TenantDriver extends PostgresDriver {
  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const tenant = opening.getStore();
    const merchantId = tenant?.merchantId;
    if (!tenant || !merchantId || settings.isolationLevel || settings.accessMode || merchantId.includes("\0")) return super.beginTransaction(connection, settings);
    // Taken once: a transaction the callback opens on another connection is not this tenant's.
    tenant.merchantId = null;
    tenant.pending.push(`begin; set local app.merchant_id = ${pg.escapeLiteral(merchantId)}`);
    tenant.begun = false;
    tenant.applied = true;
    tenant.connection = sendsPendingFirst(connection);
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const tenant = opening.getStore();
    if (tenant?.connection !== connection) return super.commitTransaction(connection);
    tenant.connection = undefined;
    const pending = tenant.pending.splice(0);
    // A callback that sent nothing: there is no transaction to commit.
    if (!tenant.begun && pending.length <= 1) return;
    await ownExecute.get(connection)!(CompiledQuery.raw([...pending, "commit"].join(";\n")));
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const tenant = opening.getStore();
    if (tenant?.connection !== connection) return super.rollbackTransaction(connection);
    tenant.connection = undefined;
    tenant.pending.length = 0;
    if (tenant.begun) return super.rollbackTransaction(connection);
  }
}

const ownExecute = new WeakMap<DatabaseConnection, DatabaseConnection["executeQuery"]>();
// Shared through globalThis like `opening`: the bundle's lockBalance marks, the tsx-loaded driver reads.
const sentWithBegin = ((globalThis as { __perennialSentWithBegin?: WeakSet<CompiledQuery> }).__perennialSentWithBegin ??= new WeakSet<CompiledQuery>());

/** Makes every statement on `connection` send what is pending (begin, writes left behind) first: once per pooled connection. */
function sendsPendingFirst(connection: DatabaseConnection): DatabaseConnection {
  if (ownExecute.has(connection)) return connection;
  const own = connection.executeQuery.bind(connection);
  ownExecute.set(connection, own);
  connection.executeQuery = (async (query: CompiledQuery) => {
    const tenant = opening.getStore();
    if (tenant?.connection !== connection || tenant.pending.length === 0) return own(query);
    const pending = tenant.pending.splice(0);
    // Set first: if the round trip fails after `begin`, Kysely's rollback must be sent.
    tenant.begun = true;
    // pg answers a multi-statement query with its last statement's result (lastResultOnly).
    const text = sentWithBegin.has(query) ? inlined(query) : null;
    if (text !== null) return own(CompiledQuery.raw([...pending, text].join(";\n")));
    await own(CompiledQuery.raw(pending.join(";\n")));
    return own(query);
  }) as DatabaseConnection["executeQuery"];
  return connection;
}

/** A client answers a multi-statement simple query with its last statement's result (pg gives an array; Kysely reads one). */
function lastResultOnly(client: pg.PoolClient): void {
  const query = function (this: pg.Client, ...args: unknown[]) {
    // The prototype's query at call time: tests and the Citus recorder wrap it.
    const r = (pg.Client.prototype.query as (...a: unknown[]) => unknown).apply(this, args);
    return r instanceof Promise ? r.then((res: unknown) => (Array.isArray(res) ? res[res.length - 1] : res)) : r;
  };
  (client as unknown as { query: typeof query }).query = query;
}

const { prepareValue } = (pg as unknown as { utils: { prepareValue: (v: unknown) => unknown } }).utils;

/** A parameter as the SQL literal pg would have sent as its text (an untyped literal resolves like an untyped parameter). */
function literal(value: unknown): string {
  const v = prepareValue(value);
  if (v === null || v === undefined) return "null";
  if (Buffer.isBuffer(v)) return `'\\x${v.toString("hex")}'`;
  const s = String(v);
  // pg.escapeLiteral's answer for text with no quote or backslash, without its copy character by character (the
  // posting's and the stored response's texts are most of the hot path's statement).
  return s.includes("'") || s.includes("\\") ? pg.escapeLiteral(s) : `'${s}'`;
}

/**
 * The statement with its parameters as literals, for a simple query (only for texts with no `$n` but the parameters);
 * null when a value holds a NUL, which no literal can (it would end the query text): that one goes as a parameter.
 */
function inlined(query: CompiledQuery): string | null {
  const text = query.sql.replace(/\$(\d+)/g, (_, n: string) => literal(query.parameters[Number(n) - 1]));
  return text.includes("\0") ? null : text;
}

/**
 * Marks the statement that opens a transaction (the ledger's balance lock) to be sent in the same round trip as
 * `begin; set local …`, its parameters as literals (only for texts with no `$n` but the parameters). Anywhere else
 * it runs as usual.
 */
export function withBegin<R>(query: CompiledQuery<R>): CompiledQuery<R> {
  sentWithBegin.add(query);
  return query;
}

/**
 * Sends a write whose result the caller does not need later, with the transaction's next statement or its commit
 * (a simple query, the parameters as literals): the hot path's posting and idempotency row cost no round trip of
 * their own. Any later statement of the transaction sends it first, so everything reads its effects as before; its
 * error, if any, is raised by that statement or by the commit (and the transaction rolls back). Only for statements
 * whose text holds no `$n` but the parameters. Outside a `withTenant` transaction of this process it runs at once.
 */
export async function writeBehind(trx: Trx, query: CompiledQuery): Promise<void> {
  const tenant = opening.getStore();
  const connection = tenant?.connection;
  const mine = connection !== undefined && (await trx.getExecutor().provideConnection(async (c) => c === connection));
  const text = mine ? inlined(query) : null;
  if (text === null) {
    await trx.executeQuery(query);
    return;
  }
  tenant!.pending.push(text);
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
  const tenant: OpeningTenant = { merchantId, applied: false, begun: false, pending: [] };
  return opening.run(tenant, () =>
    database.transaction().execute(async (trx) => {
      tenant.merchantId = null;
      // A Kysely instance not made by createDb (or an id no literal can hold): the tenant as a statement of its own.
      if (!tenant.applied) await setTenant(trx, merchantId);
      return fn(trx);
    }),
  );
}

/**
 * Re-scopes an existing transaction (e.g. after creating a merchant inside it). `SET LOCAL`, as the driver sends it,
 * because Citus forwards that to the workers and not set_config() (docs/scale-out.md, "The tenant setting"); an id
 * with a NUL, which no literal can hold, goes as a parameter of set_config() and fails there as any such input does.
 */
export async function setTenant(trx: Trx, merchantId: string): Promise<void> {
  if (merchantId.includes("\0")) await sql`select set_config('app.merchant_id', ${merchantId}, true)`.execute(trx);
  else await sql.raw(`set local app.merchant_id = ${pg.escapeLiteral(merchantId)}`).execute(trx);
}
