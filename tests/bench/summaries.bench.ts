/**
 * Merchant-wide pages on maintained summaries (issue 14, target 2's last sentence): the loaders' domain calls of the
 * admin dashboard, the CLTV page, the incrementality report page and list, GET /api/v1/cltv and the program stats
 * pages (program, tiers, an offer's counts, referrals), timed on a merchant
 * of 10,000 members and on one of 1,000,000 in the same database and run, with the ratio 1M / 10k (target ≈ 1: the
 * pages' cost must not grow with the merchant), the summaries job's refresh of each merchant, and — for information —
 * the raw computation the pages ran before (median of fewer runs: it is slow at 1M).
 *
 * Each merchant: members joined over two years, 1.2 orders per member before and after a loyalty holdout (10%
 * held out), spend journals with their entries, member_stats with model scores of one CLTV model, two tiers held by
 * every member; experiment facts rebuilt set-based
 * (the triggers are off while seeding, as in incrementality.bench.ts). Run through `npm run bench summaries`;
 * BENCH_SUMMARIES_LARGE scales the large merchant down for a quick look.
 */
import os from "node:os";
import { sql } from "kysely";
import { createDb, db, withTenant, type DB, type Trx } from "../../app/db.server";
import { loadCltvReport } from "../../app/domain/cltv/report.server";
import { cltvOverviewPage, cltvReportPage } from "../../app/domain/cltv/summaries.server";
import { listReportPrograms, loadReportPage } from "../../app/domain/incrementality/page.server";
import { buildIncrementalityReport, withHashPlans } from "../../app/domain/incrementality/report.server";
import { buildReportSeries } from "../../app/domain/incrementality/series.server";
import { dashboardPage, merchantDashboard } from "../../app/domain/merchants/dashboard.server";
import { experimentCounts } from "../../app/domain/offers/offers.server";
import { offerCountsPage } from "../../app/domain/offers/summaries.server";
import { getEarningRules } from "../../app/domain/points/rules.server";
import { monthlyPointsFlow, programStats } from "../../app/domain/points/stats.server";
import { programStatsPage } from "../../app/domain/points/summaries.server";
import { referralOverview, referralOverviewPage } from "../../app/domain/referrals/summaries.server";
import { latestTierJob } from "../../app/domain/tiers/definitions.server";
import { tierCountsBasis, tierCountsPage, tierMemberCounts } from "../../app/domain/tiers/summaries.server";
import { loadTierProgram } from "../../app/domain/tiers/tiers.server";
import { refreshMerchantSummaries } from "../../app/jobs/tasks/summaries";
import { newId } from "../../app/lib/ids";
import { medianMs } from "./timing";

const SMALL = 10_000;
const LARGE = Number(process.env.BENCH_SUMMARIES_LARGE ?? 1_000_000);
const RUNS = 9;
const RAW_RUNS = 3;

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

interface Merchant {
  id: string;
  currency: string;
  timezone: string;
  experimentId: string;
}

async function seed(owner: DB, members: number): Promise<Merchant> {
  const merchantId = newId("merchant");
  const experimentId = newId("experiment");
  const modelId = newId("cltvModel");
  const orders = Math.round(members * 1.2);
  const redemptions = Math.round(members / 10);
  const p = `m${members}_`;
  const memberIdSql = (n: string) => `'mbr_' || substr(translate(md5('${p}' || ${n}::text || 'a') || md5('${p}' || ${n}::text || 'b'), '0189', 'wxyz'), 1, 26)`;
  await db().insertInto("merchants").values({ id: merchantId, slug: `bench-${merchantId.slice(4, 14)}`, name: "Bench Co", currency: "USD", timezone: "UTC" }).execute();
  await owner.connection().execute(async (c) => {
    await sql`set session_replication_role = replica`.execute(c);
    const q = (text: string) => sql.raw(text).execute(c);
    // Assignments 300 days ago (+ up to 90 days); orders up to 300 days before and 200 after: some in the last 30 days.
    await q(`insert into members (merchant_id, id, email, created_at, updated_at)
      select '${merchantId}', ${memberIdSql("i")}, 'u' || i || '@example.com', now() - (i % 730) * interval '1 day', now()
      from generate_series(1, ${members}) i`);
    await q(`insert into experiments (merchant_id, id, kind, name, holdout_bps) values ('${merchantId}', '${experimentId}', 'loyalty_program', 'Loyalty program holdout', 1000)`);
    await q(`insert into experiment_arms (merchant_id, experiment_id, arm, is_control) values ('${merchantId}', '${experimentId}', 'treatment', false), ('${merchantId}', '${experimentId}', 'control', true)`);
    await q(`insert into experiment_assignments (merchant_id, experiment_id, member_id, arm, source, assigned_at)
      select '${merchantId}', '${experimentId}', ${memberIdSql("i")}, case when i % 10 = 0 then 'control' else 'treatment' end, 'random',
             date_trunc('day', now()) - interval '300 days' + (i % 90) * interval '1 day'
      from generate_series(1, ${members}) i`);
    await q(`insert into orders (merchant_id, id, member_id, source, external_order_id, amount_minor, currency, occurred_at)
      select '${merchantId}', 'ord_' || substr(md5('${p}' || j::text || 'o') || md5('${p}' || j::text || 'p'), 1, 26), ${memberIdSql("m")}, 'seed', 'o' || j,
             500 + (j * 37) % 8000 + case when m % 10 = 0 then 0 else 300 end, 'USD',
             date_trunc('day', now()) - interval '300 days' + (m % 90) * interval '1 day'
               + case when j % 3 = 0 then -((j % 300) + 1) else (j % 200) end * interval '1 day'
      from generate_series(1, ${orders}) j, lateral (select (1 + (j::bigint * 7919) % ${members})::int as m) x`);
    await q(`insert into ledger_journals (merchant_id, id, kind, source, member_id, idempotency_key, description, points, actor_type, effective_at)
      select '${merchantId}', 'jnl_' || substr(md5('${p}' || k::text || 'j'), 1, 26), 'spend', 'spend', ${memberIdSql("(k * 10 + 1)")}, 'bench-' || k, 'redeemed', -250, 'system',
             date_trunc('day', now()) - interval '100 days' + (k % 60) * interval '1 day'
      from generate_series(1, ${redemptions}) k`);
    await q(`insert into ledger_entries (merchant_id, journal_id, seq, account, member_id, amount)
      select j.merchant_id, j.id, x.seq, x.account, case when x.seq = 1 then j.member_id end, x.amount
      from ledger_journals j, (values (1, 'member_available', -250), (2, 'merchant_redeemed', 250)) x(seq, account, amount)
      where j.merchant_id = '${merchantId}'`);
    await q(`insert into tiers (merchant_id, id, name, rank, threshold) values
      ('${merchantId}', 'tie_${p}silver', 'Silver', 1, 100), ('${merchantId}', 'tie_${p}gold', 'Gold', 2, 1000)`);
    await q(`insert into member_tiers (merchant_id, member_id, tier_id, earned_tier_id)
      select '${merchantId}', ${memberIdSql("i")}, t, t
      from generate_series(1, ${members}) i, lateral (select case i % 3 when 0 then null when 1 then 'tie_${p}silver' else 'tie_${p}gold' end as t) x`);
    await q(`insert into cltv_models (merchant_id, id, model_version, time_unit, calibration_end, currency, customers, repeat_customers, unique_rows,
        bgnbd_r, bgnbd_alpha, bgnbd_a, bgnbd_b, bgnbd_log_likelihood, bgnbd_converged, bgnbd_iterations, scored_members, duration_ms)
      values ('${merchantId}', '${modelId}', 'bench', 'week', current_date, 'USD', ${members}, ${Math.round(members / 3)}, 1000,
        0.24, 4.4, 0.79, 2.4, -1000, true, 20, ${members}, 1000)`);
    // Model scores for every member with orders (synthetic, spread so segments and the histogram have content).
    await q(`insert into member_stats (merchant_id, member_id, order_count, lifetime_spend_minor, first_order_at, last_order_at,
        predicted_purchases_12m, p_alive, expected_order_minor, cltv_12m_minor, cltv_24m_minor, cltv_36m_minor, cltv_percentile, value_segment, at_risk, cltv_model_id, scored_at)
      select merchant_id, member_id, n, spend, first_at, last_at,
        (h % 400) / 100.0, (h % 100) / 100.0, 2000 + h % 3000, 1000 + h % 50000, 1500 + h % 80000, 2000 + h % 100000, (h % 101)::real,
        case when h % 10 < 2 then 'top' when h % 10 < 6 then 'middle' else 'bottom' end, h % 7 = 0, '${modelId}', now()
      from (select merchant_id, member_id, count(*)::int as n, sum(amount_minor) as spend, min(occurred_at) as first_at, max(occurred_at) as last_at,
                   abs(hashtext(member_id)) as h
            from orders where merchant_id = '${merchantId}' group by 1, 2) s`);
    await sql`set work_mem = '256MB'`.execute(c);
    await sql`select experiment_member_facts_rebuild(${merchantId})`.execute(c);
    await sql`reset work_mem`.execute(c);
    await sql`set session_replication_role = origin`.execute(c);
  });
  return { id: merchantId, currency: "USD", timezone: "UTC", experimentId };
}

const median = (runs: number, fn: () => Promise<unknown>) => medianMs(fn, { runs, warmup: 1 });

/** The loaders' domain calls, each in its own tenant transaction as the loader runs it. */
function pages(m: Merchant): Record<string, () => Promise<unknown>> {
  const t = <T>(fn: (trx: Trx) => Promise<T>) => withTenant(db(), m.id, fn);
  return {
    "admin dashboard": () => t((trx) => dashboardPage(trx, m)),
    "admin CLTV page": () => t((trx) => cltvReportPage(trx, m.id, m.currency)),
    "GET /api/v1/cltv?include=classic": () => t((trx) => cltvOverviewPage(trx, m.id, m.currency, { classic: true })),
    "admin incrementality report": () => t((trx) => loadReportPage(trx, m.id, m.experimentId, {})),
    "admin incrementality report, 90-day window": () => t((trx) => loadReportPage(trx, m.id, m.experimentId, { windowDays: 90 })),
    "admin reports list": () => t((trx) => listReportPrograms(trx, m.id)),
    "admin program page (stats, flow)": () => t(async (trx) => programStatsPage(trx, m, await getEarningRules(trx, m.id))),
    "admin tiers page (members per tier)": () =>
      t(async (trx) => tierCountsPage(trx, m.id, tierCountsBasis(await loadTierProgram(trx, m.id), await latestTierJob(trx, m.id)))),
    // An offer's counts are its experiment's; the loyalty holdout stands in for an offer's (every member assigned).
    "admin offer page (arm counts)": () => t((trx) => offerCountsPage(trx, m.id, m.experimentId, { status: "active" })),
    "admin referrals page (funnel, top)": () => t((trx) => referralOverviewPage(trx, m)),
  };
}

/** What the same pages computed from the raw tables (before the summaries). */
function rawPages(m: Merchant): Record<string, () => Promise<unknown>> {
  const t = <T>(fn: (trx: Trx) => Promise<T>) => withTenant(db(), m.id, fn);
  return {
    "admin dashboard": () => t((trx) => merchantDashboard(trx, m)),
    "admin CLTV page": () => t((trx) => loadCltvReport(trx, m.id, m.currency)),
    "admin incrementality report": () =>
      t(async (trx) => {
        const report = await buildIncrementalityReport(trx, m.id, m.experimentId);
        const arms = report.arms.map((a) => ({ arm: a.arm, control: a.control }));
        return withHashPlans(trx, () => buildReportSeries(trx, m.id, m.experimentId, report, arms, report.hasPrediction));
      }),
    "admin program page (stats, flow)": () =>
      t(async (trx) => ({ stats: await programStats(trx, m.id), flow: await monthlyPointsFlow(trx, m.id, 12, { timezone: m.timezone, at: new Date() }) })),
    "admin tiers page (members per tier)": () => t((trx) => tierMemberCounts(trx, m.id)),
    "admin offer page (arm counts)": () => t((trx) => experimentCounts(trx, m.id, m.experimentId)),
    "admin referrals page (funnel, top)": () => t((trx) => referralOverview(trx, m, new Date())),
  };
}

export async function run(ownerUrl: string): Promise<void> {
  const owner = createDb(ownerUrl, { role: null, max: 2 });
  try {
    console.log(`machine: ${os.cpus().length} cores, load average ${load()}`);
    await sql`drop index if exists members_search_trgm`.execute(owner);
    const sizes = [SMALL, LARGE];
    const merchants: Merchant[] = [];
    for (const n of sizes) {
      const t0 = performance.now();
      merchants.push(await seed(owner, n));
      console.log(`seeded ${n.toLocaleString("en-US")} members in ${((performance.now() - t0) / 1000).toFixed(1)} s — load ${load()}`);
    }
    for (const t of ["members", "orders", "experiment_assignments", "ledger_journals", "ledger_entries", "member_tiers", "member_stats", "experiment_member_facts", "experiment_member_months"]) {
      await sql`vacuum analyze ${sql.table(t)}`.execute(owner);
    }

    const refresh: number[] = [];
    for (const [i, m] of merchants.entries()) {
      const t0 = performance.now();
      await refreshMerchantSummaries(m);
      refresh.push(performance.now() - t0);
      console.log(`summaries job, ${sizes[i]!.toLocaleString("en-US")} members: refresh ${(refresh[i]! / 1000).toFixed(2)} s — load ${load()}`);
    }

    const page: Record<string, number[]> = {};
    for (const m of merchants) for (const [name, fn] of Object.entries(pages(m))) (page[name] ??= []).push(await median(RUNS, fn));
    const raw: Record<string, number[]> = {};
    for (const m of merchants) for (const [name, fn] of Object.entries(rawPages(m))) (raw[name] ??= []).push(await median(RAW_RUNS, fn));

    const size = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
    console.log(`\npage reads (median of ${RUNS}; ms) — load ${load()}`);
    console.log(`${"page".padEnd(44)} ${size(SMALL).padStart(9)} ${size(LARGE).padStart(9)}  ratio ${size(LARGE)}/${size(SMALL)} (target ≈ 1)`);
    for (const [name, [a, b]] of Object.entries(page)) console.log(`${name.padEnd(44)} ${a!.toFixed(1).padStart(9)} ${b!.toFixed(1).padStart(9)}  ${(b! / a!).toFixed(2)}`);
    console.log(`\nraw computation before the summaries (information; median of ${RAW_RUNS}; ms)`);
    for (const [name, [a, b]] of Object.entries(raw)) console.log(`${name.padEnd(44)} ${a!.toFixed(1).padStart(9)} ${b!.toFixed(1).padStart(9)}  ${(b! / a!).toFixed(2)}`);
    console.log(`\nsummaries job (dashboard + CLTV + every experiment × 6 windows + program pages): ${(refresh[0]! / 1000).toFixed(2)} s at ${size(SMALL)}, ${(refresh[1]! / 1000).toFixed(2)} s at ${size(LARGE)} — load ${load()}`);
  } finally {
    await owner.destroy();
  }
}
