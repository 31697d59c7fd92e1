/**
 * Accrual through the HTTP API vs the same SQL transaction run directly (issue 3, benchmark 1).
 *  - HTTP: POST /api/v1/orders on the production build served in-process, 8 concurrent clients (keep-alive
 *    connections), each order for a distinct existing member — the full path: bearer-key check, Idempotency-Key
 *    claim and stored response, Zod, then recordPurchase (channel "api": member lock, currency rule, the order, its
 *    earning and the programs' events).
 *  - direct: the same recordPurchase with channel "api" inside withTenant on 8 concurrent pg connections, no HTTP, no
 *    key check, no idempotency row.
 * The two paths run alternately (four rounds each) so background load on the machine hits both alike; the ratio is
 * HTTP events/s ÷ direct events/s over all rounds (target ≥ 0.5). The CPU each order cost (this process and the
 * PostgreSQL server, from /proc) is printed too: it is steadier than throughput when other work shares the cores.
 */
import { db, withTenant } from "../../app/db.server";
import { reconcileLedger } from "../../app/domain/points/balance.server";
import { recordPurchase } from "../../app/domain/flows/purchase.server";
import { benchMerchant, closedLoop, HttpLoad, mergeResults, startProductionServer, summary, withCpu, type LoadResult, type PreparedPost } from "./points-support";

const CLIENTS = 8;
const PER_CLIENT = 100;
const WARMUP_PER_CLIENT = 15;
// Many short alternating rounds, so background load on a shared machine falls on both paths alike.
const ROUNDS = 4;

export async function run(_ownerUrl: string): Promise<void> {
  const perPath = CLIENTS * (PER_CLIENT * ROUNDS + WARMUP_PER_CLIENT);
  const { merchantId, memberIds, token } = await benchMerchant(perPath * 2);
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

  try {
    await closedLoop(CLIENTS, WARMUP_PER_CLIENT, direct);
    await load.run(httpOrders(WARMUP_PER_CLIENT));
    const results: Record<"direct" | "http", LoadResult[]> = { direct: [], http: [] };
    const cpu = { direct: { node: 0, pg: 0 }, http: { node: 0, pg: 0, client: 0 } };
    for (let round = 0; round < ROUNDS; round++) {
      const d = await withCpu(() => closedLoop(CLIENTS, PER_CLIENT, direct));
      results.direct.push(d.result);
      cpu.direct.node += d.nodeCpuMs;
      cpu.direct.pg += d.pgCpuMs;
      const h = await withCpu(() => load.run(httpOrders(PER_CLIENT)));
      results.http.push(h.result);
      cpu.http.node += h.nodeCpuMs;
      cpu.http.pg += h.pgCpuMs;
      cpu.http.client += h.result.clientBusyMs;
    }
    const perOrder = (ms: number) => Math.round((ms / (CLIENTS * PER_CLIENT * ROUNDS)) * 100) / 100;
    const directAll = mergeResults(results.direct);
    const httpAll = mergeResults(results.http);
    const d = summary(directAll);
    const h = summary(httpAll);
    const errors = [...directAll.errors, ...httpAll.errors];
    const ratio = Math.round((h.perSecond / d.perSecond) * 100) / 100;

    const check = await withTenant(db(), merchantId, async (trx) => ({
      orders: Number((await trx.selectFrom("orders").select((e) => e.fn.countAll<string>().as("n")).executeTakeFirstOrThrow()).n),
      reconcile: await reconcileLedger(trx, merchantId),
    }));

    console.log(`${CLIENTS} concurrent clients, ${PER_CLIENT} orders each per round, ${ROUNDS} rounds per path (alternating), distinct members; HTTP clients in a worker thread`);
    console.log("| path | orders | events/s | p50 ms | p99 ms | max ms |");
    console.log("|---|---:|---:|---:|---:|---:|");
    console.log(`| direct: recordPurchase (api) in withTenant (8 pg clients) | ${d.requests} | ${d.perSecond} | ${d.p50Ms} | ${d.p99Ms} | ${d.maxMs} |`);
    console.log(`| HTTP: POST /api/v1/orders (8 clients) | ${h.requests} | ${h.perSecond} | ${h.p50Ms} | ${h.p99Ms} | ${h.maxMs} |`);
    const cpuRatio = Math.round(((cpu.direct.node + cpu.direct.pg) / (cpu.http.node + cpu.http.pg)) * 100) / 100;
    console.log(`ratio HTTP ÷ direct: ${ratio} (target ≥ 0.5) — ${ratio >= 0.5 ? "met" : "NOT met"}; by CPU per order: ${cpuRatio}`);
    console.log(
      `CPU per order — direct: node ${perOrder(cpu.direct.node)} ms + PostgreSQL ${perOrder(cpu.direct.pg)} ms; ` +
        `HTTP: node ${perOrder(cpu.http.node)} ms (of which the client thread ≈ ${perOrder(cpu.http.client)} ms) + PostgreSQL ${perOrder(cpu.http.pg)} ms`,
    );
    console.log(`HTTP statuses ${JSON.stringify(h.statuses)}; orders stored ${check.orders} (expected ${perPath * 2}); ledger mismatches ${check.reconcile.mismatches.length}`);
    if (errors.length) console.log(`errors: ${errors.join(" | ")}`);
    console.log(
      `JSON ${JSON.stringify({
        bench: "accrual",
        clients: CLIENTS,
        direct: { eventsPerSecond: d.perSecond, p50Ms: d.p50Ms, p99Ms: d.p99Ms },
        http: { eventsPerSecond: h.perSecond, p50Ms: h.p50Ms, p99Ms: h.p99Ms, statuses: h.statuses },
        ratio,
        cpuRatio,
        target: 0.5,
        cpuMsPerOrder: {
          direct: { node: perOrder(cpu.direct.node), postgres: perOrder(cpu.direct.pg) },
          http: { node: perOrder(cpu.http.node), clientThread: perOrder(cpu.http.client), postgres: perOrder(cpu.http.pg) },
        },
        ordersStored: check.orders,
        ledgerMismatches: check.reconcile.mismatches.length,
      })}`,
    );
  } finally {
    await load.close();
    await server.close();
  }
}
