import type { TestProject } from "vitest/node";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres, type EmbeddedHandle } from "../../db/embedded";
import { migrateToLatest } from "../../db/migrate";
import { prepareJobsSchema } from "../../app/jobs/schema.server";
import { freePort } from "./free-port";
import { tempClusterDir } from "./reap";

/**
 * Once per test run: a PostgreSQL server (embedded in a temp dir, or TEST_DATABASE_URL's server) and a migrated
 * template database. Each worker then clones its own database from the template (tests/support/worker-db.ts),
 * which takes milliseconds instead of re-running migrations.
 */
declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    templateDb: string;
    runId: string;
  }
}

let embedded: EmbeddedHandle | undefined;
let tmpDir: string | undefined;
const started = new Map<string, { admin: string; template: string; runId: string }>();

export default async function setup(project: TestProject) {
  // The integration and e2e projects share one server and template per run (globalSetup runs once per project).
  const key = "shared";
  let ctx = started.get(key);
  if (!ctx) {
    const runId = `${process.pid}_${Date.now().toString(36)}`;
    let admin: string;
    if (process.env.TEST_DATABASE_URL) {
      admin = process.env.TEST_DATABASE_URL;
    } else {
      tmpDir = tempClusterDir("perennial-test-pg-");
      embedded = await startEmbeddedPostgres({ dir: path.join(tmpDir, "data"), port: await freePort(), database: "postgres", persistent: false, quiet: true });
      admin = embedded.url;
    }
    const template = `perennial_tpl_${runId}`;
    await adminQuery(admin, `create database ${template}`);
    await migrateToLatest(withDatabase(admin, template));
    // graphile-worker's schema too, so e-mails can be enqueued (add_job) in every test database.
    await prepareJobsSchema(withDatabase(admin, template));
    ctx = { admin, template, runId };
    started.set(key, ctx);
  }
  project.provide("pgAdminUrl", ctx.admin);
  project.provide("templateDb", ctx.template);
  project.provide("runId", ctx.runId);

  return async () => {
    if (!started.has(key)) return;
    started.delete(key);
    const { admin, runId } = ctx!;
    const dbs = await adminQuery(admin, `select datname from pg_database where datname like $1`, [`perennial_%${runId}%`]);
    for (const row of dbs) await adminQuery(admin, `drop database if exists "${row.datname}" with (force)`);
    if (embedded) await embedded.stop();
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function adminQuery(url: string, text: string, params: unknown[] = []): Promise<Array<Record<string, string>>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}
