import { Logger, runMigrations } from "graphile-worker";
import pg from "pg";

/**
 * graphile-worker's schema and the application role's access to it. No app imports (aliases, env) so the test
 * harness's global setup can prepare the template database with it too.
 */

// The role created by db/migrations/2026-11-22T1700_foundation.ts (APP_ROLE in app/db.server.ts).
const APP_ROLE = "perennial_app";

// Migration chatter stays quiet; problems reach stderr.
const quietLogger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`[jobs] ${message}`);
});

/**
 * Installs or upgrades graphile-worker's schema (as the owner) and grants the application role exactly what
 * `graphile_worker.add_job(...)` needs, so the app can queue jobs inside its own transactions. Idempotent; run at
 * every start after the app's migrations.
 */
export async function prepareJobsSchema(ownerUrl: string): Promise<void> {
  await runMigrations({ connectionString: ownerUrl, logger: quietLogger });
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query("begin");
    // `npm start` and `npm run worker` may prepare at the same moment; drop/create policy must not interleave.
    await client.query("select pg_advisory_xact_lock(hashtext('perennial:prepare-jobs-schema'))");
    for (const statement of grantStatements(APP_ROLE)) await client.query(statement);
    await client.query("commit");
  } catch (err) {
    await client.query("rollback").catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
}

/**
 * What add_job (job_key_mode 'replace') touches in 0.16.6: it calls add_jobs, which inserts the task identifier
 * if new (_private_tasks), upserts the named queue and left-joins it (_private_job_queues), clears the key of a
 * running job with the same key and upserts the job (_private_jobs; ids are identity columns, so no sequence
 * grant). graphile-worker enables Row Level Security on those tables without policies (only the owner gets
 * through), so the role needs a policy per command as well as the privilege. Everything else stays closed: no
 * DELETE, no other worker function (EXECUTE is revoked from PUBLIC), no migrations table.
 */
function grantStatements(role: string): string[] {
  const r = `"${role}"`;
  const policy = (table: string, command: "select" | "insert" | "update") => {
    const name = `perennial_app_${command}`;
    const clause = command === "select" ? "using (true)" : command === "insert" ? "with check (true)" : "using (true) with check (true)";
    return [
      `drop policy if exists ${name} on graphile_worker.${table}`,
      `create policy ${name} on graphile_worker.${table} for ${command} to ${r} ${clause}`,
    ];
  };
  return [
    `grant usage on schema graphile_worker to ${r}`,
    `revoke execute on all functions in schema graphile_worker from public`,
    `grant execute on function graphile_worker.add_job(text, json, text, timestamptz, integer, text, integer, text[], text) to ${r}`,
    `grant execute on function graphile_worker.add_jobs(graphile_worker.job_spec[], boolean) to ${r}`,
    `grant select, insert, update on graphile_worker._private_jobs to ${r}`,
    `grant select, insert on graphile_worker._private_tasks to ${r}`,
    // add_jobs' queue upsert is planned (so privilege-checked) even when no queue is named.
    `grant select, insert on graphile_worker._private_job_queues to ${r}`,
    ...policy("_private_jobs", "select"),
    ...policy("_private_jobs", "insert"),
    ...policy("_private_jobs", "update"),
    ...policy("_private_tasks", "select"),
    ...policy("_private_tasks", "insert"),
    ...policy("_private_job_queues", "select"),
    ...policy("_private_job_queues", "insert"),
  ];
}
