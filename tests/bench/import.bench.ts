/**
 * CSV import of 1,000,000 orders (100,000 customers, created on the way) through runOrderImport — the CLI's and the
 * job's code path — against PostgreSQL's own `COPY … FROM STDIN` of the same file into a bare table (no index, no
 * constraint), measured in the same run. Target: import rows/s ≥ 0.3 × COPY rows/s. Also reports the peak RSS of
 * this process during the import and a re-import of the same file (every row a duplicate).
 * Run through `npm run bench import` (tests/bench/run.ts hands us a migrated database). BENCH_IMPORT_ROWS overrides
 * the row count; BENCH_IMPORT_FLOOR=1 adds the cheapest SQL that loads the same members and orders into the real
 * tables (COPY into a staging table, then one INSERT … SELECT each, as the owner, no RLS) — the floor any importer
 * into `orders` (5 indexes, 2 foreign keys) stands on.
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

/** Writes the file with backpressure: never more than a chunk of it in memory. */
async function generate(file: string): Promise<number> {
  const out = fs.createWriteStream(file);
  out.write("order_id,customer_id,email,name,date,amount\n");
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const day0 = Date.UTC(2020, 0, 1);
  let chunk = "";
  for (let i = 1; i <= ROWS; i++) {
    const c = (i * 7919) % CUSTOMERS;
    const day = new Date(day0 + Math.floor(rand() * 1800) * 86_400_000).toISOString().slice(0, 10);
    const cents = 100 + Math.floor(rand() * 20_000);
    chunk += `o${i},C${c},c${c}@example.com,"Customer ${c}, Jr.",${day},${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, "drain");
      chunk = "";
    }
  }
  out.end(chunk);
  await once(out, "finish");
  return fs.statSync(file).size;
}

async function copyInto(ownerUrl: string, file: string, table: string, temp: boolean): Promise<number> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query(`create ${temp ? "temp" : ""} table ${table} (order_id text, customer_id text, email text, name text, occurred_at date, amount numeric(14,2))`);
    const t0 = performance.now();
    await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 18 }), client.query(copyFrom(`copy ${table} from stdin with (format csv, header true)`)));
    const ms = performance.now() - t0;
    const n = Number((await client.query(`select count(*) from ${table}`)).rows[0].count);
    if (n !== ROWS) throw new Error(`COPY loaded ${n} rows, expected ${ROWS}`);
    if (!temp) await client.query(`drop table ${table}`);
    return ms;
  } finally {
    await client.end();
  }
}

/** The SQL floor: the same file into the real members and orders tables of another merchant, set-based. */
async function sqlFloor(ownerUrl: string, file: string): Promise<{ copyMs: number; membersMs: number; ordersMs: number }> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const merchantId = newId("merchant");
    await client.query("insert into merchants (id, slug, name, currency, timezone) values ($1, $2, 'Floor', 'USD', 'UTC')", [merchantId, `floor-${merchantId.slice(4, 14)}`]);
    await client.query("create temp table stage (order_id text, customer_id text, email text, name text, occurred_at date, amount numeric(14,2))");
    let t0 = performance.now();
    await pipeline(fs.createReadStream(file, { highWaterMark: 1 << 18 }), client.query(copyFrom("copy stage from stdin with (format csv, header true)")));
    const copyMs = performance.now() - t0;
    t0 = performance.now();
    await client.query(
      `insert into members (merchant_id, id, email, external_id, name)
       select distinct on (customer_id) $1, 'mbr_' || substr(md5(customer_id), 1, 26), email, customer_id, name from stage order by customer_id`,
      [merchantId],
    );
    const membersMs = performance.now() - t0;
    t0 = performance.now();
    await client.query(
      `insert into orders (merchant_id, id, member_id, source, external_order_id, amount_minor, currency, occurred_at)
       select $1, 'ord_' || substr(md5(s.order_id), 1, 26), 'mbr_' || substr(md5(s.customer_id), 1, 26), 'import', s.order_id, (s.amount * 100)::int8, 'USD', s.occurred_at
       from stage s
       on conflict (merchant_id, source, external_order_id) do nothing`,
      [merchantId],
    );
    return { copyMs, membersMs, ordersMs: performance.now() - t0 };
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

export async function run(ownerUrl: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "perennial-import-bench-"));
  const file = path.join(dir, "orders.csv");
  try {
    let t = performance.now();
    const bytes = await generate(file);
    console.log(`generated ${ROWS.toLocaleString("en-US")} rows (${CUSTOMERS.toLocaleString("en-US")} customers, ${(bytes / 1e6).toFixed(1)} MB) in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const merchantId = newId("merchant");
    await db().insertInto("merchants").values({ id: merchantId, slug: `bench-${merchantId.slice(4, 14)}`, name: "Import Bench", currency: "USD", timezone: "UTC" }).execute();

    const copyTempMs = await copyInto(ownerUrl, file, "bench_copy_temp", true);
    const copyTableMs = await copyInto(ownerUrl, file, "bench_copy_plain", false);
    const rssBefore = process.memoryUsage().rss;
    const first = await timedImport(merchantId, file);
    if (first.summary.rowsOk !== ROWS || first.summary.rowsFailed !== 0 || first.summary.membersCreated !== CUSTOMERS) {
      throw new Error(`import mismatch: ${JSON.stringify({ ...first.summary, errors: first.summary.errors.slice(0, 5) })}`);
    }
    t = performance.now();
    const again = await timedImport(merchantId, file);
    if (again.summary.rowsDuplicate !== ROWS || again.summary.rowsOk !== 0) throw new Error("re-import inserted rows");

    // After our import, so the floor's orders go into a table that already holds a million (a conservative floor).
    const floor = process.env.BENCH_IMPORT_FLOOR === "1" ? await sqlFloor(ownerUrl, file) : null;
    const floorMs = floor ? floor.copyMs + floor.membersMs + floor.ordersMs : null;

    const rate = (ms: number) => Math.round((ROWS * 1000) / ms);
    const mb = (b: number) => Math.round(b / 1024 / 1024);
    const results = {
      rows: ROWS,
      customers: CUSTOMERS,
      fileMB: Number((bytes / 1e6).toFixed(1)),
      copyTempTable: { seconds: Number((copyTempMs / 1000).toFixed(2)), rowsPerSecond: rate(copyTempMs) },
      copyPlainTable: { seconds: Number((copyTableMs / 1000).toFixed(2)), rowsPerSecond: rate(copyTableMs) },
      import: { seconds: Number((first.ms / 1000).toFixed(2)), rowsPerSecond: rate(first.ms), peakRssMB: mb(first.peakRss), rssBeforeMB: mb(rssBefore) },
      reimport: { seconds: Number((again.ms / 1000).toFixed(2)), rowsPerSecond: rate(again.ms), peakRssMB: mb(again.peakRss) },
      sqlFloor: floor && floorMs ? { seconds: Number((floorMs / 1000).toFixed(2)), rowsPerSecond: rate(floorMs), copySeconds: Number((floor.copyMs / 1000).toFixed(2)), membersSeconds: Number((floor.membersMs / 1000).toFixed(2)), ordersSeconds: Number((floor.ordersMs / 1000).toFixed(2)) } : null,
      ratioVsSqlFloor: floorMs ? Number((floorMs / first.ms).toFixed(3)) : null,
      ratioVsCopyTemp: Number((copyTempMs / first.ms).toFixed(3)),
      ratioVsCopyPlain: Number((copyTableMs / first.ms).toFixed(3)),
      target: 0.3,
    };
    console.log("| path | seconds | rows/s | × COPY (temp table) |");
    console.log("|---|---:|---:|---:|");
    console.log(`| COPY FROM STDIN into a bare temp table | ${results.copyTempTable.seconds} | ${results.copyTempTable.rowsPerSecond.toLocaleString("en-US")} | 1.00 |`);
    console.log(`| COPY FROM STDIN into a bare logged table | ${results.copyPlainTable.seconds} | ${results.copyPlainTable.rowsPerSecond.toLocaleString("en-US")} | ${(copyTempMs / copyTableMs).toFixed(2)} |`);
    console.log(`| runOrderImport (members + orders, batches of 5,000) | ${results.import.seconds} | ${results.import.rowsPerSecond.toLocaleString("en-US")} | ${results.ratioVsCopyTemp.toFixed(2)} |`);
    console.log(`| re-import of the same file (all duplicates) | ${results.reimport.seconds} | ${results.reimport.rowsPerSecond.toLocaleString("en-US")} | ${(copyTempMs / again.ms).toFixed(2)} |`);
    if (floor && floorMs) {
      console.log(`| SQL floor: COPY to staging + INSERT … SELECT members + orders (owner, no RLS) | ${(floorMs / 1000).toFixed(2)} | ${rate(floorMs).toLocaleString("en-US")} | ${(copyTempMs / floorMs).toFixed(2)} |`);
      console.log(`  of which the orders INSERT … SELECT: ${(floor.ordersMs / 1000).toFixed(2)} s; runOrderImport reaches ${results.ratioVsSqlFloor} of the floor`);
    }
    console.log(`peak RSS of this process during the import: ${results.import.peakRssMB} MB (${results.import.rssBeforeMB} MB before it); target ratio ≥ ${results.target}: ${results.ratioVsCopyTemp >= results.target ? "met" : "NOT met"}`);
    console.log(JSON.stringify({ bench: "csv-import", ...results }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
