import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentOwner, reapStaleClusters, writeOwner, type ClusterOwner } from "../support/reap";

/**
 * The reaper of orphaned test/bench clusters (tests/support/reap.ts) on a shared machine: it stops and removes a
 * cluster only when its owner file says this checkout, this user, this host, and a runner that is certainly dead.
 * Fake clusters: a dir with owner.json and data/postmaster.pid naming a stand-in "postmaster" (a sleeping node whose
 * command line carries `-D <data dir>`, as the real one does).
 */

const linux = fs.existsSync("/proc/self/stat");
const PREFIX = "perennial-test-pg-";
let root = "";
let moved = "";
const children: ChildProcess[] = [];
let deadPid = 0;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "perennial-reap-test-"));
  moved = path.join(root, "shared-base");
  // A pid that certainly ran and exited.
  const gone = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(gone, "exit");
  deadPid = gone.pid!;
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  fs.rmSync(root, { recursive: true, force: true });
});

/** Awaits 'spawn' (after exec), so /proc/<pid>/cmdline is already the stand-in's own. */
async function fakePostmaster(dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1e9)", "--", "-D", dataDir], { stdio: "ignore" });
  children.push(child);
  await once(child, "spawn");
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, "postmaster.pid"), `${child.pid}\n${dataDir}\n`);
  return child;
}

async function cluster(name: string, owner: Partial<ClusterOwner> | null, opts: { postmaster?: boolean } = {}) {
  const dir = path.join(root, `${PREFIX}${name}`);
  fs.mkdirSync(dir, { recursive: true });
  if (owner) writeOwner(dir, { ...currentOwner(), ...owner });
  const postmaster = opts.postmaster === false ? null : await fakePostmaster(path.join(dir, "data"));
  return { dir, postmaster };
}

const alive = (c: ChildProcess | null) => c !== null && c.exitCode === null && c.signalCode === null;
const reap = () => reapStaleClusters(PREFIX, { root, relocated: (d) => [path.join(moved, path.basename(path.dirname(d)))], waitMs: 5000 });
const settle = (c: ChildProcess) => (alive(c) ? once(c, "exit").then(() => undefined) : Promise.resolve());

describe("reapStaleClusters", () => {
  it("stops and removes only the clusters of this checkout and user whose runner is certainly dead", async () => {
    const mine = await cluster(`${process.pid}-live`, { pid: process.pid });
    const dead = await cluster(`${deadPid}-dead`, { pid: deadPid });
    const otherCheckout = await cluster(`${deadPid}-checkout`, { pid: deadPid, checkout: "/elsewhere/perennial" });
    const otherUser = await cluster(`${deadPid}-user`, { pid: deadPid, uid: (process.getuid?.() ?? 0) + 4242 });
    const otherHost = await cluster(`${deadPid}-host`, { pid: deadPid, host: `not-${os.hostname()}` });
    const legacy = await cluster(`${deadPid}-legacy`, null);
    const otherPrefix = path.join(root, `perennial-bench-${deadPid}-x`);
    fs.mkdirSync(otherPrefix);
    writeOwner(otherPrefix, { ...currentOwner(), pid: deadPid });

    const reaped = reap();

    expect(reaped).toEqual([dead.dir]);
    await settle(dead.postmaster!);
    expect(dead.postmaster!.signalCode).toBe("SIGQUIT");
    expect(fs.existsSync(dead.dir)).toBe(false);
    for (const kept of [mine, otherCheckout, otherUser, otherHost, legacy]) {
      expect(fs.existsSync(kept.dir)).toBe(true);
      expect(alive(kept.postmaster)).toBe(true);
    }
    expect(fs.existsSync(otherPrefix)).toBe(true);
  });

  it.skipIf(!linux)("treats a recycled runner pid (same pid, another start time) as dead", async () => {
    const recycled = await cluster(`${process.pid}-recycled`, { pid: process.pid, pidStart: "1" });
    expect(reap()).toEqual([recycled.dir]);
    await settle(recycled.postmaster!);
    expect(recycled.postmaster!.signalCode).toBe("SIGQUIT");
  });

  it.skipIf(!linux)("never signals a live process that postmaster.pid names but that is not this cluster's server", async () => {
    const stale = await cluster(`${deadPid}-stalepid`, { pid: deadPid }, { postmaster: false });
    const stranger = await fakePostmaster(path.join(root, "someone-else", "data"));
    fs.mkdirSync(path.join(stale.dir, "data"), { recursive: true });
    fs.writeFileSync(path.join(stale.dir, "data", "postmaster.pid"), `${stranger.pid}\n${path.join(stale.dir, "data")}\n`);
    expect(reap()).toEqual([stale.dir]);
    expect(alive(stranger)).toBe(true);
  });

  it("also stops and removes a cluster that embeddedDataDir moved (running as root), when its origin matches", async () => {
    const dir = path.join(root, `${PREFIX}${deadPid}-moved`);
    fs.mkdirSync(dir);
    writeOwner(dir, { ...currentOwner(), pid: deadPid });
    const parent = path.join(moved, path.basename(dir));
    fs.mkdirSync(parent, { recursive: true });
    fs.writeFileSync(path.join(parent, "origin"), `${path.join(dir, "data")}\n`);
    const server = await fakePostmaster(path.join(parent, "pg"));
    // Same hash slot, another origin (not ours): left alone.
    const foreign = await cluster(`${deadPid}-foreign`, { pid: deadPid }, { postmaster: false });
    const foreignParent = path.join(moved, path.basename(foreign.dir));
    fs.mkdirSync(foreignParent, { recursive: true });
    fs.writeFileSync(path.join(foreignParent, "origin"), "/somewhere/else/data\n");
    const foreignServer = await fakePostmaster(path.join(foreignParent, "pg"));

    expect(reap().sort()).toEqual([dir, foreign.dir].sort());
    await settle(server);
    expect(server.signalCode).toBe("SIGQUIT");
    expect(fs.existsSync(parent)).toBe(false);
    expect(fs.existsSync(foreignParent)).toBe(true);
    expect(alive(foreignServer)).toBe(true);
  });
});
