/**
 * 32 concurrent debits on one member through the API (issue 3, benchmark 3): POST /api/v1/members/{id}/points/spend
 * on the production build served in-process. Every spend of one member serialises on the member's balance row lock,
 * so this measures the length of that critical section under contention. Two shapes:
 *  - bursts: 32 spends sent at once, 20 times (each burst waits for the previous one);
 *  - sustained: 32 clients in a closed loop, 20 spends each, run past the balance so the tail is refused.
 * Target: p99 ≤ 300 ms; only 201s and clean 409 insufficient_points; the balance ends exact and reconciles.
 */
import { db, withTenant } from "../../app/db.server";
import { reconcileLedger } from "../../app/domain/points/balance.server";
import { benchMerchant, HttpLoad, mergeResults, percentile, postJson, round, startProductionServer, summary, type PreparedPost } from "./points-support";

const CONCURRENCY = 32;
const BURSTS = 20;
const PER_CLIENT = 20;
const COST = 10;
// Enough for every burst and most of the sustained run: the last ~80 sustained spends get 409 insufficient_points.
const STARTING_BALANCE = (CONCURRENCY * BURSTS + CONCURRENCY * PER_CLIENT - 80) * COST;

export async function run(_ownerUrl: string): Promise<void> {
  const { merchantId, memberIds, token } = await benchMerchant(1);
  const memberId = memberIds[0]!;
  const server = await startProductionServer();
  const load = new HttpLoad(server.baseUrl, token);
  const spend: PreparedPost = { path: `/api/v1/members/${memberId}/points/spend`, body: { points: COST, description: "bench reward" } };
  const clients = (n: number, each: number) => Array.from({ length: n }, () => Array.from({ length: each }, () => spend));

  try {
    const top = await postJson(server.baseUrl, token, `/api/v1/members/${memberId}/points/adjust`, { points: STARTING_BALANCE, reason: "bench balance" });
    if (top.status !== 201) throw new Error(`top-up failed: ${JSON.stringify(top.json)}`);
    // Warm-up: connections, JIT, plans (a few spends, counted in the final balance check).
    const warm = await load.run(clients(4, 5));

    const bursts = [];
    for (let b = 0; b < BURSTS; b++) bursts.push(await load.run(clients(CONCURRENCY, 1)));
    const burst = mergeResults(bursts);
    const sustained = await load.run(clients(CONCURRENCY, PER_CLIENT));
    const refusals: Record<string, number> = {};
    for (const r of [...bursts, sustained]) for (const [k, v] of Object.entries(r.refusals)) refusals[k] = (refusals[k] ?? 0) + v;

    const b = summary(burst);
    const s = summary(sustained);
    const successes = [warm, burst, sustained].reduce((n, r) => n + (r.statuses.get(201) ?? 0), 0);
    const check = await withTenant(db(), merchantId, async (trx) => ({
      balance: await trx.selectFrom("member_balances").select(["available"]).where("member_id", "=", memberId).executeTakeFirstOrThrow(),
      reconcile: await reconcileLedger(trx, merchantId),
    }));
    const clean = [burst, sustained].every((r) => [...r.statuses.keys()].every((k) => k === 201 || k === 409)) && Object.keys(refusals).every((k) => k === "insufficient_points");
    const exact = check.balance.available === STARTING_BALANCE - successes * COST;
    const p99 = Math.max(b.p99Ms, s.p99Ms);

    console.log(`one member, starting balance ${STARTING_BALANCE} points, spends of ${COST}; HTTP clients in a worker thread`);
    console.log("| shape | spends | spends/s | p50 ms | p99 ms | max ms | statuses |");
    console.log("|---|---:|---:|---:|---:|---:|---|");
    console.log(`| ${BURSTS} bursts of ${CONCURRENCY} at once | ${b.requests} | ${b.perSecond} | ${b.p50Ms} | ${b.p99Ms} | ${b.maxMs} | ${JSON.stringify(b.statuses)} |`);
    console.log(`| ${CONCURRENCY} clients × ${PER_CLIENT} back to back | ${s.requests} | ${s.perSecond} | ${s.p50Ms} | ${s.p99Ms} | ${s.maxMs} | ${JSON.stringify(s.statuses)} |`);
    console.log(`p99 ${p99} ms (target ≤ 300) — ${p99 <= 300 ? "met" : "NOT met"}; only 201 and 409 insufficient_points: ${clean ? "yes" : "NO"} ${JSON.stringify(refusals)}`);
    console.log(`final balance ${check.balance.available} = ${STARTING_BALANCE} − ${successes} × ${COST}: ${exact ? "yes" : "NO"}; ledger mismatches ${check.reconcile.mismatches.length}`);
    const errors = [...burst.errors, ...sustained.errors];
    if (errors.length) console.log(`errors: ${errors.join(" | ")}`);
    console.log(
      `JSON ${JSON.stringify({
        bench: "debits",
        concurrency: CONCURRENCY,
        bursts: { spends: b.requests, perSecond: b.perSecond, p50Ms: b.p50Ms, p99Ms: b.p99Ms, maxMs: b.maxMs, statuses: b.statuses },
        sustained: { spends: s.requests, perSecond: s.perSecond, p50Ms: s.p50Ms, p99Ms: s.p99Ms, maxMs: s.maxMs, statuses: s.statuses },
        p99Ms: p99,
        target: 300,
        onlyCleanRefusals: clean,
        balanceExact: exact,
        ledgerMismatches: check.reconcile.mismatches.length,
        burstP90Ms: round(percentile(burst.latenciesMs, 90)),
      })}`,
    );
  } finally {
    await load.close();
    await server.close();
  }
}
