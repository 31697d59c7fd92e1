/**
 * `npm start` (and `npm run dev` with --dev): one process that serves the whole product.
 *  1. database: DATABASE_URL, or the embedded PostgreSQL under DATA_DIR (started here, stopped on exit);
 *  2. migrations (as the owner), graphile-worker's schema;
 *  3. the job worker in-process (RUN_WORKER=true) and the HTTP server;
 *  4. the demo merchant on first run (SEED_DEMO=true), in the background: the server already listens and answers
 *     "Preparing the demo merchant…" (pages) or a JSON 503 (API) until the seed commits (server/startup.server.ts).
 */
import type { Server } from "node:http";
import path from "node:path";
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import { closeDb, createDb } from "~/db.server";
import { hashPassword } from "~/auth/password.server";
import { seedDemoMerchant, type SeedDemoResult } from "~/demo/seed.server";
import { startWorker } from "~/jobs/worker.server";
import { appUrl, env } from "~/lib/env.server";
import { cancelStatements, prepareDatabase, redact, resolveDatabase, withApplicationName } from "~/server/database.server";
import { ensureBuild } from "~/server/build.server";
import { createHttpApp } from "~/server/http.server";
import { StartupGate } from "~/server/startup.server";

const dev = process.argv.includes("--dev");
const log = (line: string) => console.log(`[perennial] ${line}`);

async function main() {
  if (dev) process.env.NODE_ENV ??= "development";
  else process.env.NODE_ENV ??= "production";
  const e = env();
  if (e.MEMORY_LOG_MS) logMemoryEvery(e.MEMORY_LOG_MS);
  collectWhenIdle();

  if (!dev) ensureBuild(log);

  // Its failures (no binaries, a data directory PostgreSQL cannot reach) are one line each: say it, not a stack trace.
  const database = await resolveDatabase(log).catch((err: Error) => {
    console.error(`[perennial] failed to start: ${err.message}`);
    process.exit(1);
  });
  const cleanups: Array<() => Promise<void>> = [];
  let server: Server | undefined;
  const startup = new StartupGate();
  /** Set while the demo seed runs in the background: rolls it back and waits until it has let go of its connections. */
  let cancelSeed: (() => Promise<void>) | undefined;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal} received, shutting down…`);
    // Running jobs finish first (the worker's stop waits for them); graphile-worker aborts their signal after 5 s, and
    // the long one, the summaries refresh, stops at its next report window (a few seconds of CPU on a loaded machine).
    const force = setTimeout(() => {
      console.error("[perennial] shutdown took too long; exiting");
      process.exit(1);
    }, 30_000);
    force.unref();
    if (server) {
      server.closeAllConnections?.();
      await new Promise<void>((r) => server!.close(() => r()));
    }
    for (const c of cleanups.reverse()) await c().catch((err) => console.error("[perennial] cleanup failed:", err));
    await cancelSeed?.();
    await closeDb();
    await database.stop();
    log("stopped cleanly");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  try {
    await prepareDatabase(database.ownerUrl, log);

    let demo: SeedDemoResult | undefined;
    if (e.SEED_DEMO) {
      // The seed runs behind the startup gate. The server listens as soon as the seed knows it has work to do (first
      // start), or once it has found the demo already there (every later start: one query, no 503 phase at all).
      const t0 = Date.now();
      let creating!: () => void;
      const willCreate = new Promise<void>((resolve) => (creating = resolve));
      // Its own pool under its own session name, so a shutdown can cancel exactly its statements (cancelSeed).
      const seedName = `perennial-demo-seed-${process.pid}`;
      const seedDb = createDb(withApplicationName(database.ownerUrl, seedName));
      const seeded = startup.track(
        seedDemoMerchant(seedDb, {
          hashPassword,
          onSeeding: () => {
            log("first start: seeding the demo merchant Northwind Coffee in the background; the pages say so until it is ready…");
            creating();
          },
        }),
      );
      seeded.then(
        (result) => {
          demo = result;
          if (!result.created) return;
          log(`seeded the demo merchant Northwind Coffee (${Date.now() - t0} ms): ready`);
          // After the banner: its logins were not known yet.
          if (server) console.log(["", ...demoLogins(result), ""].join("\n"));
        },
        (err: unknown) => {
          if (stopping) return log("the demo seed stopped with the server (its transaction rolled back; the next start seeds again)");
          // The process keeps serving: the pages and /healthz say it failed, this log says why (see README).
          console.error("[perennial] the demo merchant could not be prepared:", err);
          console.error("[perennial] the server keeps running and its pages say so; restart it to try again, or set SEED_DEMO=false");
        },
      );
      const released = seeded
        .catch(() => {})
        .then(() => seedDb.destroy())
        .catch(() => {});
      cancelSeed = async () => {
        // Stopping PostgreSQL under the seed would kill a pool client between two statements (an 'error' nobody
        // hears, which crashes node); a cancelled statement fails the seed's one transaction, which rolls back
        // (nothing half-made; the next start seeds again). Cancel until it gives up: it may be between statements.
        const deadline = Date.now() + 10_000;
        while (startup.state === "starting" && Date.now() < deadline) {
          await cancelStatements(database.ownerUrl, seedName).catch(() => 0);
          await Promise.race([released, new Promise((r) => setTimeout(r, 100))]);
        }
        await Promise.race([released, new Promise((r) => setTimeout(r, 2_000))]);
      };
      await Promise.race([willCreate, released]);
    }

    if (e.RUN_WORKER) {
      const worker = await startWorker({ ownerUrl: database.ownerUrl });
      cleanups.push(() => worker.stop());
    }

    const { app, vite } = await createHttpApp({ mode: dev ? "development" : "production", appUrl: e.APP_URL, trustProxy: e.TRUST_PROXY, startup });
    if (vite) cleanups.push(() => vite.close());
    server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(e.PORT, e.HOST, () => resolve(s));
      s.on("error", reject);
    });

    banner({ database: database.embedded ? embeddedDescription(database) : redact(database.ownerUrl), demo, startup: e.SEED_DEMO ? startup.state : "ready", worker: e.RUN_WORKER, dev });
  } catch (err) {
    console.error(`[perennial] failed to start: ${(err as Error).message}`);
    stopping = true; // a demo seed cut short by this exit is not its own failure
    for (const c of cleanups.reverse()) await c().catch(() => {});
    await cancelSeed?.().catch(() => {});
    await closeDb().catch(() => {});
    await database.stop().catch(() => {});
    process.exit(1);
  }
}

/**
 * Full garbage collections when the process goes idle after being busy. V8 collects when allocation demands it, so
 * after a burst of requests the heap keeps the burst's garbage (and its committed size) until the next burst: the page
 * benchmark measured 380 MB of heap holding 80 MB of live objects 30 s after the load. Only when started with
 * --expose-gc (package.json's "start" script); a collection of the ~80 MB live heap costs tens of ms, at most two
 * per idle period.
 */
function collectWhenIdle(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  let last = performance.eventLoopUtilization();
  // Two collections, one per idle tick: V8 gives back only part of the freed pages after each.
  let owed = 0;
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, last);
    last = now;
    if (utilization > 0.25) owed = 2;
    else if (owed > 0 && utilization < 0.05) {
      owed--;
      gc();
    }
  }, 5_000);
  timer.unref();
}

/** What RSS is made of, from inside: the page benchmark compares it with /proc's figures (README, memory). */
function logMemoryEvery(ms: number): void {
  const timer = setInterval(() => {
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
    console.log(`[perennial] memory ${JSON.stringify({ ...process.memoryUsage(), spaces })}`);
  }, ms);
  timer.unref();
}

function embeddedDescription(d: { dataDir?: string; relocatedFrom?: string }): string {
  const where = d.dataDir ? path.relative(process.cwd(), d.dataDir) : "";
  const shown = where && !where.startsWith("..") ? where : (d.dataDir ?? "");
  if (!d.relocatedFrom) return `embedded PostgreSQL (${shown})`;
  // As root the server runs as 'postgres', which cannot enter DATA_DIR's directory (e.g. under /root): say where the data went.
  return `embedded PostgreSQL (${shown})\n                 not in ${d.relocatedFrom}: the 'postgres' OS user it runs as cannot enter that directory`;
}

function demoLogins(d: SeedDemoResult): string[] {
  return [`  Demo owner     ${d.ownerEmail} / ${d.ownerPassword}`, `  Demo member    ${d.memberEmail} / ${d.memberPassword}`];
}

function banner(o: { database: string; demo?: SeedDemoResult; startup: StartupGate["state"]; worker: boolean; dev: boolean }) {
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
  if (o.demo) lines.push(...demoLogins(o.demo), "");
  else if (o.startup === "starting") lines.push("  Demo           being prepared: every page says so until it is ready; the logins follow below", "");
  else if (o.startup === "failed") lines.push("  Demo           could not be prepared (the error is above); the pages say so", "");
  lines.push(`  Database       ${o.database}`);
  lines.push(`  Jobs           ${o.worker ? "worker running in this process" : "RUN_WORKER=false: run `npm run worker` separately"}`);
  lines.push(`  E-mail         ${env().SMTP_URL ? "SMTP" : "kept in the admin's Mailbox (set SMTP_URL to send)"}`);
  lines.push("", "  Ctrl-C stops the server and the database.", "");
  console.log(lines.join("\n"));
}

void main();
