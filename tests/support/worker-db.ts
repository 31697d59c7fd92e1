import { inject } from "vitest";
import { configureDb } from "../../app/db.server";
import { adminQuery, withDatabase } from "./global-setup";

/**
 * Each worker gets its own database, cloned from the migrated template once, and reused by every test file the
 * worker runs. Tests therefore never assume an empty database: they create their own merchants.
 */
const admin = inject("pgAdminUrl");
const template = inject("templateDb");
const runId = inject("runId");
const workerDb = `perennial_w${process.env.VITEST_POOL_ID ?? "0"}_${runId}`;

const g = globalThis as { __perennialWorkerDbReady?: Promise<void> };
g.__perennialWorkerDbReady ??= (async () => {
  const exists = await adminQuery(admin, "select 1 from pg_database where datname = $1", [workerDb]);
  if (!exists.length) await adminQuery(admin, `create database "${workerDb}" template "${template}"`);
})();
await g.__perennialWorkerDbReady;

/** Owner URL (migrations, superuser checks); the app itself always runs as role perennial_app. */
export const ownerUrl = withDatabase(admin, workerDb);
process.env.PERENNIAL_RESOLVED_DATABASE_URL = ownerUrl;
configureDb(ownerUrl, { max: 20 });
