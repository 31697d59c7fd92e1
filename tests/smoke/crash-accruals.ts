/**
 * L3 (reliability.md): kill the app (`kill -9`) and stop PostgreSQL immediately in the middle of 10,000 accruals,
 * restart, retry everything with the same Idempotency-Keys → nothing acknowledged is lost, nothing lands twice.
 *
 * Runs the real product (`app/bin/start.ts`) on its embedded PostgreSQL in a temporary DATA_DIR, as a user would.
 * Run by .ci/run: `npx tsx tests/smoke/crash-accruals.ts` (ACCRUALS=… to change the count).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort } from "../support/free-port";

const TOTAL = Number(process.env.ACCRUALS ?? 10_000);
const CONCURRENCY = 16;
const CRASH_AFTER = Math.floor(TOTAL * 0.3);

interface Ack {
  status: number;
  body: string;
}

function start(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "app/bin/start.ts"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 240_000;
    const timer = setInterval(() => {
      if (out.includes("Perennial is running")) {
        clearInterval(timer);
        resolve({ child, output: () => out });
      } else if (Date.now() > deadline || child.exitCode !== null) {
        clearInterval(timer);
        child.kill("SIGKILL");
        reject(new Error(`server did not start:\n${out}`));
      }
    }, 200);
  });
}

function cli(env: NodeJS.ProcessEnv, args: string[]): string {
  const r = spawnSync(process.execPath, ["--import", "tsx", "app/bin/cli.ts", ...args], { env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`cli ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const orderBody = (i: number) =>
  JSON.stringify({
    order_id: `crash-${i}`,
    member: { external_id: `cust-${i % 500}`, email: `cust-${i % 500}@crash.test` },
    amount_minor: 1000 + (i % 97) * 13,
    currency: "USD",
    occurred_at: new Date(Date.UTC(2026, 9, 1) + i * 60_000).toISOString(),
  });

async function post(base: string, token: string, i: number): Promise<Ack> {
  const res = await fetch(`${base}/api/v1/orders`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "Idempotency-Key": `crash-order-${i}` },
    body: orderBody(i),
  });
  return { status: res.status, body: await res.text() };
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "perennial-crash-"));
  fs.chmodSync(tmp, 0o755);
  const dataDir = path.join(tmp, "data");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: "",
    PORT: String(await freePort()),
    EMBEDDED_PG_PORT: String(await freePort()),
    DATA_DIR: dataDir,
    SEED_DEMO: "false",
    NODE_ENV: "production",
  };
  delete env.DATABASE_URL;
  const base = `http://127.0.0.1:${env.PORT}`;
  try {
    cli(env, ["merchant", "create", "--slug", "crash", "--name", "Crash Test", "--currency", "USD", "--owner-email", "owner@crash.test", "--owner-name", "Crash Owner", "--owner-password", "crash-test-password"]);
    const token = cli(env, ["apikey", "create", "--merchant", "crash", "--scopes", "orders:write,points:read"]).trim().split("\n").at(-1)!.trim();

    // Phase 1: accruals in flight, then the crash.
    let app = await start(env);
    const acknowledged = new Map<number, Ack>();
    let next = 0;
    let crashed = false;
    const crash = () => {
      if (crashed) return;
      crashed = true;
      app.child.kill("SIGKILL");
      // The postmaster's pid is the first line of postmaster.pid; SIGQUIT is PostgreSQL's immediate shutdown
      // (no checkpoint, crash recovery on the next start).
      const pidFile = path.join(dataDir, "pg", "postmaster.pid");
      const candidates = fs.existsSync(pidFile) ? [pidFile] : findFiles(dataDir, "postmaster.pid");
      for (const f of candidates) process.kill(Number(fs.readFileSync(f, "utf8").split("\n")[0]), "SIGQUIT");
      console.log(`[crash] killed the app and stopped PostgreSQL immediately after ${acknowledged.size} acknowledged accruals`);
    };
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (!crashed && next < TOTAL) {
          const i = next++;
          try {
            const ack = await post(base, token, i);
            if (ack.status === 201 || ack.status === 200) acknowledged.set(i, ack);
            else if (ack.status < 500) throw new Error(`accrual ${i} → ${ack.status} ${ack.body}`);
          } catch (err) {
            if (!crashed) throw err;
          }
          if (acknowledged.size >= CRASH_AFTER) crash();
        }
      }),
    );
    if (!crashed) throw new Error("the run finished before the crash point");
    await new Promise((r) => setTimeout(r, 1000));

    // Phase 2: restart (crash recovery) and retry every accrual with the same keys.
    app = await start(env);
    let replayedSame = 0;
    let cursor = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (cursor < TOTAL) {
          const i = cursor++;
          const res = await post(base, token, i);
          if (res.status !== 201 && res.status !== 200) throw new Error(`retry ${i} → ${res.status} ${res.body}`);
          const before = acknowledged.get(i);
          if (before) {
            if (res.body !== before.body) throw new Error(`accrual ${i} was acknowledged as ${before.body} but now answers ${res.body}`);
            replayedSame++;
          }
        }
      }),
    );
    app.child.kill("SIGINT");
    await new Promise((r) => app.child.once("exit", r));

    // Phase 3: the database itself, through the owner connection.
    const pgApp = await start(env);
    const client = new pg.Client({ connectionString: `postgres://postgres:perennial-local@127.0.0.1:${env.EMBEDDED_PG_PORT}/perennial` });
    await client.connect();
    try {
      const q = async (text: string) => (await client.query(text)).rows[0];
      const orders = await q("select count(*)::int as n, count(distinct external_order_id)::int as d from orders");
      const earns = await q("select count(*)::int as n, count(distinct order_id)::int as d from ledger_journals where kind = 'earn' and source = 'order'");
      const sums = await q(`select
          (select coalesce(sum(available + pending), 0) from member_balances)::bigint as cached,
          (select coalesce(sum(amount), 0) from ledger_entries where account in ('member_available','member_pending'))::bigint as entries,
          (select coalesce(-sum(amount), 0) from ledger_entries where account = 'merchant_issued')::bigint as issued`);
      const unbalanced = await q("select count(*)::int as n from (select journal_id from ledger_entries group by merchant_id, journal_id having sum(amount) <> 0) x");
      console.log(`[crash] orders ${orders.n} (distinct ${orders.d}), order earn journals ${earns.n} (distinct orders ${earns.d}), points cached ${sums.cached} = entries ${sums.entries} = issued ${sums.issued}`);
      if (orders.n !== TOTAL || orders.d !== TOTAL) throw new Error(`expected ${TOTAL} orders exactly once each`);
      if (earns.n !== TOTAL || earns.d !== TOTAL) throw new Error(`expected one earn journal per order`);
      if (sums.cached !== sums.entries || sums.entries !== sums.issued) throw new Error("cached balances disagree with the ledger");
      if (unbalanced.n !== 0) throw new Error(`${unbalanced.n} unbalanced journals`);
    } finally {
      await client.end();
      pgApp.child.kill("SIGINT");
      await new Promise((r) => pgApp.child.once("exit", r));
    }
    const recon = cli(env, ["ledger", "reconcile", "--merchant", "crash"]);
    if (!recon.includes("balanced")) throw new Error(`reconcile: ${recon}`);
    console.log(`[crash] OK: ${acknowledged.size} acknowledged before the crash, all ${replayedSame} replayed identically; ${TOTAL} orders, each earned once`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function findFiles(dir: string, name: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findFiles(p, name));
    else if (e.name === name) out.push(p);
  }
  return out;
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
