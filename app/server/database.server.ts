import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "~db/embedded";
import { migrateToLatest } from "~db/migrate";
import { env } from "~/lib/env.server";

/**
 * Finds the database for an entry point (start, worker, CLI): DATABASE_URL when set; otherwise the embedded
 * PostgreSQL under DATA_DIR — reused when another Perennial process (e.g. `npm start`) already runs it.
 */
export interface ResolvedDatabase {
  ownerUrl: string;
  embedded: boolean;
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
  if (await answers(url)) {
    log(`using the embedded PostgreSQL already running on port ${e.EMBEDDED_PG_PORT}`);
    return { ownerUrl: url, embedded: true, stop: async () => {} };
  }
  const t0 = Date.now();
  const handle = await startEmbeddedPostgres({ dir: path.join(e.DATA_DIR, "pg"), port: e.EMBEDDED_PG_PORT });
  log(`embedded PostgreSQL started on 127.0.0.1:${e.EMBEDDED_PG_PORT} (data in ${path.join(e.DATA_DIR, "pg")}, ${Date.now() - t0} ms)`);
  return { ownerUrl: handle.url, embedded: true, stop: handle.stop };
}

export async function migrate(ownerUrl: string, log: (line: string) => void = () => {}): Promise<string[]> {
  return migrateToLatest(ownerUrl, log);
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
