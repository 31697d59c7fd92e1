/**
 * `npm run worker`: the job worker on its own, for deployments that run the web process with RUN_WORKER=false.
 * Finds the database like `npm start` (DATABASE_URL, or the embedded PostgreSQL — reused if `npm start` already
 * runs it), applies migrations and graphile-worker's schema, then processes jobs until SIGINT/SIGTERM.
 */
import { closeDb } from "~/db.server";
import { describeDelivery, mailConfigFromEnv } from "~/domain/email/delivery.server";
import { startWorker, type StartedWorker } from "~/jobs/worker.server";
import { env } from "~/lib/env.server";
import { prepareDatabase, redact, resolveDatabase } from "~/server/database.server";

const log = (line: string) => console.log(`[worker] ${line}`);

async function main() {
  env();
  const database = await resolveDatabase(log).catch((err: Error) => {
    console.error(`[worker] failed to start: ${err.message}`);
    process.exit(1);
  });
  let worker: StartedWorker | undefined;
  let stopping = false;

  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received, finishing running jobs…`);
    const force = setTimeout(() => {
      console.error("[worker] shutdown took too long; exiting");
      process.exit(1);
    }, 30_000);
    force.unref();
    try {
      await worker?.stop();
      await closeDb();
      await database.stop();
      log("stopped cleanly");
      process.exit(0);
    } catch (err) {
      console.error("[worker] shutdown failed:", (err as Error).message);
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  try {
    await prepareDatabase(database.ownerUrl, log);
    worker = await startWorker({ ownerUrl: database.ownerUrl });
    const delivery = describeDelivery(mailConfigFromEnv());
    log(`processing jobs from ${database.embedded ? "the embedded PostgreSQL" : redact(database.ownerUrl)}`);
    log(delivery.mode === "smtp" ? `e-mail: SMTP via ${delivery.server}` : "e-mail: SMTP_URL not set, kept in the admin's Mailbox");
  } catch (err) {
    console.error(`[worker] failed to start: ${(err as Error).message}`);
    await worker?.stop().catch(() => {});
    await closeDb().catch(() => {});
    await database.stop().catch(() => {});
    process.exit(1);
  }
}

void main();
