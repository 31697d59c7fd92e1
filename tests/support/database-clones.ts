import pg from "pg";
import { inject } from "vitest";
import { hashPassword } from "../../app/auth/password.server";
import { closeDb, configureDb, createDb, type DB } from "../../app/db.server";
import { seedDemoMerchant } from "../../app/demo/seed.server";
import { adminQuery, withDatabase } from "./global-setup";
import { ownerUrl as workerOwnerUrl } from "./worker-db";

/**
 * Databases of their own for test files that cannot share the worker's database: a fresh clone of the migrated
 * template, or a clone of the demo template (the demo merchant seeded once per test run instead of once per file —
 * the seed takes a minute alone and several under load). Clones are dropped by the file, or at the latest by the
 * global teardown (their names carry the run id).
 */

const admin = inject("pgAdminUrl");
const template = inject("templateDb");
const runId = inject("runId");

/** The instant the demo is seeded "as of"; the demo tests assert against it. */
export const DEMO_NOW = new Date("2026-11-22T17:00:00Z");

/** How the demo template was seeded: the seed's own result, plus what the demo-seed test checks about that call. */
export interface DemoSeedRecord {
  merchantId: string;
  created: boolean;
  /** argon2 hashes the seed computed. */
  hashes: number;
  ms: number;
  slug: string;
  ownerEmail: string;
  memberEmail: string;
  now: string;
}

export interface ClonedDatabase {
  name: string;
  /** Owner URL of the clone (as ownerUrl in worker-db.ts); the app role is used through createDb/useDatabase. */
  ownerUrl: string;
  drop(): Promise<void>;
}

export async function cloneDatabase(from: string = template, label = "clone"): Promise<ClonedDatabase> {
  const name = `perennial_${label}_${Math.random().toString(36).slice(2, 10)}_${runId}`;
  await adminQuery(admin, `create database "${name}" template "${from}"`);
  return {
    name,
    ownerUrl: withDatabase(admin, name),
    drop: async () => void (await adminQuery(admin, `drop database if exists "${name}" with (force)`)),
  };
}

export interface DemoDatabase extends ClonedDatabase {
  /** The clone as the application role (Row Level Security applies), like testDb(). */
  db: DB;
  seed: DemoSeedRecord;
  /** Closes `db` and drops the clone. */
  close(): Promise<void>;
}

/**
 * A private copy of a database holding the full demo merchant (2,000 members, DEMO_NOW), seeded once per run.
 * Ask with the real clock (resetClock()): the first caller runs the seed, whose CLTV fit refuses a future date.
 */
export async function demoDatabase(): Promise<DemoDatabase> {
  const tpl = await demoTemplate();
  const clone = await cloneDatabase(tpl.name, "demo");
  const db = createDb(clone.ownerUrl, { max: 10 });
  return {
    ...clone,
    db,
    seed: tpl.seed,
    close: async () => {
      await db.destroy();
      await clone.drop();
    },
  };
}

/**
 * Points this process's db() — testDb() and every app function that takes no `db` — at another database, for
 * code under test that reads the process-wide pool (nightly jobs, the job worker). Returns the way back.
 */
export async function useDatabase(ownerUrl: string): Promise<() => Promise<void>> {
  await closeDb();
  configureDb(ownerUrl, { max: 20 });
  process.env.PERENNIAL_RESOLVED_DATABASE_URL = ownerUrl;
  return async () => {
    await closeDb();
    configureDb(workerOwnerUrl, { max: 20 });
    process.env.PERENNIAL_RESOLVED_DATABASE_URL = workerOwnerUrl;
  };
}

/**
 * The first caller in a run seeds the demo template while holding an advisory lock; the others wait on the lock and
 * then find it ready. "Ready" is the seed record stored as the database's comment, written last: a template without
 * one is from a caller that died mid-seed, and is rebuilt.
 */
async function demoTemplate(): Promise<{ name: string; seed: DemoSeedRecord }> {
  const name = `perennial_demo_tpl_${runId}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock(hashtext($1))", [name]);
    const found = await client.query<{ seed: string | null }>("select shobj_description(oid, 'pg_database') as seed from pg_database where datname = $1", [name]);
    if (found.rows[0]?.seed) return { name, seed: JSON.parse(found.rows[0].seed) as DemoSeedRecord };
    await client.query(`drop database if exists "${name}" with (force)`);
    await client.query(`create database "${name}" template "${template}"`);
    try {
      const seed = await seedDemo(withDatabase(admin, name));
      await client.query(`comment on database "${name}" is ${client.escapeLiteral(JSON.stringify(seed))}`);
      return { name, seed };
    } catch (err) {
      await client.query(`drop database if exists "${name}" with (force)`).catch(() => {});
      throw err;
    }
  } finally {
    // Ending the session releases the advisory lock.
    await client.end();
  }
}

async function seedDemo(ownerUrl: string): Promise<DemoSeedRecord> {
  // As the application role, like the product's first start; closed before anyone clones the template.
  const db = createDb(ownerUrl, { max: 2 });
  try {
    let hashes = 0;
    const opts = { slug: "northwind", ownerEmail: "owner@northwind.test", memberEmail: "member@northwind.test", now: DEMO_NOW };
    const t0 = performance.now();
    const r = await seedDemoMerchant(db, {
      ...opts,
      hashPassword: (pw) => {
        hashes++;
        return hashPassword(pw);
      },
    });
    return { merchantId: r.merchantId, created: r.created, hashes, ms: Math.round(performance.now() - t0), ...opts, now: DEMO_NOW.toISOString() };
  } finally {
    await db.destroy();
  }
}
