/**
 * CSV import of 1,000,000 orders (100,000 customers, created on the way) through runOrderImport — the CLI's and the
 * job's code path — against the `orders` table's own floor, measured in the same run: PostgreSQL's `COPY … FROM
 * STDIN` of exactly the rows the import writes (the members, then the orders, with ids from the same generator) into
 * the same `members` and `orders` tables — same indexes, constraints, foreign keys and row triggers (member_stats,
 * experiment facts), Row Level Security enabled. COPY runs as the owner: PostgreSQL refuses `COPY FROM` into a table
 * whose RLS applies to the caller, so the floor skips only the policy's per-row check, which the import (as
 * perennial_app) pays. Both start from empty tables after a CHECKPOINT. Target: import rows/s ≥ 0.5 × COPY rows/s.
 * Also printed: COPY of the file into a bare temp table (the parsing floor, for scale), a re-import of the same file
 * (every row a duplicate), the peak RSS of this process during the import, and the load average beside each figure.
 * Run through `npm run bench import` (tests/bench/run.ts hands us a migrated database); BENCH_IMPORT_ROWS overrides
 * the row count (the default million takes ≈ 3–4 minutes on a quiet 2-core machine, far longer on a loaded one).
 */
import fs from "node:fs";
import { once } from "node:events";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { db, withTenant } from "../../app/db.server";
import { createImport, runOrderImport, type ImportSummary } from "../../app/domain/imports/import.server";
import { newId } from "../../app/lib/ids";

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 1_000_000);
const CUSTOMERS = Math.max(1, Math.round(ROWS / 10));

interface Files {
  csv: string;
  /** COPY input for the floor: the members and orders the import writes, for the floor's own merchant. */
  members: string;
  orders: string;
}

/** A write stream that is given chunks of ~64 KB and waits for them to drain: never more than a chunk in memory. */
function chunkedWriter(file: string) {
  const out = fs.createWriteStream(file);
  let chunk = "";
  return {
    async add(line: string) {
      chunk += line;
      if (chunk.length > 1 << 16) {
        if (!out.write(chunk)) await once(out, "drain");
        chunk = "";
      }
    },
    async end() {
      out.end(chunk);
      await once(out, "finish");
    },
  };
}

/** The CSV file, and the same rows as COPY input: members (first appearance of each customer) and orders. */
async function generate(dir: string, floorMerchantId: string): Promise<Files> {
  const files: Files = { csv: path.join(dir, "orders.csv"), members: path.join(dir, "floor-members.csv"), orders: path.join(dir, "floor-orders.csv") };
  const csv = chunkedWriter(files.csv);
  const members = chunkedWriter(files.members);
  const orders = chunkedWriter(files.orders);
  await csv.add("order_id,customer_id,email,name,date,amount\n");
  const memberIds = new Array<string | undefined>(CUSTOMERS);
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const day0 = Date.UTC(2020, 0, 1);
  for (let i = 1; i <= ROWS; i++) {
    const c = (i * 7919) % CUSTOMERS;
    const day = new Date(day0 + Math.floor(rand() * 1800) * 86_400_000).toISOString().slice(0, 10);
    const cents = 100 + Math.floor(rand() * 20_000);
    await csv.add(`o${i},C${c},c${c}@example.com,"Customer ${c}, Jr.",${day},${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}\n`);
    let memberId = memberIds[c];
    if (!memberId) {
      memberId = memberIds[c] = newId("member");
      await members.add(`${floorMerchantId},${memberId},c${c}@example.com,C${c},"Customer ${c}, Jr."\n`);
    }
    // The merchant's time zone is UTC: a date is its midnight UTC, as the import reads it.
    await orders.add(`${floorMerchantId},${newId("order")},${memberId},import,o${i},${cents},USD,${day}T00:00:00Z\n`);
  }
  await Promise.all([csv.end(), members.end(), orders.end()]);
  return files;
}

async function copyFile(client: pg.Client, file: string, statement: string): Promise<void> {
  await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 18 }), client.query(copyFrom(statement)));
}

/** The file into a bare temp table: what parsing the CSV costs PostgreSQL, for scale. */
async function copyBare(ownerUrl: string, file: string): Promise<number> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query("create temp table bench_copy_bare (order_id text, customer_id text, email text, name text, occurred_at date, amount numeric(14,2))");
    const t0 = performance.now();
    await copyFile(client, file, "copy bench_copy_bare from stdin with (format csv, header true)");
    const ms = performance.now() - t0;
    const n = Number((await client.query("select count(*) from bench_copy_bare")).rows[0].count);
    if (n !== ROWS) throw new Error(`COPY loaded ${n} rows, expected ${ROWS}`);
    return ms;
  } finally {
    await client.end();
  }
}

/** The floor: COPY of the import's members and orders into the real tables, as the owner, each its own transaction. */
async function copyFloor(ownerUrl: string, merchantId: string, files: Files): Promise<{ membersMs: number; ordersMs: number }> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query("checkpoint");
    let t0 = performance.now();
    await copyFile(client, files.members, "copy members (merchant_id, id, email, external_id, name) from stdin with (format csv)");
    const membersMs = performance.now() - t0;
    t0 = performance.now();
    await copyFile(client, files.orders, "copy orders (merchant_id, id, member_id, source, external_order_id, amount_minor, currency, occurred_at) from stdin with (format csv)");
    const ordersMs = performance.now() - t0;
    const check = await client.query<{ members: string; orders: string; stats: string }>(
      `select (select count(*) from members where merchant_id = $1) as members, (select count(*) from orders where merchant_id = $1) as orders,
              (select coalesce(sum(order_count), 0) from member_stats where merchant_id = $1) as stats`,
      [merchantId],
    );
    const r = check.rows[0]!;
    // The row triggers ran for every COPY row (member_stats counts each order once).
    if (Number(r.members) !== CUSTOMERS || Number(r.orders) !== ROWS || Number(r.stats) !== ROWS) throw new Error(`COPY floor mismatch: ${JSON.stringify(r)}`);
    return { membersMs, ordersMs };
  } finally {
    await client.end();
  }
}

/** Empty members and orders (and what hangs off them) again, so the import starts where the floor started. */
async function emptyTables(ownerUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    // Replica role for this statement: the ledger's tables (empty here) refuse TRUNCATE by a trigger.
    await client.query("set session_replication_role = replica");
    await client.query("truncate members, orders cascade");
    await client.query("reset session_replication_role");
    await client.query("checkpoint");
  } finally {
    await client.end();
  }
}

async function timedImport(merchantId: string, file: string): Promise<{ ms: number; peakRss: number; summary: ImportSummary }> {
  global.gc?.();
  const importId = await withTenant(db(), merchantId, (trx) =>
    createImport(trx, merchantId, { filename: "bench.csv", awardPoints: false, totalBytes: fs.statSync(file).size, createdBy: null }),
  );
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const t0 = performance.now();
  try {
    const summary = await runOrderImport({ merchantId, importId, filePath: file, awardPoints: false, actor: { type: "system", id: null } });
    return { ms: performance.now() - t0, peakRss: Math.max(peakRss, process.memoryUsage().rss), summary };
  } finally {
    clearInterval(sampler);
  }
}

const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");

export async function run(ownerUrl: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "perennial-import-bench-"));
  try {
    const merchant = async (name: string) => {
      const id = newId("merchant");
      await db().insertInto("merchants").values({ id, slug: `bench-${id.slice(4, 14)}`, name, currency: "USD", timezone: "UTC" }).execute();
      return id;
    };
    const floorMerchantId = await merchant("Import Bench (COPY floor)");
    const merchantId = await merchant("Import Bench");

    let t = performance.now();
    const files = await generate(dir, floorMerchantId);
    const bytes = fs.statSync(files.csv).size;
    console.log(`generated ${ROWS.toLocaleString("en-US")} rows (${CUSTOMERS.toLocaleString("en-US")} customers, ${(bytes / 1e6).toFixed(1)} MB) and the floor's COPY input in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const bareMs = await copyBare(ownerUrl, files.csv);
    const bareLoad = loadAverage();
    const floor = await copyFloor(ownerUrl, floorMerchantId, files);
    const floorMs = floor.membersMs + floor.ordersMs;
    const floorLoad = loadAverage();
    console.log(`COPY floor: members ${(floor.membersMs / 1000).toFixed(2)} s + orders ${(floor.ordersMs / 1000).toFixed(2)} s (load average ${floorLoad}); bare COPY ${(bareMs / 1000).toFixed(2)} s`);
    await emptyTables(ownerUrl);

    const rssBefore = process.memoryUsage().rss;
    const first = await timedImport(merchantId, files.csv);
    const importLoad = loadAverage();
    if (first.summary.rowsOk !== ROWS || first.summary.rowsFailed !== 0 || first.summary.membersCreated !== CUSTOMERS) {
      throw new Error(`import mismatch: ${JSON.stringify({ ...first.summary, errors: first.summary.errors.slice(0, 5) })}`);
    }
    t = performance.now();
    const again = await timedImport(merchantId, files.csv);
    const againLoad = loadAverage();
    if (again.summary.rowsDuplicate !== ROWS || again.summary.rowsOk !== 0) throw new Error("re-import inserted rows");

    const rate = (ms: number) => Math.round((ROWS * 1000) / ms);
    const secs = (ms: number) => Number((ms / 1000).toFixed(2));
    const mb = (b: number) => Math.round(b / 1024 / 1024);
    const ratio = Number((floorMs / first.ms).toFixed(3));
    const results = {
      rows: ROWS,
      customers: CUSTOMERS,
      fileMB: Number((bytes / 1e6).toFixed(1)),
      copyBareTemp: { seconds: secs(bareMs), rowsPerSecond: rate(bareMs), loadavg: bareLoad },
      copyFloor: { seconds: secs(floorMs), rowsPerSecond: rate(floorMs), membersSeconds: secs(floor.membersMs), ordersSeconds: secs(floor.ordersMs), loadavg: floorLoad },
      import: { seconds: secs(first.ms), rowsPerSecond: rate(first.ms), peakRssMB: mb(first.peakRss), rssBeforeMB: mb(rssBefore), loadavg: importLoad },
      reimport: { seconds: secs(again.ms), rowsPerSecond: rate(again.ms), peakRssMB: mb(again.peakRss), loadavg: againLoad },
      ratioVsCopyFloor: ratio,
      target: 0.5,
    };
    const row = (label: string, ms: number, vsFloor: string, load: string) =>
      console.log(`| ${label} | ${secs(ms)} | ${rate(ms).toLocaleString("en-US")} | ${vsFloor} | ${load} |`);
    console.log("| path (rows/s counts the file's order rows) | seconds | rows/s | × COPY floor | load average (1/5/15 min) |");
    console.log("|---|---:|---:|---:|---|");
    row("COPY of the file into a bare temp table (parsing only, for scale)", bareMs, (floorMs / bareMs).toFixed(2), bareLoad);
    row(`COPY floor: members (${secs(floor.membersMs)} s) + orders (${secs(floor.ordersMs)} s) into the real tables`, floorMs, "1.00", floorLoad);
    row("runOrderImport (members + orders, batches of 5,000, as perennial_app under RLS)", first.ms, ratio.toFixed(2), importLoad);
    row("re-import of the same file (all duplicates)", again.ms, (floorMs / again.ms).toFixed(2), againLoad);
    console.log(`peak RSS of this process during the import: ${results.import.peakRssMB} MB (${results.import.rssBeforeMB} MB before it); target ratio ≥ ${results.target}: ${ratio >= results.target ? "met" : "NOT met"}`);
    console.log(JSON.stringify({ bench: "csv-import", ...results }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
