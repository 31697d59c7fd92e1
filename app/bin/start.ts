/**
 * `npm start` (and `npm run dev` with --dev): one process that serves the whole product.
 *  1. database: DATABASE_URL, or the embedded PostgreSQL under DATA_DIR (started here, stopped on exit);
 *  2. migrations (as the owner), graphile-worker's schema;
 *  3. the demo merchant on first run (SEED_DEMO=true);
 *  4. the job worker in-process (RUN_WORKER=true) and the HTTP server.
 */
import type { Server } from "node:http";
import path from "node:path";
import { closeDb, db } from "~/db.server";
import { hashPassword } from "~/auth/password.server";
import { seedDemoMerchant } from "~/demo/seed.server";
import { startWorker } from "~/jobs/worker.server";
import { appUrl, env } from "~/lib/env.server";
import { prepareDatabase, redact, resolveDatabase } from "~/server/database.server";
import { ensureBuild } from "~/server/build.server";
import { createHttpApp } from "~/server/http.server";

const dev = process.argv.includes("--dev");
const log = (line: string) => console.log(`[perennial] ${line}`);

async function main() {
  if (dev) process.env.NODE_ENV ??= "development";
  else process.env.NODE_ENV ??= "production";
  const e = env();

  if (!dev) ensureBuild(log);

  // Its failures (no binaries, a data directory PostgreSQL cannot reach) are one line each: say it, not a stack trace.
  const database = await resolveDatabase(log).catch((err: Error) => {
    console.error(`[perennial] failed to start: ${err.message}`);
    process.exit(1);
  });
  const cleanups: Array<() => Promise<void>> = [];
  let server: Server | undefined;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received, shutting down…`);
    const force = setTimeout(() => {
      console.error("[perennial] shutdown took too long; exiting");
      process.exit(1);
    }, 15_000);
    force.unref();
    if (server) {
      server.closeAllConnections?.();
      await new Promise<void>((r) => server!.close(() => r()));
    }
    for (const c of cleanups.reverse()) await c().catch((err) => console.error("[perennial] cleanup failed:", err));
    await closeDb();
    await database.stop();
    log("stopped cleanly");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  try {
    await prepareDatabase(database.ownerUrl, log);

    let demo: Awaited<ReturnType<typeof seedDemoMerchant>> | undefined;
    if (e.SEED_DEMO) {
      const t0 = Date.now();
      demo = await seedDemoMerchant(db(), {
        hashPassword,
        // Two years of orders go through the real ledger, tiers, referrals and the CLTV fit: say why the first start waits.
        onSeeding: () => log("first start: seeding the demo merchant Northwind Coffee (about a minute on a small machine)…"),
      });
      if (demo.created) log(`seeded the demo merchant Northwind Coffee (${Date.now() - t0} ms)`);
    }

    if (e.RUN_WORKER) {
      const worker = await startWorker({ ownerUrl: database.ownerUrl });
      cleanups.push(() => worker.stop());
    }

    const { app, vite } = await createHttpApp({ mode: dev ? "development" : "production", appUrl: e.APP_URL, trustProxy: e.TRUST_PROXY });
    if (vite) cleanups.push(() => vite.close());
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(e.PORT, e.HOST, () => resolve(s));
      s.on("error", reject);
    });

    banner({ database: database.embedded ? embeddedDescription(database) : redact(database.ownerUrl), demo, worker: e.RUN_WORKER, dev });
  } catch (err) {
    console.error(`[perennial] failed to start: ${(err as Error).message}`);
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await closeDb().catch(() => {});
    await database.stop().catch(() => {});
    process.exit(1);
  }
}

function embeddedDescription(d: { dataDir?: string; relocatedFrom?: string }): string {
  const where = d.dataDir ? path.relative(process.cwd(), d.dataDir) : "";
  const shown = where && !where.startsWith("..") ? where : (d.dataDir ?? "");
  if (!d.relocatedFrom) return `embedded PostgreSQL (${shown})`;
  // As root the server runs as 'postgres', which cannot enter DATA_DIR's directory (e.g. under /root): say where the data went.
  return `embedded PostgreSQL (${shown})\n                 not in ${d.relocatedFrom}: the 'postgres' OS user it runs as cannot enter that directory`;
}

function banner(o: { database: string; demo?: { ownerEmail: string; ownerPassword: string; memberEmail: string; memberPassword: string }; worker: boolean; dev: boolean }) {
  const url = appUrl();
  const lines = [
    "",
    `  Perennial is running${o.dev ? " (development, hot reload)" : ""}: ${url}`,
    "",
    `  Admin          ${url}/login`,
    `  Demo portal    ${url}/p/northwind`,
    `  API reference  ${url}/api/v1/docs`,
    "",
  ];
  if (o.demo) {
    lines.push(`  Demo owner     ${o.demo.ownerEmail} / ${o.demo.ownerPassword}`);
    lines.push(`  Demo member    ${o.demo.memberEmail} / ${o.demo.memberPassword}`);
    lines.push("");
  }
  lines.push(`  Database       ${o.database}`);
  lines.push(`  Jobs           ${o.worker ? "worker running in this process" : "RUN_WORKER=false: run `npm run worker` separately"}`);
  lines.push(`  E-mail         ${env().SMTP_URL ? "SMTP" : "kept in the admin's Mailbox (set SMTP_URL to send)"}`);
  lines.push("", "  Ctrl-C stops the server and the database.", "");
  console.log(lines.join("\n"));
}

void main();
