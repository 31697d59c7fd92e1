/**
 * CLTV model fit (issue 6): BG/NBD + Gamma-Gamma by maximum likelihood on
 *  - 100,000 synthetic customers (seeded, BG/NBD-generated, day-level purchase dates, time unit week), and
 *  - the 23,570 customers of CDNOW_master.txt (tests/fixtures/cltv, calibration through 1997-09-30),
 * then scoring every customer (12/24/36-month CLTV). Baseline, measured in the same run: building the per-customer
 * summaries from the transactions (one pass over the data). Printed: seconds, customers/s and the ratio fit ÷ baseline.
 * Last, the whole nightly path against PostgreSQL for the 100,000 synthetic members (read orders, fit, score, write).
 */
import { sql } from "kysely";
import pg from "pg";
import { db, withTenant } from "../../app/db.server";
import { fitBgNbd } from "../../app/domain/cltv/bgnbd";
import { fitGammaGamma } from "../../app/domain/cltv/gamma-gamma";
import { scoreMembers } from "../../app/domain/cltv/score";
import { fitAndScoreMerchant } from "../../app/domain/cltv/score.server";
import { buildSummary, compress, type Transaction } from "../../app/domain/cltv/summary";
import { newId } from "../../app/lib/ids";
import { cdnowMasterTransactions } from "../support/cdnow-rows";
import { DEFAULT_TRUTH, syntheticCustomers } from "../support/cltv-synthetic";


function timed<T>(fn: () => T): { value: T; seconds: number } {
  const started = performance.now();
  const value = fn();
  return { value, seconds: (performance.now() - started) / 1000 };
}

function benchFit(label: string, transactions: Transaction[], calibrationEnd: string) {
  const base = timed(() => buildSummary(transactions, { calibrationEnd, timeUnit: "week" }));
  const summaries = base.value;
  const n = summaries.length;
  const fit = timed(() => {
    const rows = compress(summaries);
    const bg = fitBgNbd(rows);
    const spend = compress(summaries.filter((s) => s.x > 0 && s.zbar > 0).map((s) => ({ x: s.x, tx: s.zbar, T: 0 }))).map((r) => ({ x: r.x, m: r.tx, weight: r.weight }));
    const gg = fitGammaGamma(spend);
    return { rows: rows.length, bg, gg };
  });
  const score = timed(() =>
    scoreMembers(
      summaries.map((s) => ({ memberId: s.customerId, x: s.x, tx: s.tx, T: s.T, zbar: s.zbar, spend: s.spend })),
      { bgnbd: fit.value.bg, gammaGamma: fit.value.gg, timeUnit: "week", meanSpend: 0, grossMargin: 0.4, annualDiscountRate: 0.1, minorScale: 100 },
    ),
  );
  const { bg, gg, rows } = fit.value;
  console.log(`${label}: ${n} customers, ${rows} unique (x, t_x, T) rows, ${transactions.length} transactions`);
  console.log(`  bgnbd: r ${bg.r.toFixed(4)}, alpha ${bg.alpha.toFixed(4)}, a ${bg.a.toFixed(4)}, b ${bg.b.toFixed(4)}, LL ${bg.logLikelihood.toFixed(2)}, ${bg.evaluations} evaluations, converged ${bg.converged}`);
  console.log(`  gammaGamma: p ${gg.p.toFixed(4)}, q ${gg.q.toFixed(4)}, gamma ${gg.gamma.toFixed(4)}, LL ${gg.logLikelihood.toFixed(2)} on ${gg.customers} repeat customers`);
  console.log(`  baseline (build summaries): ${base.seconds.toFixed(3)} s, ${Math.round(n / base.seconds)} customers/s`);
  console.log(`  fit (compress + BG/NBD + Gamma-Gamma): ${fit.seconds.toFixed(3)} s, ${Math.round(n / fit.seconds)} customers/s, ratio to baseline ${(fit.seconds / base.seconds).toFixed(2)}`);
  console.log(`  score (12/24/36-month CLTV, percentiles): ${score.seconds.toFixed(3)} s, ${Math.round(n / score.seconds)} customers/s, ratio to baseline ${(score.seconds / base.seconds).toFixed(2)}`);
}

function cdnowMaster(): Transaction[] {
  return cdnowMasterTransactions();
}

/** The nightly path for 100,000 members in PostgreSQL: orders → fit → score → member_stats, in one tenant transaction. */
async function benchDatabase(ownerUrl: string, transactions: Transaction[]) {
  const merchantId = newId("merchant");
  await db().insertInto("merchants").values({ id: merchantId, slug: `cltv-bench-${Date.now()}`, name: "CLTV bench", currency: "USD", timezone: "UTC" }).execute();
  const memberIds = new Map<string, string>();
  for (const t of transactions) if (!memberIds.has(t.customerId)) memberIds.set(t.customerId, newId("member"));
  const started = performance.now();
  // Loaded as the owner with triggers off (session_replication_role): the per-order member_stats trigger would make
  // loading take minutes, and it is not what is measured here. The members' stats rows are created up front instead.
  const owner = new pg.Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    await owner.query("set session_replication_role = replica");
    const ids = [...memberIds.values()];
    for (let i = 0; i < ids.length; i += 20_000) {
      const batch = ids.slice(i, i + 20_000);
      await owner.query("insert into members (merchant_id, id, email) select $1, id, id || '@bench.example' from unnest($2::text[]) as id", [merchantId, batch]);
      await owner.query("insert into member_stats (merchant_id, member_id) select $1, id from unnest($2::text[]) as id", [merchantId, batch]);
    }
    for (let i = 0; i < transactions.length; i += 20_000) {
      const batch = transactions.slice(i, i + 20_000);
      await owner.query(
        `insert into orders (merchant_id, id, member_id, source, external_order_id, amount_minor, currency, occurred_at)
         select $1, 'ord_bench' || ($2::int + o.n), o.member_id, 'import', 'bench-' || ($2::int + o.n), o.amount, 'USD', (o.day::date + time '12:00') at time zone 'UTC'
         from unnest($3::text[], $4::int8[], $5::text[]) with ordinality as o(member_id, amount, day, n)`,
        [merchantId, i, batch.map((t) => memberIds.get(t.customerId)!), batch.map((t) => Math.round(t.amount * 100)), batch.map((t) => t.date)],
      );
    }
    await owner.query("analyze orders; analyze member_stats");
  } finally {
    await owner.end();
  }
  const loadSeconds = (performance.now() - started) / 1000;
  const scan = await timedAsync(() => withTenant(db(), merchantId, (trx) => sql`select member_id, sum(amount_minor) from orders where merchant_id = ${merchantId} group by member_id`.execute(trx)));
  const run = await timedAsync(() => withTenant(db(), merchantId, (trx) => fitAndScoreMerchant(trx, merchantId, { runKey: "bench" })));
  const n = run.value.scoredMembers;
  const model = await withTenant(db(), merchantId, (trx) => trx.selectFrom("cltv_models").select("diagnostics").where("merchant_id", "=", merchantId).executeTakeFirstOrThrow());
  const d = model.diagnostics as { fitMs: number; scoreMs: number; writeMs: number };
  console.log(`database: ${memberIds.size} members, ${transactions.length} orders loaded in ${loadSeconds.toFixed(1)} s`);
  console.log(`  baseline (aggregate scan of the orders by member): ${scan.seconds.toFixed(3)} s`);
  console.log(`  fitAndScoreMerchant: ${run.seconds.toFixed(2)} s, ${Math.round(n / run.seconds)} members/s, ratio to baseline ${(run.seconds / scan.seconds).toFixed(1)}`);
  console.log(`    read orders + fit ${(d.fitMs / 1000).toFixed(2)} s, score ${(d.scoreMs / 1000).toFixed(2)} s, write member_stats ${(d.writeMs / 1000).toFixed(2)} s, validation fit the rest`);
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - started) / 1000 };
}

export async function run(ownerUrl: string): Promise<void> {
  const synthetic = syntheticCustomers(100_000, 20261122);
  console.log(`truth: r ${DEFAULT_TRUTH.r}, alpha ${DEFAULT_TRUTH.alpha}, a ${DEFAULT_TRUTH.a}, b ${DEFAULT_TRUTH.b}; p ${DEFAULT_TRUTH.p}, q ${DEFAULT_TRUTH.q}, gamma ${DEFAULT_TRUTH.gamma}`);
  benchFit("synthetic", synthetic.transactions, synthetic.calibrationEnd);
  benchFit("CDNOW master", cdnowMaster(), "1997-09-30");
  await benchDatabase(ownerUrl, synthetic.transactions);
}
