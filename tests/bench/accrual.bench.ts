/**
 * Accrual through the HTTP API vs the same SQL transaction run directly (issue 3, benchmark 1), and both against a
 * minimal-writes baseline (issue 14, item 1).
 *  - HTTP: POST /api/v1/orders on the production build served in-process, 8 concurrent clients (keep-alive
 *    connections), each order for a distinct existing member — the full path: bearer-key check, Idempotency-Key
 *    claim and stored response, Zod, then recordPurchase (channel "api": member lock, currency rule, the order, its
 *    earning and the programs' events).
 *  - direct: the same recordPurchase with channel "api" inside withTenant on 8 concurrent pg connections, no HTTP, no
 *    key check, no idempotency row.
 *  - baseline: the floor for these writes — the same essential rows (order, journal, two entries, lot, balance
 *    upsert) on the same tables (indexes, triggers, RLS as the app role) as one transaction of named (prepared)
 *    statements per order on 8 plain `pg` clients, as a pgbench script with `-M prepared` would send them.
 * The two paths run alternately (four rounds each) so background load on the machine hits both alike; the ratio is
 * HTTP events/s ÷ direct events/s over all rounds (target ≥ 0.5). The CPU each order cost (this process and the
 * PostgreSQL server, from /proc) is printed too: it is steadier than throughput when other work shares the cores.
 * Issue 14's targets are against the baseline: HTTP ≥ 0.5× its throughput, PostgreSQL CPU per order ≤ 1.5× its
 * own, node CPU per HTTP order ≤ 2 ms. The statements one POST sends are counted once (pg's Client.query wrapped).
 */
import os from "node:os";
import pg from "pg";
import { APP_ROLE, db, withTenant } from "../../app/db.server";
import { reconcileLedger } from "../../app/domain/points/balance.server";
import { recordPurchase } from "../../app/domain/flows/purchase.server";
import { newId } from "../../app/lib/ids";
import { CpuProfiler, reportProfiles } from "./accrual-profile";
import { benchMerchant, closedLoop, postJson, HttpLoad, mergeResults, startProductionServer, summary, withCpu, type LoadResult, type PreparedPost } from "./points-support";

const CLIENTS = 8;
const PER_CLIENT = 100;
const WARMUP_PER_CLIENT = 15;
// Many short alternating rounds, so background load on a shared machine falls on both paths alike.
const ROUNDS = 4;

// The baseline's transaction: what an earning order must write at least, each statement prepared once per client.
const BASELINE = {
  tenant: "select set_config('app.merchant_id', $1, true)",
  order: `insert into orders (merchant_id, id, member_id, source, external_order_id, amount_minor, currency, occurred_at, created_at)
    values ($1, $2, $3, 'api', $4, $5, 'USD', $6, now())`,
  journal: `insert into ledger_journals (merchant_id, id, kind, source, member_id, idempotency_key, order_id, description, points,
      metadata, actor_type, actor_id, effective_at, created_at)
    values ($1, $2, 'earn', 'order', $3, 'order:' || $4, $4, 'Points for order #' || $5, $6, '{}'::jsonb, 'system', 'bench', $7, now())`,
  entries: `insert into ledger_entries (merchant_id, journal_id, seq, account, member_id, lot_id, amount, created_at)
    values ($1, $2, 0, 'merchant_issued', null, null, -$4::bigint, now()), ($1, $2, 1, 'member_available', $3, $5, $4, now())`,
  lot: `insert into point_lots (merchant_id, id, member_id, journal_id, source, order_id, points, remaining, consumed, earned_at, released_at, created_at)
    values ($1, $2, $3, $4, 'order', $5, $6, $6, 0, $7, now(), now())`,
  balance: `insert into member_balances (merchant_id, member_id, available, lifetime_earned, last_activity_at, updated_at)
    values ($1, $2, $3, $3, now(), now())
    on conflict (merchant_id, member_id) do update set available = member_balances.available + excluded.available,
      lifetime_earned = member_balances.lifetime_earned + excluded.lifetime_earned, last_activity_at = excluded.last_activity_at,
      updated_at = excluded.updated_at`,
};

/** One order of the baseline on `client`: BEGIN, the tenant, the five writes, COMMIT. */
async function baselineOrder(client: pg.Client, merchantId: string, memberId: string, amountMinor: number, occurredAt: Date): Promise<void> {
  const orderId = newId("order");
  const journalId = newId("journal");
  const lotId = newId("lot");
  const points = Math.floor(amountMinor / 100);
  const q = (name: keyof typeof BASELINE, values: unknown[]) => client.query({ name: `bench_${name}`, text: BASELINE[name], values });
  await client.query("begin");
  try {
    await q("tenant", [merchantId]);
    await q("order", [merchantId, orderId, memberId, `base-${memberId}`, amountMinor, occurredAt]);
    await q("journal", [merchantId, journalId, memberId, orderId, `base-${memberId}`, points, occurredAt]);
    await q("entries", [merchantId, journalId, memberId, points, lotId]);
    await q("lot", [merchantId, lotId, memberId, journalId, orderId, points, occurredAt]);
    await q("balance", [merchantId, memberId, points]);
    await client.query("commit");
  } catch (err) {
    await client.query("rollback");
    throw err;
  }
}

/** The SQL of every statement this process sends while `fn` runs (pg's Client.query, which Kysely's driver calls). */
async function countStatements<T>(fn: () => Promise<T>): Promise<[T, string[]]> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const seen: string[] = [];
  proto.query = function (this: unknown, ...args: unknown[]) {
    const q = args[0];
    seen.push((typeof q === "string" ? q : String((q as { text?: string }).text)).replace(/\s+/g, " ").slice(0, 90));
    return original.apply(this, args);
  };
  try {
    return [await fn(), seen];
  } finally {
    proto.query = original;
  }
}

const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(" ");

export async function run(ownerUrl: string): Promise<void> {
  const perPath = CLIENTS * (PER_CLIENT * ROUNDS + WARMUP_PER_CLIENT);
  const { merchantId, memberIds, token } = await benchMerchant(perPath * 3 + 2);
  const server = await startProductionServer();
  const load = new HttpLoad(server.baseUrl, token);
  let next = 0;
  const member = () => memberIds[next++]!;
  const occurredAt = new Date(Date.now() - 60_000);
  const amount = (i: number) => 1000 + ((i * 7919) % 50_000);

  const direct = (c: number, i: number) => {
    const memberId = member();
    return withTenant(db(), merchantId, (trx) =>
      // The channel the HTTP path uses, so both run the same policy (currency refused, referrals qualify).
      recordPurchase(
        trx,
        merchantId,
        { memberId, externalOrderId: `direct-${memberId}`, amountMinor: amount(c * PER_CLIENT + i), currency: "USD", occurredAt, awardPoints: true },
        { channel: "api", actor: { type: "system", id: "bench" } },
      ),
    ).then(
      () => ({ status: 0 }),
      (err: Error) => ({ status: -1, error: err.message }),
    );
  };
  // The same orders over HTTP: each client's list prepared up front (distinct members), sent from the worker.
  const httpOrders = (perClient: number): PreparedPost[][] =>
    Array.from({ length: CLIENTS }, (_, c) =>
      Array.from({ length: perClient }, (_, i) => {
        const memberId = member();
        return {
          path: "/api/v1/orders",
          body: { order_id: `http-${memberId}`, member: { id: memberId }, amount_minor: amount(c * PER_CLIENT + i), currency: "USD", occurred_at: occurredAt.toISOString() },
        };
      }),
    );

  // The baseline's clients: the app role (RLS applies as it does to the app), statements named per connection.
  const baseClients = await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      const c = new pg.Client({ connectionString: ownerUrl, options: `-c role=${APP_ROLE}`, application_name: "perennial-bench-baseline" });
      await c.connect();
      return c;
    }),
  );
  const baseline = (c: number, i: number) =>
    baselineOrder(baseClients[c]!, merchantId, member(), amount(c * PER_CLIENT + i), occurredAt).then(
      () => ({ status: 0 }),
      (err: Error) => ({ status: -1, error: err.message }),
    );

  try {
    await closedLoop(CLIENTS, WARMUP_PER_CLIENT, baseline);
    await closedLoop(CLIENTS, WARMUP_PER_CLIENT, direct);
    await load.run(httpOrders(WARMUP_PER_CLIENT));
    // One warm POST with every statement it sends listed (the server runs in this process).
    const one = member();
    const [posted, sent] = await countStatements(() =>
      postJson(server.baseUrl, token, "/api/v1/orders", { order_id: `count-${one}`, member: { id: one }, amount_minor: 4250, currency: "USD", occurred_at: occurredAt.toISOString() }),
    );
    const results: Record<"baseline" | "direct" | "http", LoadResult[]> = { baseline: [], direct: [], http: [] };
    const cpu = { baseline: { node: 0, pg: 0 }, direct: { node: 0, pg: 0 }, http: { node: 0, pg: 0, client: 0 } };
    const loads: string[] = [];
    // ACCRUAL_BENCH_PROFILE=<file>: the server's thread profiled during the HTTP rounds only (accrual-profile.ts).
    const profileFile = process.env.ACCRUAL_BENCH_PROFILE;
    const profiler = profileFile ? new CpuProfiler() : null;
    const profiles: Awaited<ReturnType<CpuProfiler["pause"]>>[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const b = await withCpu(() => closedLoop(CLIENTS, PER_CLIENT, baseline));
      results.baseline.push(b.result);
      cpu.baseline.node += b.nodeCpuMs;
      cpu.baseline.pg += b.pgCpuMs;
      const d = await withCpu(() => closedLoop(CLIENTS, PER_CLIENT, direct));
      results.direct.push(d.result);
      cpu.direct.node += d.nodeCpuMs;
      cpu.direct.pg += d.pgCpuMs;
      const orders = httpOrders(PER_CLIENT);
      if (profiler) await (round === 0 ? profiler.start() : profiler.resume());
      const h = await withCpu(() => load.run(orders));
      if (profiler) profiles.push(await profiler.pause());
      results.http.push(h.result);
      cpu.http.node += h.nodeCpuMs;
      cpu.http.pg += h.pgCpuMs;
      // The client thread's own CPU; its event-loop busy time where /proc/thread-self is missing (overstated under load).
      cpu.http.client += Number.isNaN(h.result.clientCpuMs) ? h.result.clientBusyMs : h.result.clientCpuMs;
      loads.push(loadAverage());
    }
    if (profiler && profileFile) {
      profiler.close();
      reportProfiles(profileFile, profiles.filter((p) => p !== null), CLIENTS * PER_CLIENT * ROUNDS);
    }
    const perOrder = (ms: number) => Math.round((ms / (CLIENTS * PER_CLIENT * ROUNDS)) * 100) / 100;
    const r2 = (v: number) => Math.round(v * 100) / 100;
    const baseAll = mergeResults(results.baseline);
    const directAll = mergeResults(results.direct);
    const httpAll = mergeResults(results.http);
    const b = summary(baseAll);
    const d = summary(directAll);
    const h = summary(httpAll);
    const errors = [...baseAll.errors, ...directAll.errors, ...httpAll.errors];
    const ratio = r2(h.perSecond / d.perSecond);
    const httpVsBase = r2(h.perSecond / b.perSecond);
    const directVsBase = r2(d.perSecond / b.perSecond);
    const pgPer = { baseline: perOrder(cpu.baseline.pg), direct: perOrder(cpu.direct.pg), http: perOrder(cpu.http.pg) };
    const httpServerNode = perOrder(cpu.http.node - cpu.http.client);
    const pgHttpVsBase = r2(pgPer.http / pgPer.baseline);
    const pgDirectVsBase = r2(pgPer.direct / pgPer.baseline);

    const check = await withTenant(db(), merchantId, async (trx) => ({
      orders: Number((await trx.selectFrom("orders").select((e) => e.fn.countAll<string>().as("n")).executeTakeFirstOrThrow()).n),
      reconcile: await reconcileLedger(trx, merchantId),
    }));
    const met = (ok: boolean) => (ok ? "met" : "NOT met");

    console.log(`${CLIENTS} concurrent clients, ${PER_CLIENT} orders each per round, ${ROUNDS} rounds per path (alternating), distinct members; HTTP clients in a worker thread`);
    console.log(`load average (1, 5, 15 min) after each round: ${loads.join(" | ")}`);
    console.log(`one POST /api/v1/orders (status ${posted.status}) sent ${sent.length} statements:\n  ${sent.map((q, i) => `${i + 1}. ${q}`).join("\n  ")}`);
    console.log("| path | orders | events/s | p50 ms | p99 ms | max ms |");
    console.log("|---|---:|---:|---:|---:|---:|");
    console.log(`| baseline: the essential writes, named statements (8 pg clients) | ${b.requests} | ${b.perSecond} | ${b.p50Ms} | ${b.p99Ms} | ${b.maxMs} |`);
    console.log(`| direct: recordPurchase (api) in withTenant (8 pg clients) | ${d.requests} | ${d.perSecond} | ${d.p50Ms} | ${d.p99Ms} | ${d.maxMs} |`);
    console.log(`| HTTP: POST /api/v1/orders (8 clients) | ${h.requests} | ${h.perSecond} | ${h.p50Ms} | ${h.p99Ms} | ${h.maxMs} |`);
    const cpuRatio = r2((cpu.direct.node + cpu.direct.pg) / (cpu.http.node + cpu.http.pg));
    console.log(`throughput HTTP ÷ baseline: ${httpVsBase} (target ≥ 0.5) — ${met(httpVsBase >= 0.5)}; direct ÷ baseline: ${directVsBase}; HTTP ÷ direct: ${ratio}`);
    console.log(`PostgreSQL CPU per order ÷ baseline's: HTTP ${pgHttpVsBase}, direct ${pgDirectVsBase} (target ≤ 1.5) — HTTP ${met(pgHttpVsBase <= 1.5)}`);
    console.log(`node CPU per HTTP order (server, client thread left out): ${httpServerNode} ms (target ≤ 2) — ${met(httpServerNode <= 2)}`);
    console.log(
      `CPU per order — baseline: node ${perOrder(cpu.baseline.node)} ms + PostgreSQL ${pgPer.baseline} ms; direct: node ${perOrder(cpu.direct.node)} ms + PostgreSQL ${pgPer.direct} ms; ` +
        `HTTP: node ${perOrder(cpu.http.node)} ms (of which the client thread ≈ ${perOrder(cpu.http.client)} ms) + PostgreSQL ${pgPer.http} ms; HTTP ÷ direct by CPU: ${cpuRatio}`,
    );
    console.log(`HTTP statuses ${JSON.stringify(h.statuses)}; orders stored ${check.orders} (expected ${perPath * 3 + 1}); ledger mismatches ${check.reconcile.mismatches.length}`);
    if (errors.length) console.log(`errors: ${errors.join(" | ")}`);
    console.log(
      `JSON ${JSON.stringify({
        bench: "accrual",
        clients: CLIENTS,
        loadAverage: loads,
        statementsPerPost: sent.length,
        baseline: { eventsPerSecond: b.perSecond, p50Ms: b.p50Ms, p99Ms: b.p99Ms },
        direct: { eventsPerSecond: d.perSecond, p50Ms: d.p50Ms, p99Ms: d.p99Ms },
        http: { eventsPerSecond: h.perSecond, p50Ms: h.p50Ms, p99Ms: h.p99Ms, statuses: h.statuses },
        ratio,
        httpVsBaseline: httpVsBase,
        directVsBaseline: directVsBase,
        pgCpuVsBaseline: { http: pgHttpVsBase, direct: pgDirectVsBase },
        httpServerNodeCpuMs: httpServerNode,
        cpuRatio,
        targets: { httpVsBaseline: 0.5, pgCpuVsBaseline: 1.5, nodeCpuMs: 2 },
        cpuMsPerOrder: {
          baseline: { node: perOrder(cpu.baseline.node), postgres: pgPer.baseline },
          direct: { node: perOrder(cpu.direct.node), postgres: pgPer.direct },
          http: { node: perOrder(cpu.http.node), clientThread: perOrder(cpu.http.client), postgres: pgPer.http },
        },
        ordersStored: check.orders,
        ledgerMismatches: check.reconcile.mismatches.length,
      })}`,
    );
  } finally {
    await Promise.all(baseClients.map((c) => c.end()));
    await load.close();
    await server.close();
  }
}
