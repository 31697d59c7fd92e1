/**
 * CSV import with points awarded (issue 14, item 4: `import orders --award-points` ≥ 20× faster than earning the
 * orders one by one). In one run, on the same file into two merchants with the same earning rules:
 *  - before: batch by batch (5,000 rows), the import without points, then the batch's orders earned one by one through
 *    `earnRecordedOrder`, oldest first — what `writeRows` did until the set-based path;
 *  - after: `runOrderImport` with points, which earns each batch through `earnRecordedOrders`.
 * Both must end with the same points. Run through `npm run bench import-points` (`npm run bench import` runs it too,
 * after the 1M-row import). BENCH_IMPORT_POINTS_ROWS overrides the row count (default 10,000: the one-by-one side
 * takes about a minute on a loaded 2-core machine). The machine's load average is printed beside the figures.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { db, setTenant, withTenant } from "../../app/db.server";
import { earnRecordedOrder } from "../../app/domain/flows/purchase.server";
import { createImport, runOrderImport } from "../../app/domain/imports/import.server";
import { DEFAULT_EARNING_RULES, EarningRulesSchema } from "../../app/domain/points/rules";
import { newId } from "../../app/lib/ids";
import { statementStats } from "./statement-stats";

const ROWS = Number(process.env.BENCH_IMPORT_POINTS_ROWS ?? 10_000);
const CUSTOMERS = Math.max(1, Math.round(ROWS / 10));
const BATCH = 5000;
const ACTOR = { type: "system" as const, id: null };
// A first-order bonus and a daily cap, so the rules' per-member state is part of what is measured.
const RULES = EarningRulesSchema.parse({ ...DEFAULT_EARNING_RULES, bonuses: { ...DEFAULT_EARNING_RULES.bonuses, firstOrder: 50 }, caps: { perDay: 150, perMonth: null, lifetime: null } });

/** The file, and the same rows as one file per import batch (the one-by-one side imports and earns them in turn). */
function generate(file: string): string[] {
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const day0 = Date.UTC(2022, 0, 1);
  const lines = ["order_id,customer_id,email,name,date,amount"];
  for (let i = 1; i <= ROWS; i++) {
    const c = (i * 7919) % CUSTOMERS;
    const day = new Date(day0 + Math.floor(rand() * 1000) * 86_400_000).toISOString().slice(0, 10);
    const cents = 100 + Math.floor(rand() * 20_000);
    lines.push(`o${i},C${c},c${c}@example.com,Customer ${c},${day},${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`);
  }
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  const parts: string[] = [];
  for (let i = 1; i < lines.length; i += BATCH) {
    const part = `${file}.${parts.length}`;
    fs.writeFileSync(part, `${[lines[0], ...lines.slice(i, i + BATCH)].join("\n")}\n`);
    parts.push(part);
  }
  return parts;
}

async function merchant(name: string): Promise<string> {
  const id = newId("merchant");
  await db().insertInto("merchants").values({ id, slug: `bench-${id.slice(4, 14)}`, name, currency: "USD", timezone: "America/New_York" }).execute();
  await withTenant(db(), id, (trx) => trx.insertInto("earning_rules").values({ merchant_id: id, rules: JSON.stringify(RULES) }).execute());
  return id;
}

async function importFile(merchantId: string, file: string, awardPoints: boolean) {
  const importId = await withTenant(db(), merchantId, (trx) =>
    createImport(trx, merchantId, { filename: "bench.csv", awardPoints, totalBytes: fs.statSync(file).size, createdBy: null }),
  );
  const t0 = performance.now();
  const summary = await runOrderImport({ merchantId, importId, filePath: file, awardPoints, actor: ACTOR });
  if (summary.rowsFailed !== 0 || summary.rowsDuplicate !== 0) throw new Error(`import mismatch: ${JSON.stringify({ ...summary, errors: summary.errors.slice(0, 5) })}`);
  return { ms: performance.now() - t0, points: summary.pointsAwarded, rows: summary.rowsOk };
}

/**
 * Today's path: each import batch written, then its orders earned one by one (oldest first) before the next batch is
 * written — a batch's first orders are decided before the later batches' orders exist, as the import did.
 */
async function importOneByOne(merchantId: string, parts: string[]): Promise<{ importMs: number; earnMs: number; points: number }> {
  let importMs = 0;
  let earnMs = 0;
  let points = 0;
  let rows = 0;
  const done = new Set<string>();
  for (const part of parts) {
    const imported = await importFile(merchantId, part, false);
    importMs += imported.ms;
    rows += imported.rows;
    const t0 = performance.now();
    await withTenant(db(), merchantId, async (trx) => {
      const batch = (await trx.selectFrom("orders").selectAll().where("merchant_id", "=", merchantId).execute()).filter((o) => !done.has(o.id));
      for (const o of batch) done.add(o.id);
      batch.sort((a, b) => a.occurred_at.getTime() - b.occurred_at.getTime() || (a.id < b.id ? -1 : 1));
      for (const o of batch) points += await earnRecordedOrder(trx, merchantId, o, ACTOR);
    });
    earnMs += performance.now() - t0;
  }
  if (rows !== ROWS) throw new Error(`the parts held ${rows} rows, expected ${ROWS}`);
  return { importMs, earnMs, points };
}

/**
 * The ledger rows' own floor: the journals, entries, lots and balances the set-based import wrote, written again by
 * INSERT … SELECT into a third merchant that holds the same members and orders (ids are unique per merchant) — what
 * those rows cost in their tables (indexes, foreign keys, the commit-time balance check) with no rule, no parameter
 * and no round trip. The import with points cannot beat the import without points plus this.
 */
async function ledgerFloor(from: string): Promise<number> {
  const to = await merchant("Ledger floor");
  let t0 = 0;
  // One transaction: the source rows are read under the first merchant's tenancy (RLS) into temp tables, then written
  // under the second's; only the ledger rows and the commit (the deferred balance checks) are timed.
  await withTenant(db(), from, async (trx) => {
    for (const t of ["members", "orders", "member_balances", "ledger_journals", "ledger_entries", "point_lots"]) {
      await sql`create temp table ${sql.raw(`f_${t}`)} on commit drop as select * from ${sql.table(t)} where merchant_id = ${from}`.execute(trx);
    }
    await setTenant(trx, to);
    await sql`insert into members (merchant_id, id, email, external_id, name) select ${to}, id, email, external_id, name from f_members`.execute(trx);
    await sql`insert into orders (merchant_id, id, member_id, source, external_order_id, amount_minor, currency, occurred_at)
      select ${to}, id, member_id, source, external_order_id, amount_minor, currency, occurred_at from f_orders`.execute(trx);
    await sql`insert into member_balances (merchant_id, member_id) select ${to}, member_id from f_member_balances`.execute(trx);
    t0 = performance.now();
    await sql`insert into ledger_journals (merchant_id, id, kind, source, member_id, idempotency_key, order_id, reverses_journal_id,
        description, points, reason, note, metadata, actor_type, actor_id, effective_at, created_at)
      select ${to}, id, kind, source, member_id, idempotency_key, order_id, reverses_journal_id, description, points, reason, note,
        metadata, actor_type, actor_id, effective_at, created_at
      from f_ledger_journals order by seq`.execute(trx);
    await sql`insert into ledger_entries (merchant_id, journal_id, seq, account, member_id, lot_id, amount, created_at)
      select ${to}, journal_id, seq, account, member_id, lot_id, amount, created_at from f_ledger_entries`.execute(trx);
    await sql`insert into point_lots (merchant_id, id, member_id, journal_id, source, order_id, points, remaining, consumed,
        earned_at, pending_until, released_at, expires_at, created_at)
      select ${to}, id, member_id, journal_id, source, order_id, points, remaining, consumed, earned_at, pending_until, released_at,
        expires_at, created_at from f_point_lots`.execute(trx);
    await sql`update member_balances t set available = s.available, pending = s.pending, lifetime_earned = s.lifetime_earned,
        last_activity_at = s.last_activity_at, updated_at = s.updated_at
      from f_member_balances s where t.merchant_id = ${to} and t.member_id = s.member_id`.execute(trx);
  });
  const ms = performance.now() - t0;
  const count = (m: string) => withTenant(db(), m, (trx) => sql<{ n: string }>`select count(*) as n from ledger_entries where merchant_id = ${m}`.execute(trx));
  const [a, b] = [(await count(from)).rows[0]!.n, (await count(to)).rows[0]!.n];
  if (a !== b || a === "0") throw new Error(`the floor wrote ${b} entries, the import ${a}`);
  return ms;
}

export async function run(ownerUrl: string): Promise<void> {
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "perennial-import-points-bench-"));
  const file = path.join(dir, "orders.csv");
  try {
    const parts = generate(file);
    const before = await merchant("One by one");
    const after = await merchant("Set-based");
    const loadBefore = load();
    const oneByOne = await importOneByOne(before, parts);
    const plain = { ms: oneByOne.importMs };
    const loadMid = load();
    const stats = process.env.BENCH_PG_STAT_STATEMENTS === "1" ? await statementStats(ownerUrl, "the set-based import") : { print: async () => {} };
    const setBased = await importFile(after, file, true);
    await stats.print();
    if (setBased.rows !== ROWS) throw new Error(`imported ${setBased.rows} rows, expected ${ROWS}`);
    if (setBased.points !== oneByOne.points) throw new Error(`points differ: one by one ${oneByOne.points}, set-based ${setBased.points}`);
    const floorMs = await ledgerFloor(after);
    const beforeMs = plain.ms + oneByOne.earnMs;
    const s = (ms: number) => (ms / 1000).toFixed(2);
    const rate = (ms: number) => Math.round((ROWS * 1000) / ms).toLocaleString("en-US");
    const speedup = beforeMs / setBased.ms;
    // The earning alone: the set-based import's time less the same import without points.
    const earningAfterMs = Math.max(1, setBased.ms - plain.ms);
    console.log(`${ROWS.toLocaleString("en-US")} rows, ${CUSTOMERS.toLocaleString("en-US")} customers, ${oneByOne.points.toLocaleString("en-US")} points both ways`);
    console.log("| path | seconds | rows/s |");
    console.log("|---|---:|---:|");
    console.log(`| import without points (one file per batch) | ${s(plain.ms)} | ${rate(plain.ms)} |`);
    console.log(`| before: + earnRecordedOrder one by one | ${s(beforeMs)} (earning ${s(oneByOne.earnMs)}) | ${rate(beforeMs)} |`);
    console.log(`| after: runOrderImport --award-points (earnRecordedOrders) | ${s(setBased.ms)} (earning ≈ ${s(earningAfterMs)}) | ${rate(setBased.ms)} |`);
    console.log(`| floor: the same ledger rows by INSERT … SELECT (no rules, no parameters) | ${s(floorMs)} | – |`);
    const bound = beforeMs / (plain.ms + floorMs);
    console.log(`import with points ${speedup.toFixed(1)}× faster (target ≥ 20×: ${speedup >= 20 ? "met" : "NOT met"}); the earning alone ≈ ${(oneByOne.earnMs / earningAfterMs).toFixed(0)}×; at most ${bound.toFixed(1)}× if the earning cost only its rows' floor (import without points + floor)`);
    console.log(`load average ${loadBefore} before, ${loadMid} between, ${load()} after`);
    console.log(
      JSON.stringify({
        bench: "import-points",
        rows: ROWS,
        importMs: Math.round(plain.ms),
        beforeMs: Math.round(beforeMs),
        oneByOneEarningMs: Math.round(oneByOne.earnMs),
        afterMs: Math.round(setBased.ms),
        speedup: Number(speedup.toFixed(2)),
        earningSpeedup: Number((oneByOne.earnMs / earningAfterMs).toFixed(1)),
        ledgerFloorMs: Math.round(floorMs),
        boundAtFloor: Number(bound.toFixed(1)),
        loadavg: os.loadavg(),
      }),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
