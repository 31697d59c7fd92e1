/**
 * Shared pieces of the points API benchmarks (accrual.bench.ts, debits.bench.ts): the production build served
 * in-process on a loopback port (as tests/support/app-server.ts does), a merchant with members and an API key, a
 * closed-loop load runner and latency percentiles. Not a benchmark itself (run.ts only picks up *.bench.ts).
 */
import fs from "node:fs";
import { Worker } from "node:worker_threads";
import { sql } from "kysely";
import { db, withTenant } from "../../app/db.server";
import { createApiKey } from "../../app/domain/api-keys/api-keys.server";
import type { ApiScope } from "../../app/domain/api-keys/scopes";
import { DEFAULT_EARNING_RULES, EarningRulesSchema, type EarningRules } from "../../app/domain/points/rules";
import { newId } from "../../app/lib/ids";
import { ensureBuild } from "../../app/server/build.server";
import { startAppServer } from "../support/app-server";

export async function startProductionServer(): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  ensureBuild((line) => console.log(`[build] ${line}`));
  return startAppServer();
}

/** A USD merchant with earning rules, `members` members (ids returned in order) and a key with the points scopes. */
export async function benchMerchant(members: number, rules: Partial<EarningRules> = {}): Promise<{ merchantId: string; memberIds: string[]; token: string }> {
  const merchantId = newId("merchant");
  await db().insertInto("merchants").values({ id: merchantId, slug: `bench-${merchantId.slice(4, 14)}`, name: "Bench Co", currency: "USD", timezone: "UTC" }).execute();
  const memberIds = Array.from({ length: members }, () => newId("member"));
  await withTenant(db(), merchantId, async (trx) => {
    await trx.insertInto("earning_rules").values({ merchant_id: merchantId, rules: JSON.stringify(EarningRulesSchema.parse({ ...DEFAULT_EARNING_RULES, ...rules })) }).execute();
    for (let i = 0; i < memberIds.length; i += 1000) {
      const ids = memberIds.slice(i, i + 1000);
      await sql`
        insert into members (merchant_id, id, email)
        select ${merchantId}, id, id || '@bench.example' from unnest(${ids}::text[]) as t(id)`.execute(trx);
    }
  });
  const scopes: ApiScope[] = ["orders:write", "points:read", "points:write"];
  const { token } = await createApiKey(db(), merchantId, { name: "bench", scopes, createdBy: null });
  return { merchantId, memberIds, token };
}

export interface LoadResult {
  latenciesMs: number[];
  wallMs: number;
  statuses: Map<number, number>;
  errors: string[];
}

/**
 * `clients` concurrent loops, each running `op(client, i)` `perClient` times back to back (closed loop: a client
 * sends its next request when the previous one answered). `op` returns the HTTP status (or 0 for a non-HTTP op).
 */
export async function closedLoop(clients: number, perClient: number, op: (client: number, i: number) => Promise<{ status: number; error?: string }>): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const statuses = new Map<number, number>();
  const errors: string[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < perClient; i++) {
        const s = performance.now();
        const r = await op(c, i);
        latenciesMs.push(performance.now() - s);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.error && errors.length < 5) errors.push(r.error);
      }
    }),
  );
  return { latenciesMs, wallMs: performance.now() - t0, statuses, errors };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  // Nearest rank.
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summary(r: LoadResult) {
  const n = r.latenciesMs.length;
  return {
    requests: n,
    perSecond: Math.round((n / r.wallMs) * 1000),
    p50Ms: round(percentile(r.latenciesMs, 50)),
    p99Ms: round(percentile(r.latenciesMs, 99)),
    maxMs: round(Math.max(...r.latenciesMs)),
    statuses: Object.fromEntries([...r.statuses.entries()].sort(([a], [b]) => a - b)),
  };
}

export const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;

// ---- HTTP load from a worker thread ---------------------------------------------------------------------------

export interface PreparedPost {
  path: string;
  body: unknown;
}

// Plain CommonJS run with `eval: true`, so the worker needs no TypeScript loader.
const WORKER_SOURCE = `
const http = require("node:http");
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
// This thread's own CPU (user + system, ms) from /proc/thread-self (Linux; 10 ms ticks): unlike event-loop
// utilisation it does not count the time the thread waited for a core, which a loaded machine inflates.
function threadCpuMs() {
  try {
    const f = fs.readFileSync("/proc/thread-self/stat", "utf8").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}
// node:http with keep-alive rather than fetch: a lighter client leaves more of the shared CPU to the server.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
// A keep-alive socket the server closes as idle (its 5 s timeout, between rounds) can be picked for a request at the
// same instant: "socket hang up" with nothing answered. A real client retries that with the same Idempotency-Key,
// which the API makes safe; so does the bench, once.
function post(url, token, body, key = crypto.randomUUID(), retried = false) {
  return new Promise((resolve) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request(url, {
      method: "POST",
      agent,
      headers: {
        Authorization: "Bearer " + token,
        "Content-Type": "application/json",
        "Content-Length": data.length,
        "Idempotency-Key": key,
      },
    }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", (err) => {
      if (!retried && err.code === "ECONNRESET" && req.reusedSocket) resolve(post(url, token, body, key, true));
      else resolve({ status: 0, text: String(err) });
    });
    req.end(data);
  });
}
parentPort.on("message", async ({ id, baseUrl, token, perClient }) => {
  const latenciesMs = [];
  const statuses = {};
  const refusals = {};
  const errors = [];
  const t0 = performance.now();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = threadCpuMs();
  await Promise.all(perClient.map(async (requests) => {
    for (const r of requests) {
      const s = performance.now();
      const { status, text } = await post(baseUrl + r.path, token, r.body);
      latenciesMs.push(performance.now() - s);
      statuses[status] = (statuses[status] || 0) + 1;
      if (status === 409) {
        let code = "?";
        try { code = JSON.parse(text).error.code; } catch {}
        refusals[code] = (refusals[code] || 0) + 1;
      } else if ((status < 200 || status >= 300) && errors.length < 5) errors.push(status + " " + text.slice(0, 200));
    }
  }));
  const clientBusyMs = performance.eventLoopUtilization(elu0).active;
  const clientCpuMs = threadCpuMs() - cpu0;
  parentPort.postMessage({ id, latenciesMs, wallMs: performance.now() - t0, statuses, refusals, errors, clientBusyMs, clientCpuMs });
});
`;

/**
 * The HTTP clients run in a worker thread, as they would in another process: the server's event loop serves
 * requests and is not also busy generating them (on 2 cores the worker still competes for CPU, as a real client on
 * the same machine would). Each call runs `perClient.length` concurrent closed-loop clients.
 */
export class HttpLoad {
  private worker = new Worker(WORKER_SOURCE, { eval: true });
  private seq = 0;
  constructor(
    private baseUrl: string,
    private token: string,
  ) {}

  /**
   * `clientBusyMs`: how long the client thread's event loop was busy; `clientCpuMs`: the CPU that thread used (NaN
   * where /proc/thread-self is missing). The second is what to subtract from the process's CPU for the server's.
   */
  run(perClient: PreparedPost[][]): Promise<LoadResult & { refusals: Record<string, number>; clientBusyMs: number; clientCpuMs: number }> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const onMessage = (m: {
        id: number;
        latenciesMs: number[];
        wallMs: number;
        statuses: Record<string, number>;
        refusals: Record<string, number>;
        errors: string[];
        clientBusyMs: number;
        clientCpuMs: number;
      }) => {
        if (m.id !== id) return;
        this.worker.off("message", onMessage);
        this.worker.off("error", reject);
        resolve({ ...m, statuses: new Map(Object.entries(m.statuses).map(([k, v]) => [Number(k), v])) });
      };
      this.worker.on("message", onMessage);
      this.worker.once("error", reject);
      this.worker.postMessage({ id, baseUrl: this.baseUrl, token: this.token, perClient });
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

// ---- CPU accounting ---------------------------------------------------------------------------------------------

/**
 * CPU time (user + system, ms) the PostgreSQL server has used so far: the postmaster's own, what its children that
 * ended have used (the kernel adds a reaped child's time to its parent's cutime/cstime), and what each live backend has
 * used. Counting ended children is what keeps the figure right when backends come and go during a measurement (a
 * pool closing idle connections, pgbench's): summing only the processes alive at the start went negative then.
 * Assumes the usual 100 clock ticks per second.
 */
export async function postgresCpuMs(): Promise<number> {
  try {
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db());
    const stat = (pid: number) => fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    const postmaster = Number(stat(rows[0]!.pid)[1]);
    const p = stat(postmaster);
    let ticks = Number(p[11]) + Number(p[12]) + Number(p[13]) + Number(p[14]);
    for (const d of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const f = stat(Number(d));
        if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
      } catch {
        // The process ended meanwhile (its time is now in the postmaster's cutime/cstime).
      }
    }
    return ticks * 10;
  } catch {
    return 0;
  }
}

/** Runs `fn` and reports the CPU it cost this process (all threads) and the PostgreSQL server. */
export async function withCpu<T>(fn: () => Promise<T>): Promise<{ result: T; nodeCpuMs: number; pgCpuMs: number }> {
  const pg0 = await postgresCpuMs();
  const n0 = process.cpuUsage();
  const result = await fn();
  const n = process.cpuUsage(n0);
  return { result, nodeCpuMs: (n.user + n.system) / 1000, pgCpuMs: (await postgresCpuMs()) - pg0 };
}

export function mergeResults(rs: LoadResult[]): LoadResult {
  return {
    latenciesMs: rs.flatMap((r) => r.latenciesMs),
    wallMs: rs.reduce((s, r) => s + r.wallMs, 0),
    statuses: rs.reduce((m, r) => {
      for (const [k, v] of r.statuses) m.set(k, (m.get(k) ?? 0) + v);
      return m;
    }, new Map<number, number>()),
    errors: rs.flatMap((r) => r.errors),
  };
}

/** POST JSON with a bearer token and a fresh Idempotency-Key; returns the status and the parsed body. */
export async function postJson(baseUrl: string, token: string, path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}
