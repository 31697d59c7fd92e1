/**
 * The incrementality report on 1,000,000 members (10% held out), 1.2 million orders before and after assignment
 * and 100,000 redemptions, against a bare aggregate scan of the table it reads, measured in the same run: the report
 * over the default window reads experiment_member_facts (per-member sums kept by triggers) in one pass grouped by arm,
 * and must stay within 3× `select count(*), sum(revenue_minor)` over the same rows. A bare scan of the orders table
 * (the previous baseline, when the report joined the source tables) is printed for information. Median of 5 runs each.
 * Run through `npm run bench incrementality`. Options: BENCH_INCREMENTALITY_MEMBERS (below), BENCH_PG_STAT_STATEMENTS=1
 * (the report's statements by time), BENCH_INCREMENTALITY_MODEL=1 (then fit a CLTV model and time the report with the
 * prediction step of prediction.server.ts: first view, cached views, a 90-day window).
 */
import { sql } from "kysely";
import { createDb, db, withTenant, type DB } from "../../app/db.server";
import { fitAndScoreMerchant } from "../../app/domain/cltv/score.server";
import { buildIncrementalityReport } from "../../app/domain/incrementality/report.server";
import { newId } from "../../app/lib/ids";
import { statementStats } from "./statement-stats";
import { medianMs } from "./timing";

// BENCH_INCREMENTALITY_MEMBERS scales it down for a quick look (the acceptance figure is at 1,000,000).
const MEMBERS = Number(process.env.BENCH_INCREMENTALITY_MEMBERS ?? 1_000_000);
const ORDERS = Math.round(MEMBERS * 1.2);
const REDEMPTIONS = Math.round(MEMBERS / 10);
const RUNS = 5;
const LIMIT = 3;

const memberIdSql = (n: string) => `'mbr_' || substr(translate(md5(${n}::text || 'a') || md5(${n}::text || 'b'), '0189', 'wxyz'), 1, 26)`;

async function seed(app: DB, owner: DB): Promise<{ merchantId: string; experimentId: string }> {
  const merchantId = newId("merchant");
  const experimentId = newId("experiment");
  await app.insertInto("merchants").values({ id: merchantId, slug: `bench-${merchantId.slice(4, 14)}`, name: "Bench Co", currency: "USD", timezone: "UTC" }).execute();
  // Seeding speed only (this database is the benchmark's own): no trigram index to maintain for a million e-mails,
  // and no per-row triggers (member_stats is filled in one statement below, as the trigger would have).
  await sql`drop index if exists members_search_trgm`.execute(owner);
  await owner.connection().execute(async (c) => {
    await sql`set session_replication_role = replica`.execute(c);
    await sql
      .raw(
        `insert into members (merchant_id, id, email, created_at, updated_at)
         select '${merchantId}', ${memberIdSql("i")}, 'u' || i || '@example.com', timestamptz '2025-01-01', timestamptz '2025-01-01'
         from generate_series(1, ${MEMBERS}) i`,
      )
      .execute(c);
    await sql.raw(`insert into experiments (merchant_id, id, kind, name, holdout_bps) values ('${merchantId}', '${experimentId}', 'loyalty_program', 'Loyalty program holdout', 1000)`).execute(c);
    await sql
      .raw(`insert into experiment_arms (merchant_id, experiment_id, arm, is_control) values ('${merchantId}', '${experimentId}', 'treatment', false), ('${merchantId}', '${experimentId}', 'control', true)`)
      .execute(c);
    await sql
      .raw(
        `insert into experiment_assignments (merchant_id, experiment_id, member_id, arm, source, assigned_at)
         select '${merchantId}', '${experimentId}', ${memberIdSql("i")}, case when i % 10 = 0 then 'control' else 'treatment' end, 'random',
                timestamptz '2025-06-01' + (i % 90) * interval '1 day'
         from generate_series(1, ${MEMBERS}) i`,
      )
      .execute(c);
    // 400,000 orders in the year before assignment, 800,000 after; treated members spend a little more.
    await sql
      .raw(
        `insert into orders (merchant_id, id, member_id, source, external_order_id, amount_minor, currency, occurred_at)
         select '${merchantId}', 'ord_' || substr(md5(j::text || 'o') || md5(j::text || 'p'), 1, 26), ${memberIdSql("m")}, 'seed', 'o' || j,
                500 + (j * 37) % 8000 + case when m % 10 = 0 then 0 else 300 end, 'USD',
                timestamptz '2025-06-01' + (m % 90) * interval '1 day' + case when j % 3 = 0 then -((j % 300) + 1) else (j % 200) end * interval '1 day'
         from generate_series(1, ${ORDERS}) j, lateral (select (1 + (j::bigint * 7919) % ${MEMBERS})::int as m) x`,
      )
      .execute(c);
    await sql
      .raw(
        `insert into ledger_journals (merchant_id, id, kind, source, member_id, idempotency_key, description, points, actor_type, effective_at)
         select '${merchantId}', 'jnl_' || substr(md5(k::text || 'j'), 1, 26), 'spend', 'spend', ${memberIdSql("(k * 10 + 1)")}, 'bench-' || k, 'redeemed', -250, 'system',
                timestamptz '2025-10-01' + (k % 60) * interval '1 day'
         from generate_series(1, ${REDEMPTIONS}) k`,
      )
      .execute(c);
    await sql
      .raw(
        `insert into member_stats (merchant_id, member_id, order_count, lifetime_spend_minor, first_order_at, last_order_at)
         select merchant_id, member_id, count(*), sum(amount_minor), min(occurred_at), max(occurred_at) from orders where merchant_id = '${merchantId}' group by 1, 2`,
      )
      .execute(c);
    // The facts the assignment trigger would have filled (it is off here): the same set-based fill, from the tables above.
    await sql`set work_mem = '256MB'`.execute(c);
    await sql`select experiment_member_facts_rebuild(${merchantId})`.execute(c);
    // The regression covariates the facts' insert trigger would have filled (2026-12-07T2320), set-based.
    await sql`select experiment_member_facts_fill_covariates(${merchantId})`.execute(c);
    await sql`reset work_mem`.execute(c);
    await sql`set session_replication_role = origin`.execute(c);
  });
  const tables = ["members", "orders", "experiment_assignments", "ledger_journals", "member_stats", "experiment_member_facts", "experiment_member_months"];
  // vacuum: the visibility map and hint bits a long-lived table has (a fresh bulk load has neither).
  for (const t of tables) await sql`vacuum analyze ${sql.table(t)}`.execute(owner);
  return { merchantId, experimentId };
}

const median = (fn: () => Promise<unknown>) => medianMs(fn, { runs: RUNS, warmup: 1 });

export async function run(ownerUrl: string): Promise<void> {
  const owner = createDb(ownerUrl, { role: null, max: 2 });
  const app = db();
  try {
    const t0 = performance.now();
    const { merchantId, experimentId } = await seed(app, owner);
    console.log(`seeded ${MEMBERS.toLocaleString("en-US")} members, ${ORDERS.toLocaleString("en-US")} orders, ${REDEMPTIONS.toLocaleString("en-US")} redemptions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const scan = await median(() =>
      withTenant(app, merchantId, (trx) =>
        sql`select count(*), sum(revenue_minor) from experiment_member_facts where merchant_id = ${merchantId} and experiment_id = ${experimentId}`.execute(trx),
      ),
    );
    const ordersScan = await median(() =>
      withTenant(app, merchantId, (trx) => sql`select count(*), sum(amount_minor - refunded_minor) from orders where merchant_id = ${merchantId}`.execute(trx)),
    );
    let lift = 0;
    // BENCH_PG_STAT_STATEMENTS=1: which of the report's statements the time goes to (statement-stats.ts).
    const stats = process.env.BENCH_PG_STAT_STATEMENTS === "1" ? await statementStats(ownerUrl, "the report runs") : { print: async () => {} };
    const report = await median(async () => {
      const r = await withTenant(app, merchantId, (trx) => buildIncrementalityReport(trx, merchantId, experimentId));
      lift = r.comparisons[0]!.value.lift;
    });
    const ratio = report / scan;
    console.log(`bare aggregate scan of experiment_member_facts: ${scan.toFixed(0)} ms`);
    console.log(`bare aggregate scan of orders (information):     ${ordersScan.toFixed(0)} ms`);
    console.log(`incrementality report:                          ${report.toFixed(0)} ms (incremental net value per member ${(lift / 100).toFixed(2)})`);
    console.log(`ratio report / scan: ${ratio.toFixed(2)} (limit ${LIMIT}) ${ratio <= LIMIT ? "OK" : "OVER THE LIMIT"}`);
    await stats.print();
    // BENCH_INCREMENTALITY_MODEL=1: the same report with a stored CLTV model, whose prediction step (the parameter
    // draws of prediction.server.ts) runs on the first view after the model and is cached in the process after it.
    if (process.env.BENCH_INCREMENTALITY_MODEL === "1") {
      const t1 = performance.now();
      await withTenant(app, merchantId, (trx) => fitAndScoreMerchant(trx, merchantId, { at: new Date("2026-04-01T00:00:00Z") }));
      console.log(`CLTV model fitted and scored in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
      await sql`vacuum analyze experiment_member_facts`.execute(owner);
      const modelStats = process.env.BENCH_PG_STAT_STATEMENTS === "1" ? await statementStats(ownerUrl, "the report runs with a model") : { print: async () => {} };
      const once = async (w: { windowDays?: number } = {}) => {
        const t = performance.now();
        await withTenant(app, merchantId, (trx) => buildIncrementalityReport(trx, merchantId, experimentId, w));
        return performance.now() - t;
      };
      console.log(`with the model, first view (prediction computed): ${(await once()).toFixed(0)} ms`);
      console.log(`with the model, later views (cached, median):     ${(await median(() => once())).toFixed(0)} ms`);
      console.log(`with the model, 90-day window, first view:         ${(await once({ windowDays: 90 })).toFixed(0)} ms`);
      await modelStats.print();
    }
  } finally {
    await owner.destroy();
  }
}
