/**
 * `npm run bench`: every benchmark in tests/bench/*.bench.ts against a fresh, migrated PostgreSQL (embedded in a temp
 * dir, or BENCH_DATABASE_URL's server). Each benchmark prints its results as ratios against a baseline it measures in
 * the same run, so the numbers compare across machines; nothing here is asserted on wall-clock time.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { startEmbeddedPostgres } from "../../db/embedded";
import { migrateToLatest } from "../../db/migrate";
import { closeDb, configureDb } from "../../app/db.server";
import { freePort } from "../support/free-port";
import { tempClusterDir } from "../support/reap";

async function main() {
  const only = process.argv[2];
  const dir = path.dirname(new URL(import.meta.url).pathname);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".bench.ts") && (!only || f.includes(only))).sort();
  const tmp = tempClusterDir("perennial-bench-");
  const external = process.env.BENCH_DATABASE_URL;
  // BENCH_PG_STAT_STATEMENTS=1 preloads pg_stat_statements (opt-in: it adds a little to every statement of every bench).
  const settings = process.env.BENCH_PG_STAT_STATEMENTS === "1" ? { shared_preload_libraries: "pg_stat_statements" } : undefined;
  const embedded = external ? undefined : await startEmbeddedPostgres({ dir: path.join(tmp, "data"), port: await freePort(), database: "postgres", persistent: false, quiet: true, settings });
  const admin = external ?? embedded!.url;
  try {
    for (const f of files) {
      const dbName = `perennial_bench_${process.pid}_${f.replace(/\W/g, "_")}`.slice(0, 60);
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`create database "${dbName}"`);
      await c.end();
      const u = new URL(admin);
      u.pathname = `/${dbName}`;
      const ownerUrl = u.toString();
      await migrateToLatest(ownerUrl);
      configureDb(ownerUrl, { max: 20 });
      console.log(`\n## ${f}`);
      const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { run: (ownerUrl: string) => Promise<void> };
      await mod.run(ownerUrl);
      await closeDb();
    }
  } finally {
    await embedded?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
