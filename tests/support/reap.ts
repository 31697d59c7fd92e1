import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { relocationCandidates } from "../../db/embedded";

/**
 * Test and benchmark runs start their own PostgreSQL in a temp dir named `<prefix><runner pid>-…`. A run that was
 * killed (Ctrl-C twice, a CI timeout) cannot stop its server, which runs detached; a later run reaps it. The machine
 * is shared (other checkouts, other users, other containers with the same /tmp), so a cluster is reaped only when
 * its `owner.json` proves it was started by this checkout, as this user, on this host, and its runner is certainly
 * dead (no such process since this boot, or the pid now belongs to a process that started at another time). A dir
 * without `owner.json` (an older run's, or one being created this instant) is never touched.
 */

export const OWNER_FILE = "owner.json";
const CHECKOUT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");

export interface ClusterOwner {
  runId: string;
  pid: number;
  /** The runner's start time in clock ticks since boot (/proc/<pid>/stat field 22); null where there is no /proc. */
  pidStart: string | null;
  uid: number | null;
  host: string;
  bootId: string | null;
  checkout: string;
}

export interface ReapOptions {
  /** Where the cluster dirs are (the temp dir). */
  root?: string;
  /** Where a cluster moved by embeddedDataDir may be, for a cluster dir (default: db/embedded's candidates). */
  relocated?: (dataDir: string) => string[];
  /** Who "we" are (tests pretend to be another checkout or user). */
  self?: Pick<ClusterOwner, "uid" | "host" | "bootId" | "checkout">;
  /** How long to wait for a SIGQUIT postmaster to exit before removing its files. */
  waitMs?: number;
}

export function tempClusterDir(prefix: string): string {
  reapStaleClusters(prefix);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}${process.pid}-`));
  fs.chmodSync(dir, 0o755);
  writeOwner(dir, currentOwner());
  return dir;
}

export function currentOwner(pid = process.pid): ClusterOwner {
  return { runId: crypto.randomUUID(), pid, pidStart: processStart(pid), uid: process.getuid?.() ?? null, host: os.hostname(), bootId: bootId(), checkout: CHECKOUT };
}

export function writeOwner(dir: string, owner: ClusterOwner): void {
  // Written whole then renamed: a reaper never reads half a file.
  const tmp = path.join(dir, `.${OWNER_FILE}.${process.pid}`);
  fs.writeFileSync(tmp, JSON.stringify(owner));
  fs.renameSync(tmp, path.join(dir, OWNER_FILE));
}

/** Reaps the dead clusters of this checkout and user whose dir starts with `prefix`; returns the dirs removed. */
export function reapStaleClusters(prefix: string, opts: ReapOptions = {}): string[] {
  const root = opts.root ?? os.tmpdir();
  const self = opts.self ?? currentOwner();
  const reaped: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return reaped;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const dir = path.join(root, name);
    const owner = readOwner(dir);
    if (!owner || !ours(owner, self) || runnerAlive(owner, self)) continue;
    try {
      const dataDir = path.join(dir, "data");
      const moved = (opts.relocated ?? relocationCandidates)(dataDir).filter((p) => originOf(p) === path.resolve(dataDir));
      for (const d of [dataDir, ...moved.map((p) => path.join(p, "pg"))]) stopPostmaster(d, opts.waitMs ?? 5000);
      for (const p of moved) fs.rmSync(p, { recursive: true, force: true });
      // Last, so a half-reaped cluster still carries its owner file for the next reaper.
      fs.rmSync(dir, { recursive: true, force: true });
      reaped.push(dir);
    } catch {
      // another run is reaping it at the same moment
    }
  }
  return reaped;
}

function readOwner(dir: string): ClusterOwner | null {
  try {
    const o = JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8")) as ClusterOwner;
    return Number.isInteger(o.pid) && o.pid > 0 ? o : null;
  } catch {
    return null;
  }
}

function ours(owner: ClusterOwner, self: NonNullable<ReapOptions["self"]>): boolean {
  return owner.checkout === self.checkout && owner.uid === self.uid && owner.host === self.host;
}

/** Alive unless certainly dead: another boot, no such process, or the pid now names a process started later. */
function runnerAlive(owner: ClusterOwner, self: NonNullable<ReapOptions["self"]>): boolean {
  if (owner.bootId && self.bootId && owner.bootId !== self.bootId) return false;
  if (!running(owner.pid)) return false;
  const start = processStart(owner.pid);
  return !(owner.pidStart && start && start !== owner.pidStart);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is another user's.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Fields 3… of /proc/<pid>/stat (after the command name, which is in parentheses and may hold spaces). */
function statFields(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

function processStart(pid: number): string | null {
  return statFields(pid)?.[19] ?? null;
}

/** Exists and is not a zombie (a dead child its parent has not collected yet). */
function running(pid: number): boolean {
  if (!processExists(pid)) return false;
  const state = statFields(pid)?.[0];
  return state !== "Z" && state !== "X";
}

function bootId(): string | null {
  try {
    return fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return null;
  }
}

function originOf(relocatedParent: string): string | null {
  try {
    return fs.readFileSync(path.join(relocatedParent, "origin"), "utf8").trim();
  } catch {
    return null;
  }
}

/**
 * SIGQUIT to the cluster's postmaster, only when postmaster.pid's process is that server: its command line names this
 * data dir (where /proc can tell), so a pid recycled by an unrelated process is left alone.
 */
function stopPostmaster(dataDir: string, waitMs: number): void {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n");
  } catch {
    return;
  }
  const pid = Number(lines[0]);
  if (!pid || !running(pid)) return;
  let cmdline: string | null = null;
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    // no /proc: postmaster.pid's own data-dir line is all there is to go on
  }
  const args = cmdline?.split("\0");
  const isIt = args ? args.some((a, i) => a === "-D" && args[i + 1] !== undefined && path.resolve(args[i + 1]!) === path.resolve(dataDir)) : lines[1]?.trim() === path.resolve(dataDir);
  if (!isIt) return;
  try {
    process.kill(pid, "SIGQUIT");
  } catch {
    return;
  }
  const deadline = Date.now() + waitMs;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (running(pid) && Date.now() < deadline) Atomics.wait(nap, 0, 0, 50);
}
