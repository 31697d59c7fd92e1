/**
 * Pages against the framework's floor, and the server's memory (issue 14, items 2 and 3).
 *
 * The demo merchant (Northwind, ~2,000 members, two years of orders; app/demo/seed.server.ts, about a minute) is seeded
 * into this bench's database, then the production server is started as its own process exactly as `npm start` runs it
 * (package.json's "start" script with its environment and node flags, DATABASE_URL = this database, no demo seed, no
 * worker), so its RSS and CPU
 * profile are the server's alone. autocannon (pinned dev dependency; its CLI in a child process, so the load
 * generator is not in the server's or this process's event loop) drives each page for PAGES_BENCH_SECONDS (default
 * 10) at 10 and then at 100 connections, signed in the way the e2e fixtures are (sessions created directly,
 * tests/support/tenancy.ts): the demo owner for admin pages, the demo member for the portal, an API key for the API.
 *
 * The floor is the portal's log-in page, `/p/northwind/login`, without a cookie: a real, small page of the product that
 * goes through everything every page pays (Express middleware, CSP nonce, compression, Remix routing, the root and
 * portal layouts, React SSR of a short form) after one tenant query, the merchant by slug (the layout and the page
 * both ask for it). It needs no diagnostics route in the product, and any per-request cost of the framework or of
 * our server layer shows in it as in every page, so the ratios isolate what each page adds.
 *
 * Printed: req/s, p50, p99, non-2xx, the ratio to the floor's req/s, and the targets (portal pages and the points API
 * ≥ 0.5× the floor, admin pages ≥ 0.25×, p99 at 100 connections ≤ 3× the floor's), with os.loadavg() beside each
 * figure. Memory: the server's VmRSS from /proc every second — warm (after a warm-up pass over every page), peak during
 * the load, settled 30 s after the load stops — against ≤ 400 MB peak and settled within 20% of warm.
 *
 * What RSS is made of is printed beside it at each point: the server logs process.memoryUsage() and V8's heap spaces
 * every second (MEMORY_LOG_MS), and /proc/<pid>/smaps_rollup splits RSS into anonymous memory (heap, malloc) and
 * file-backed pages (the node binary and shared libraries).
 *
 * Options (environment): PAGES_BENCH_SECONDS (10; 600 with PAGES_BENCH_SOAK=1 is the issue's soak: the whole page
 * list in a loop at 100 connections for that long), PAGES_BENCH_PROFILE=1 (the server runs with --cpu-prof; the top
 * self-time functions and packages are printed), PAGES_BENCH_HEAP=1 (the server writes a heap snapshot on SIGUSR2,
 * taken when warm and when settled; both are summarised by tests/bench/heap-summary.ts and kept in
 * PAGES_BENCH_HEAP_OUT, a directory, when set; the snapshot's own native memory stays in the RSS figures after it, so
 * compare RSS from runs without it), PAGES_BENCH_ONLY=<substrings of page names, comma-separated> (floor is always run),
 * PAGES_BENCH_SERVER_FLAGS (extra node flags for the server only, e.g. `--max-semi-space-size=8`, to try settings
 * before they go into the start script; environment variables such as MALLOC_ARENA_MAX reach the server from this
 * process's environment).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import pg from "pg";
import { createMemberSession } from "../../app/auth/member-session.server";
import { hashPassword } from "../../app/auth/password.server";
import { createStaffSession } from "../../app/auth/staff-session.server";
import { db, withTenant } from "../../app/db.server";
import { seedDemoMerchant } from "../../app/demo/seed.server";
import { createApiKey } from "../../app/domain/api-keys/api-keys.server";
import { ensureBuild } from "../../app/server/build.server";
import { freePort } from "../support/free-port";
import { tempClusterDir } from "../support/reap";
import { printHeapDiff, printHeapSummary, summariseHeap } from "./heap-summary";
import { statementStats } from "./statement-stats";

const SECONDS = Number(process.env.PAGES_BENCH_SECONDS ?? (process.env.PAGES_BENCH_SOAK ? 600 : 10));
const SOAK = process.env.PAGES_BENCH_SOAK === "1";
const PROFILE = process.env.PAGES_BENCH_PROFILE === "1";
const HEAP = process.env.PAGES_BENCH_HEAP === "1";
const ONLY = process.env.PAGES_BENCH_ONLY;
const CONNECTIONS = [10, 100];
const SETTLE_MS = 30_000;
const MB = 1024 * 1024;

type Kind = "floor" | "portal" | "admin" | "api";
interface Page {
  name: string;
  kind: Kind;
  path: string;
  headers: Record<string, string>;
}
interface Result {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  load: string;
  requests: number;
  /** CPU per request (ms): the server's node process, and the whole PostgreSQL cluster (backends, postmaster). */
  nodeMs: number;
  pgMs: number;
}

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

export async function run(ownerUrl: string): Promise<void> {
  console.log(`machine: ${os.cpus().length} cores, load average ${load()}; ${SECONDS} s per page and connection count${SOAK ? " (soak)" : ""}`);
  const start = startCommand();
  const extra = [process.env.PAGES_BENCH_SERVER_FLAGS, process.env.MALLOC_ARENA_MAX && `MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX}`].filter(Boolean).join(" ");
  console.log(`server: ${Object.entries(start.env).map(([k, v]) => `${k}=${v} `).join("")}node ${start.args.join(" ")}${extra ? ` (with ${extra})` : ""}`);
  const t0 = performance.now();
  const demo = await seedDemoMerchant(db(), { hashPassword, members: 2000 });
  console.log(`demo seeded in ${Math.round((performance.now() - t0) / 1000)} s`);
  // Planner statistics for the seeded tables, as a database that has been running has them: otherwise autovacuum's
  // first analyze lands somewhere in the middle of the load and the pages before it are measured with other plans.
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  await owner.query("analyze");
  await owner.end();
  const pages = await demoPages(demo.merchantId, demo.ownerEmail, demo.memberEmail);

  // Built here, before the server starts, so a rebuild never lands in the server's profile or memory figures.
  ensureBuild((line) => console.log(`[build] ${line}`));
  const port = await freePort();
  const profileDir = PROFILE ? tempClusterDir("perennial-pages-prof-") : undefined;
  const heapDir = HEAP ? tempClusterDir("perennial-pages-heap-") : undefined;
  const server = await startServer(ownerUrl, port, profileDir, heapDir);
  const baseUrl = `http://127.0.0.1:${port}`;
  const rss = new RssSampler(server.pid!, server.memoryLines);
  const snapshots: string[] = [];
  const sizes: string[] = [];
  try {
    for (const p of pages) {
      const res = await fetch(baseUrl + p.path, { headers: p.headers, redirect: "manual" });
      if (res.status !== 200) throw new Error(`${p.name} (${p.path}) answered ${res.status} before the load; the bench signs in wrong`);
      sizes.push(`${p.name} ${(await res.arrayBuffer()).byteLength}`);
    }
    // What a page weighs (fetch asks for gzip and hands back the decoded body): lazy route discovery inlines part of
    // the route manifest in every page; without it the whole manifest is one immutable asset fetched once.
    // (Read defensively: another process building in the same checkout may have emptied build/ meanwhile.)
    const manifest = fs.existsSync("build/client/assets") ? fs.readdirSync("build/client/assets").find((f) => /^manifest-.*\.js$/.test(f)) : undefined;
    const manifestSize = manifest ? `; manifest asset ${fs.statSync(path.join("build/client/assets", manifest)).size} B (${zlib.gzipSync(fs.readFileSync(path.join("build/client/assets", manifest))).length} B gzipped)` : "";
    console.log(`page sizes (HTML bytes): ${sizes.join(", ")}${manifestSize}`);
    // Warm-up: every page at 10 connections for a few seconds (JIT, caches, pools), then the warm RSS.
    for (const p of pages) await autocannon(baseUrl, p, 10, Math.min(3, SECONDS));
    await sleep(2000);
    const warm = rss.now();
    const warmParts = rss.parts();
    if (heapDir) snapshots.push(await heapSnapshot(server, heapDir, baseUrl, "warm"));
    const statements = await statementStats(ownerUrl, "the load");
    rss.start();

    const results = new Map<string, Result>();
    if (SOAK) {
      const until = Date.now() + SECONDS * 1000;
      let rounds = 0;
      while (Date.now() < until) {
        for (const p of pages) await autocannon(baseUrl, p, 100, 10);
        rounds++;
      }
      console.log(`soak: ${rounds} rounds over every page at 100 connections`);
    } else {
      const cpu = await cpuMeters(ownerUrl, server.pid!);
      for (const c of CONNECTIONS) for (const p of pages) results.set(`${p.name}@${c}`, await cpu.measure(() => autocannon(baseUrl, p, c, SECONDS)));
    }
    const peak = rss.stop();
    const peakParts = rss.peakParts;
    await statements.print();
    await sleep(SETTLE_MS);
    const settled = rss.now();
    const settledParts = rss.parts();
    if (heapDir) snapshots.push(await heapSnapshot(server, heapDir, baseUrl, "settled"));

    if (!SOAK) report(pages, results);
    // "Returns within 20% of its warm level": settling below warm (the idle collection, app/bin/start.ts) is met too.
    const within = settled <= warm * 1.2;
    console.log(
      `\nserver RSS: warm ${mb(warm)} MB, peak ${mb(peak)} MB (target ≤ 400: ${peak <= 400 * MB ? "met" : "MISSED"}), ` +
        `settled ${mb(settled)} MB ${SETTLE_MS / 1000} s after the load (${settled >= warm ? "+" : ""}${((settled / warm - 1) * 100).toFixed(0)}% vs warm; target ≤ +20%: ${within ? "met" : "MISSED"}) — load ${load()}`,
    );
    console.log("what RSS is made of (MB; anon/file from smaps_rollup, the rest from the server's own log line):");
    console.log(`  warm     ${warmParts}\n  peak     ${peakParts}\n  settled  ${settledParts}`);
  } finally {
    await stopServer(server);
    if (heapDir) {
      // Parsed here, after the server has stopped, so the summary's own memory never lands in the figures above.
      const [a, b] = snapshots.map((f) => summariseHeap(f));
      if (a) printHeapSummary(a);
      if (b) printHeapSummary(b);
      if (a && b) printHeapDiff(a, b);
      const keep = process.env.PAGES_BENCH_HEAP_OUT;
      if (keep) for (const f of snapshots) fs.copyFileSync(f, path.join(keep, path.basename(f)));
      fs.rmSync(heapDir, { recursive: true, force: true });
    }
    if (profileDir) {
      printProfile(profileDir);
      fs.rmSync(profileDir, { recursive: true, force: true });
    }
  }
}

async function demoPages(merchantId: string, ownerEmail: string, memberEmail: string): Promise<Page[]> {
  const owner = await db().selectFrom("staff_users").select("id").where("email", "=", ownerEmail).executeTakeFirstOrThrow();
  const { member, someone, experiment } = await withTenant(db(), merchantId, async (trx) => ({
    member: await trx.selectFrom("members").select("id").where("merchant_id", "=", merchantId).where("email", "=", memberEmail).executeTakeFirstOrThrow(),
    // A member with history other than the demo member, for the admin member page.
    someone: await trx
      .selectFrom("members")
      .select("members.id")
      .innerJoin("orders", (j) => j.onRef("orders.merchant_id", "=", "members.merchant_id").onRef("orders.member_id", "=", "members.id"))
      .where("members.merchant_id", "=", merchantId)
      .where("members.email", "!=", memberEmail)
      .groupBy("members.id")
      .orderBy((eb) => eb.fn.countAll(), "desc")
      .limit(1)
      .executeTakeFirstOrThrow(),
    experiment: await trx.selectFrom("experiments").select("id").where("merchant_id", "=", merchantId).where("kind", "=", "loyalty_program").executeTakeFirstOrThrow(),
  }));
  const staff = { Cookie: `prn_staff=${(await createStaffSession(db(), owner.id)).token}` };
  const portal = { Cookie: `prn_m_northwind=${(await createMemberSession(db(), merchantId, member.id)).token}` };
  const { token } = await createApiKey(db(), merchantId, { name: "pages bench", scopes: ["points:read"], createdBy: null });
  const api = { Authorization: `Bearer ${token}` };
  const all: Page[] = [
    { name: "floor: portal log-in page", kind: "floor", path: "/p/northwind/login", headers: {} },
    { name: "portal home", kind: "portal", path: "/p/northwind", headers: portal },
    { name: "portal rewards", kind: "portal", path: "/p/northwind/rewards", headers: portal },
    { name: "portal points history", kind: "portal", path: "/p/northwind/points", headers: portal },
    { name: "portal refer", kind: "portal", path: "/p/northwind/refer", headers: portal },
    { name: "admin dashboard", kind: "admin", path: "/admin/northwind", headers: staff },
    { name: "admin members list", kind: "admin", path: "/admin/northwind/members", headers: staff },
    { name: "admin member page", kind: "admin", path: `/admin/northwind/members/${someone.id}`, headers: staff },
    { name: "admin incrementality report", kind: "admin", path: `/admin/northwind/reports/${experiment.id}`, headers: staff },
    { name: "admin CLTV", kind: "admin", path: "/admin/northwind/cltv", headers: staff },
    { name: "API member points", kind: "api", path: `/api/v1/members/${member.id}/points`, headers: api },
  ];
  // A comma-separated list of substrings, e.g. "portal,member page".
  const only = ONLY?.split(",").map((s) => s.trim()).filter(Boolean);
  return all.filter((p) => p.kind === "floor" || !only?.length || only.some((o) => p.name.includes(o)));
}

// ---- the server as its own process --------------------------------------------------------------------------------

/**
 * package.json's "start" script, run without npm or a shell so the child's pid is the server's: `[env] [K=V…] node
 * <flags…> <entry>`; the bench's own node flags (profile, heap snapshots) go before the script's.
 */
function startCommand(): { env: Record<string, string>; args: string[] } {
  const script = (JSON.parse(fs.readFileSync("package.json", "utf8")) as { scripts: { start: string } }).scripts.start;
  const words = script.trim().split(/\s+/);
  const env: Record<string, string> = {};
  if (words[0] === "env") words.shift();
  while (words[0] && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) {
    const [k, ...v] = words.shift()!.split("=");
    env[k!] = v.join("=");
  }
  if (words.shift() !== "node") throw new Error(`the bench runs "start" as [env] [K=V…] node …; it is: ${script}`);
  return { env, args: words };
}

type Server = ChildProcess & { memoryLines: string[] };

async function startServer(ownerUrl: string, port: number, profileDir: string | undefined, heapDir: string | undefined): Promise<Server> {
  const start = startCommand();
  const args = [
    ...(profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : []),
    ...(heapDir ? ["--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${heapDir}`] : []),
    ...(process.env.PAGES_BENCH_SERVER_FLAGS ?? "").split(/\s+/).filter(Boolean),
    ...start.args,
  ];
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      ...start.env,
      NODE_ENV: "production",
      DATABASE_URL: ownerUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      SEED_DEMO: "false",
      RUN_WORKER: "false",
      LOG_LEVEL: "warn",
      MEMORY_LOG_MS: "1000",
    },
    stdio: ["ignore", "pipe", "pipe"],
  }) as Server;
  child.memoryLines = [];
  let out = "";
  let partial = "";
  child.stdout!.on("data", (d: Buffer) => {
    // The memory lines are kept apart (only the latest matters), the rest for the error message below.
    const lines = (partial + d.toString()).split("\n");
    partial = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith("[perennial] memory ")) {
        child.memoryLines.push(line.slice("[perennial] memory ".length));
        if (child.memoryLines.length > 5) child.memoryLines.shift();
      } else if (out.length < 100_000) out += line + "\n";
    }
  });
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${out}`);
    const up = await fetch(`http://127.0.0.1:${port}/p/northwind/login`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (up) return child;
    await sleep(500);
  }
  child.kill("SIGKILL");
  throw new Error(`the server did not answer within 180 s:\n${out}`);
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // SIGTERM: start.ts shuts down and exits, which is when --cpu-prof writes the profile.
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  await exited;
  clearTimeout(timer);
}

/** Writes a heap snapshot of the server (SIGUSR2) and waits until it is complete; returns its path. */
async function heapSnapshot(server: Server, dir: string, baseUrl: string, label: string): Promise<string> {
  const before = new Set(fs.readdirSync(dir));
  server.kill("SIGUSR2");
  // V8 writes the snapshot on the main thread: once the server answers again the file is whole.
  let file: string | undefined;
  while (!file) {
    await sleep(500);
    file = fs.readdirSync(dir).find((f) => f.endsWith(".heapsnapshot") && !before.has(f));
  }
  await fetch(`${baseUrl}/p/northwind/login`).then((r) => r.arrayBuffer());
  const named = path.join(dir, `${label}-${file}`);
  fs.renameSync(path.join(dir, file), named);
  console.log(`heap snapshot (${label}): ${mb(fs.statSync(named).size)} MB file`);
  return named;
}

class RssSampler {
  private peak = 0;
  peakParts = "";
  private timer: NodeJS.Timeout | undefined;
  constructor(
    private pid: number,
    private memoryLines: string[],
  ) {}
  now(): number {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${this.pid}/status`, "utf8"));
    return Number(m![1]) * 1024;
  }
  /** RSS split: anonymous vs file-backed pages (the kernel's), and the heap figures of the server's latest log line. */
  parts(): string {
    const rollup = fs.readFileSync(`/proc/${this.pid}/smaps_rollup`, "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? 0) * 1024;
    const line = this.memoryLines.at(-1);
    const m = line
      ? (JSON.parse(line) as { heapTotal: number; heapUsed: number; external: number; arrayBuffers: number; spaces: Record<string, number> })
      : undefined;
    const heap = m
      ? `, heapTotal ${mb(m.heapTotal)} (used ${mb(m.heapUsed)}: new ${mb(m.spaces.new_space ?? 0)}, old ${mb(m.spaces.old_space ?? 0)}, code ${mb(m.spaces.code_space ?? 0)}, large ${mb(m.spaces.large_object_space ?? 0)}), external ${mb(m.external)} (arrayBuffers ${mb(m.arrayBuffers)})`
      : "";
    return `RSS ${mb(this.now())}: anon ${mb(kb("Anonymous"))}, file ${mb(kb("Rss") - kb("Anonymous"))}${heap}`;
  }
  start(): void {
    this.peak = this.now();
    this.peakParts = this.parts();
    this.timer = setInterval(() => {
      const r = this.now();
      if (r > this.peak) {
        this.peak = r;
        this.peakParts = this.parts();
      }
    }, 1000);
  }
  stop(): number {
    clearInterval(this.timer);
    return Math.max(this.peak, this.now());
  }
}

// ---- load ----------------------------------------------------------------------------------------------------------

function autocannon(baseUrl: string, page: Page, connections: number, seconds: number): Promise<Result> {
  const bin = path.resolve("node_modules/autocannon/autocannon.js");
  const headers = Object.entries(page.headers).flatMap(([k, v]) => ["-H", `${k}=${v}`]);
  const args = [bin, "--json", "-c", String(connections), "-d", String(seconds), "-t", "30", ...headers, baseUrl + page.path];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${err}`));
      const r = JSON.parse(out) as { requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number; timeouts: number; duration: number };
      resolve({ rps: r.requests.total / r.duration, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts, load: load(), requests: r.requests.total, nodeMs: NaN, pgMs: NaN });
    });
  });
}

function report(pages: Page[], results: Map<string, Result>): void {
  const floorName = pages.find((p) => p.kind === "floor")!.name;
  for (const c of CONNECTIONS) {
    const floor = results.get(`${floorName}@${c}`)!;
    console.log(`\n${c} connections`);
    console.log("| page | req/s | p50 ms | p99 ms | ×floor req/s | target | p99 ÷ floor p99 | CPU ms/req: node + PostgreSQL (÷ floor's) | non-2xx | load avg |");
    console.log("|---|---|---|---|---|---|---|---|---|---|");
    for (const p of pages) {
      const r = results.get(`${p.name}@${c}`)!;
      const ratio = r.rps / floor.rps;
      const target = p.kind === "floor" ? "" : p.kind === "admin" ? 0.25 : 0.5;
      const met = target === "" ? "" : `≥ ${target} ${ratio >= target ? "met" : "MISSED"}`;
      const p99 = r.p99 / floor.p99;
      const p99Met = c === 100 && p.kind !== "floor" ? ` (≤ 3 ${p99 <= 3 ? "met" : "MISSED"})` : "";
      console.log(
        `| ${p.name} | ${r.rps.toFixed(1)} | ${r.p50} | ${r.p99} | ${ratio.toFixed(2)} | ${met} | ${p99.toFixed(2)}${p99Met} | ${r.nodeMs.toFixed(1)} + ${r.pgMs.toFixed(1)} (${((r.nodeMs + r.pgMs) / (floor.nodeMs + floor.pgMs)).toFixed(2)}) | ${r.non2xx + r.errors} | ${r.load} |`,
      );
    }
  }
}

/**
 * CPU time per request, steadier than req/s on a loaded machine (another process's load slows every page alike but
 * adds no CPU time to ours): the server's utime+stime, and the PostgreSQL cluster's — the postmaster with its reaped
 * children (cutime+cstime: backends that exited) plus the live backends — from /proc, before and after each load.
 */
async function cpuMeters(ownerUrl: string, serverPid: number) {
  const c = new pg.Client({ connectionString: ownerUrl });
  await c.connect();
  const dataDir = (await c.query<{ data_directory: string }>("show data_directory")).rows[0]!.data_directory;
  await c.end();
  const postmaster = Number(fs.readFileSync(path.join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  const hz = 100; // USER_HZ: 100 on Linux
  const stat = (pid: number) => {
    try {
      // Fields after the parenthesised command: state is [0], ppid [1], utime [11], stime [12], cutime [13], cstime [14].
      const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ");
      return { ppid: Number(f[1]), self: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
    } catch {
      return undefined; // exited meanwhile
    }
  };
  const pgTicks = () => {
    const pm = stat(postmaster);
    let t = pm ? pm.self + pm.children : 0;
    for (const d of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      const s = stat(Number(d));
      if (s?.ppid === postmaster) t += s.self;
    }
    return t;
  };
  return {
    async measure(run: () => Promise<Result>): Promise<Result> {
      const n0 = stat(serverPid)!.self;
      const p0 = pgTicks();
      const r = await run();
      const requests = r.requests || 1;
      return { ...r, nodeMs: ((stat(serverPid)!.self - n0) * 1000) / hz / requests, pgMs: ((pgTicks() - p0) * 1000) / hz / requests };
    },
  };
}

// ---- the CPU profile -----------------------------------------------------------------------------------------------

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Self time by function and by package (node_modules/<name>, our app/… folders, node internals) of the server. */
function printProfile(dir: string): void {
  const file = fs.readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) return console.log("no CPU profile was written (the server did not exit cleanly)");
  const prof = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const fns = new Map<string, number>();
  const pkgs = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === "(idle)") {
      idle += us;
      continue;
    }
    total += us;
    const where = url.replace(/^file:\/\//, "").replace(process.cwd() + "/", "");
    fns.set(`${functionName || "(anonymous)"} ${where}:${lineNumber + 1}`, (fns.get(`${functionName || "(anonymous)"} ${where}:${lineNumber + 1}`) ?? 0) + us);
    const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(where)?.[1] ?? (where.startsWith("build/") ? "build (our server bundle)" : where.startsWith("node:") ? "node internals" : where === "" ? functionName || "(native)" : where.split("/").slice(0, 2).join("/"));
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `  ${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)
      .join("\n");
  console.log(`\nserver CPU profile: ${(total / 1000).toFixed(0)} ms busy, ${(idle / 1000).toFixed(0)} ms idle`);
  console.log(`self time by package:\n${top(pkgs, 15)}`);
  console.log(`self time by function:\n${top(fns, 25)}`);
  const keep = process.env.PAGES_BENCH_PROFILE_OUT;
  if (keep) fs.copyFileSync(path.join(dir, file), keep);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => Math.round(bytes / MB);
