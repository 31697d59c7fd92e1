import { describe, expect, it } from "vitest";
import { sql } from "kysely";
import { withTenant, type Trx } from "~/db.server";
import { createExperiment } from "~/domain/experiments/assignment.server";
import { createMerchant } from "../../support/admin";
import { testDb } from "../../support/db";

/**
 * Assignments inserted by the thousand in one statement (the demo seed's holdout, a CSV import chunk, assignMany over
 * a segment) after the members' history: the assignment trigger fills experiment_member_facts / _months for every
 * row, equal to a rebuild from the source tables. FACTS_BULK_N=20000 measures the insert (printed).
 */

const N = Number(process.env.FACTS_BULK_N ?? 2000);
const NOW = new Date();

const tx = <T>(merchantId: string, fn: (trx: Trx) => Promise<T>) => withTenant(testDb(), merchantId, fn);

async function readFacts(trx: Trx, merchantId: string) {
  const facts = await sql<Record<string, unknown>>`
    select experiment_id, member_id, arm, assigned_at, revenue_minor, pre_spend_minor, points_redeemed, rewards_minor, predicted_minor, joined
    from experiment_member_facts where merchant_id = ${merchantId} order by experiment_id, member_id`.execute(trx);
  const months = await sql`
    select experiment_id, member_id, k, arm, revenue_minor, points_redeemed, rewards_minor, events
    from experiment_member_months where merchant_id = ${merchantId} order by experiment_id, member_id, k`.execute(trx);
  return { facts: facts.rows, months: months.rows };
}

describe("bulk assignment fills the facts", () => {
  it(`${N} assignments in one statement: facts and months equal a rebuild`, async () => {
    const m = await createMerchant();
    const experiment = await tx(m.id, (trx) =>
      createExperiment(trx, m.id, {
        kind: "custom",
        name: "Bulk",
        assignment: "external",
        arms: [
          { arm: "control", control: true },
          { arm: "treatment", control: false },
        ],
      }),
    );
    const setupStarted = performance.now();
    // N members, 3 orders each over the last 800 days, a spend journal for every third member, a score for every
    // fifth, a `joined` event for every seventh: all written before the assignments.
    await tx(m.id, async (trx) => {
      await sql`insert into members (merchant_id, id, email)
        select ${m.id}, 'mem_bulk' || i, 'bulk' || i || '@example.com' from generate_series(1, ${N}::int) i`.execute(trx);
      await sql`insert into orders (merchant_id, id, member_id, source, external_order_id, amount_minor, currency, occurred_at)
        select ${m.id}, 'ord_bulk' || i || '_' || j, 'mem_bulk' || i, 'import', 'bulk-' || i || '-' || j, 100 * ((i * 7 + j * 13) % 50 + 1), 'USD',
          ${NOW}::timestamptz - make_interval(secs => ((i::int8 * 7919 + j * 104729) % (800 * 86400))::float8)
        from generate_series(1, ${N}::int) i, generate_series(1, 3) j`.execute(trx);
      await sql`insert into ledger_journals (merchant_id, id, kind, source, member_id, idempotency_key, description, points, actor_type, effective_at)
        select ${m.id}, 'jrn_bulk' || i, 'spend', 'import', 'mem_bulk' || i, 'bulk-spend-' || i, 'imported', -50 * (i % 9 + 1), 'system',
          ${NOW}::timestamptz - make_interval(secs => ((i::int8 * 15485863) % (400 * 86400))::float8)
        from generate_series(1, ${N}::int, 3) i`.execute(trx);
      await sql`update member_stats set cltv_12m_minor = member_id_no * 3
        from (select 'mem_bulk' || i as id, i as member_id_no from generate_series(1, ${N}::int, 5) i) s
        where member_stats.merchant_id = ${m.id} and member_stats.member_id = s.id`.execute(trx);
      await sql`insert into experiment_events (merchant_id, experiment_id, member_id, kind)
        select ${m.id}, ${experiment.id}, 'mem_bulk' || i, 'joined' from generate_series(1, ${N}::int, 7) i`.execute(trx);
    });

    if (process.env.FACTS_BULK_N) console.log(`[facts-bulk] history written: ${(performance.now() - setupStarted).toFixed(0)} ms`);
    const started = performance.now();
    await tx(
      m.id,
      (trx) => sql`insert into experiment_assignments (merchant_id, experiment_id, member_id, arm, source, assigned_at)
        select ${m.id}, ${experiment.id}, 'mem_bulk' || i, case when i % 10 = 0 then 'control' else 'treatment' end, 'external',
          ${NOW}::timestamptz - make_interval(secs => ((i::int8 * 6700417) % (300 * 86400))::float8)
        from generate_series(1, ${N}::int) i`.execute(trx),
    );
    const ms = performance.now() - started;
    if (process.env.FACTS_BULK_N) console.log(`[facts-bulk] ${N} assignments in one statement: ${ms.toFixed(0)} ms`);

    const kept = await tx(m.id, (trx) => readFacts(trx, m.id));
    let rebuilt: Awaited<ReturnType<typeof readFacts>> | null = null;
    await expect(
      tx(m.id, async (trx) => {
        await sql`select experiment_member_facts_rebuild(${m.id})`.execute(trx);
        rebuilt = await readFacts(trx, m.id);
        throw new Error("rollback");
      }),
    ).rejects.toThrow("rollback");
    expect(kept.facts).toHaveLength(N);
    expect(kept).toEqual(rebuilt);
    // Not trivial: every component is non-zero somewhere.
    const sum = (k: string) => kept.facts.reduce((acc, r) => acc + Number(r[k] ?? 0), 0);
    for (const k of ["revenue_minor", "pre_spend_minor", "points_redeemed", "predicted_minor"]) expect(sum(k)).toBeGreaterThan(0);
    expect(kept.facts.filter((r) => r.joined).length).toBeGreaterThan(0);
    expect(kept.months.length).toBeGreaterThan(N / 4);
  }, 30_000 + N * 20);
});
