/**
 * The demo seed (issue 14, item 4): how long `seedDemoMerchant` takes as a whole (target ≤ 10 s) and step by step, so
 * whatever else costs time shows up. One seed into a migrated database, as the first start does it (the real argon2
 * hashes included). Run through `npm run bench demo-seed`; the machine's load average is printed beside the figures
 * (the machine is shared: a loaded run is slower, not a regression). Not a ratio: the target is absolute.
 */
import os from "node:os";
import { sql } from "kysely";
import { hashPassword } from "../../app/auth/password.server";
import { db, withTenant } from "../../app/db.server";
import { seedDemoMerchant } from "../../app/demo/seed.server";

const NOW = new Date("2026-11-22T17:00:00Z");

export async function run(): Promise<void> {
  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");
  const steps: { step: string; ms: number }[] = [];
  const loadBefore = load();
  const t0 = performance.now();
  const r = await seedDemoMerchant(db(), { hashPassword, now: NOW, onStep: (step, ms) => steps.push({ step, ms }) });
  const ms = performance.now() - t0;
  if (!r.created) throw new Error("the demo merchant existed already");
  const { orders, journals, fingerprint } = await withTenant(db(), r.merchantId, async (trx) => ({
    orders: await trx.selectFrom("orders").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow(),
    journals: await trx.selectFrom("ledger_journals").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow(),
    // What the demo's ledger adds up to, to compare two versions of the seed (the seed is deterministic).
    fingerprint: (
      await sql<{ what: string; n: string; points: string }>`
        select 'journals ' || kind || '/' || source as what, count(*) as n, sum(points) as points from ledger_journals group by 1
        union all select 'lots ' || source || (case when released_at is null then ' pending' else ' released' end), count(*), sum(points + remaining * 1000000) from point_lots group by 1
        union all select 'balances', count(*), sum(available + pending * 1000 + lifetime_earned * 1000000) from member_balances
        order by 1`.execute(trx)
    ).rows,
  }));
  console.log("| step | ms | share |");
  console.log("|---|---:|---:|");
  for (const s of steps) console.log(`| ${s.step} | ${s.ms.toFixed(0)} | ${((100 * s.ms) / ms).toFixed(0)}% |`);
  console.log(`| **whole seed** | **${ms.toFixed(0)}** | 100% |`);
  console.log(`${orders.n} orders, ${journals.n} journals; target ≤ 10,000 ms: ${ms <= 10_000 ? "met" : "NOT met"}; load average ${loadBefore} before, ${load()} after`);
  for (const f of fingerprint) console.log(`  ${f.what}: ${f.n} (${f.points})`);
  console.log(JSON.stringify({ bench: "demo-seed", ms: Math.round(ms), steps: steps.map((s) => ({ ...s, ms: Math.round(s.ms) })), orders: Number(orders.n), journals: Number(journals.n), loadavg: os.loadavg() }));
}
