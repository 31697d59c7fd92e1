import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { embeddedDataDir, startEmbeddedPostgres, stopOrphanedPostgres } from "~db/embedded";
import { migrateToLatest } from "~db/migrate";
import { configureDb } from "~/db.server";
import { prepareJobsSchema } from "~/jobs/schema.server";
import { env } from "~/lib/env.server";

/**
 * Finds the database for an entry point (start, worker, CLI): DATABASE_URL when set; otherwise the embedded
 * PostgreSQL under DATA_DIR — reused when another Perennial process (e.g. `npm start`) already runs it.
 */
export interface ResolvedDatabase {
  ownerUrl: string;
  embedded: boolean;
  /** The embedded server's data directory, and DATA_DIR's when it had to move out of the postgres user's reach. */
  dataDir?: string;
  relocatedFrom?: string;
  stop: () => Promise<void>;
}

const EMBEDDED_USER = "postgres";
const EMBEDDED_PASSWORD = "perennial-local";

export async function resolveDatabase(log: (line: string) => void = () => {}): Promise<ResolvedDatabase> {
  const e = env();
  if (e.DATABASE_URL) {
    await assertServerVersion(e.DATABASE_URL);
    return { ownerUrl: e.DATABASE_URL, embedded: false, stop: async () => {} };
  }
  const url = `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${e.EMBEDDED_PG_PORT}/perennial`;
  // As root, DATA_DIR inside a directory the 'postgres' OS user cannot enter (/root) maps to a reachable one.
  const pgDir = path.join(e.DATA_DIR, "pg");
  const { dataDir, relocatedFrom } = embeddedDataDir(pgDir);
  const moved = relocatedFrom ? `; not in ${relocatedFrom}: the 'postgres' OS user the server runs as cannot enter it` : "";
  // The process that started the embedded server records its pid; others (a CLI command, `npm run worker`) borrow it.
  const ownerFile = path.join(e.DATA_DIR, "pg-owner.pid");
  if (await answers(url)) {
    if (processAlive(readPid(ownerFile))) {
      log(`using the embedded PostgreSQL already running on port ${e.EMBEDDED_PG_PORT}`);
      return { ownerUrl: url, embedded: true, dataDir, relocatedFrom, stop: async () => {} };
    }
    // Its starter died without stopping it (kill -9): stop it, then start it again as ours.
    log("stopping an embedded PostgreSQL left running by a process that no longer exists");
    await stopOrphanedPostgres(dataDir);
  }
  const t0 = Date.now();
  const handle = await startEmbeddedPostgres({ dir: pgDir, port: e.EMBEDDED_PG_PORT });
  fs.mkdirSync(e.DATA_DIR, { recursive: true }); // the data itself may live elsewhere (see embeddedDataDir)
  fs.writeFileSync(ownerFile, String(process.pid));
  log(`embedded PostgreSQL started on 127.0.0.1:${e.EMBEDDED_PG_PORT} (data in ${handle.dataDir}${moved}, ${Date.now() - t0} ms)`);
  return {
    ownerUrl: handle.url,
    embedded: true,
    dataDir: handle.dataDir,
    relocatedFrom,
    stop: async () => {
      await handle.stop();
      fs.rmSync(ownerFile, { force: true });
    },
  };
}

function readPid(file: string): number {
  try {
    return Number(fs.readFileSync(file, "utf8").trim()) || 0;
  } catch {
    return 0;
  }
}

function processAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * What every entry point does before its work: apply migrations and graphile-worker's schema as the owner, then point
 * the app-role pool at the database. Returns the migrations applied.
 */
export async function prepareDatabase(ownerUrl: string, log: (line: string) => void = () => {}, opts: { max?: number } = {}): Promise<string[]> {
  const applied = await migrateToLatest(ownerUrl, log);
  await prepareJobsSchema(ownerUrl);
  configureDb(ownerUrl, opts);
  return applied;
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

async function assertServerVersion(url: string) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`Cannot connect to DATABASE_URL (${redact(url)}): ${(err as Error).message}`);
  }
  try {
    const r = await client.query<{ server_version_num: string }>("show server_version_num");
    const v = Number(r.rows[0]?.server_version_num);
    if (v < 150000) throw new Error(`PostgreSQL 15 or newer is required; ${redact(url)} runs ${v}`);
  } finally {
    await client.end();
  }
}

export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

/** The same database under another `application_name` (pg lets the URL's parameter win), so its sessions can be told apart. */
export function withApplicationName(url: string, name: string): string {
  const u = new URL(url);
  u.searchParams.set("application_name", name);
  return u.toString();
}

/**
 * Cancels the running statement of every session of this database named `name` (as the owner, whose sessions they
 * are). A cancel fails the statement, so its transaction rolls back while the connection stays usable: unlike
 * terminating the session, no pool client dies under its caller. Returns how many statements were running.
 */
export async function cancelStatements(ownerUrl: string, name: string): Promise<number> {
  const client = new pg.Client({ connectionString: ownerUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const r = await client.query(
      "select count(*) filter (where pg_cancel_backend(pid)) as n from pg_stat_activity where datname = current_database() and application_name = $1 and state = 'active' and pid <> pg_backend_pid()",
      [name],
    );
    return Number(r.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}
