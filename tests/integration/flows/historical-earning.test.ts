import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import type { Trx } from "~/db.server";
import { createExperiment } from "~/domain/experiments/assignment.server";
import { earnForEvent } from "~/domain/flows/earning.server";
import { earnRecordedOrders } from "~/domain/flows/historical-earning.server";
import { earnRecordedOrder, setOrderRefundedTotal } from "~/domain/flows/purchase.server";
import { earnPoints, earnPointsMany, spendPoints, type EarnInput } from "~/domain/points/ledger.server";
import type { EarningRules } from "~/domain/points/rules";
import { saveTierProgram } from "~/domain/tiers/definitions.server";
import { resetClock } from "~/lib/clock.server";
import { seededRng } from "~/lib/random";
import type { Order } from "~db/schema";
import { ledgerFixture, SYSTEM, type LedgerFixture } from "../../support/ledger";

/**
 * The set-based earning of historical orders (app/domain/flows/historical-earning.server.ts) against the one-by-one
 * path it replaces: the same members (same ids: keys are per merchant), the same orders in two merchants, earned
 * `earnRecordedOrder` by `earnRecordedOrder` in one and `earnRecordedOrders` in the other, in two batches; the ledgers
 * (journals, entries, lots, allocations, balances) must be equal modulo generated ids and the instants of writing.
 */

afterEach(() => resetClock());

const DAY = 86_400_000;
const RULES: Partial<EarningRules> = {
  earning: { pointsPerUnit: 1, rounding: "floor", minimumOrderMinor: 500 },
  bonuses: { signup: 0, firstOrder: 50, birthday: 0, profileCompleted: 0 },
  customEvents: [{ key: "review", label: "a review", points: 40 }],
  caps: { perDay: 120, perMonth: 700, lifetime: null },
  pendingDays: 14,
  expiry: { mode: "after_earning", months: 12 },
};

const MEMBERS = 9;
const DEBTOR = 6; // owes a clawback debt → falls back
const DELETED = 7; // earns nothing
const HELD_OUT = 8; // the holdout's control arm: earns nothing
const REFUNDED = 5; // one of their orders already carries a refund → falls back

interface Plan {
  now: number;
  members: string[];
  orders: { id: string; member: number; external: string; amountMinor: number; at: Date }[];
}

/** A few hundred orders over the last ~200 days: several a day (day caps), ties on the same instant, small ones. */
function plan(): Plan {
  const rng = seededRng(1414);
  const tag = Math.random().toString(36).slice(2, 8);
  const members = Array.from({ length: MEMBERS }, (_, i) => `mbr_h2${tag}${i}`);
  const now = Date.now();
  const boundary = now - 14 * DAY; // the pending period's end: keep orders clear of it (the two runs read the clock apart)
  const orders: Plan["orders"] = [];
  let n = 0;
  for (let m = 0; m < MEMBERS; m++) {
    const count = m === 0 ? 80 : 25 + Math.floor(rng() * 20);
    for (let k = 0; k < count; k++) {
      let at = now - Math.floor(rng() * 200 * DAY);
      if (Math.abs(at - boundary) < 2 * 3_600_000) at -= 4 * 3_600_000;
      at -= at % 60_000;
      const amount = rng() < 0.15 ? 100 + Math.floor(rng() * 399) : 500 + Math.floor(rng() * 15_000);
      const id = `ord_${Math.floor(rng() * 36 ** 8).toString(36).padStart(8, "0")}${n}`;
      orders.push({ id, member: m, external: `h-${n}`, amountMinor: amount, at: new Date(at) });
      // A second order at the same instant now and then: the first order and the caps go by (occurred_at, id).
      if (rng() < 0.05) {
        n++;
        orders.push({ id: `ord_${Math.floor(rng() * 36 ** 8).toString(36).padStart(8, "0")}${n}`, member: m, external: `h-${n}`, amountMinor: 2000, at: new Date(at) });
      }
      n++;
    }
  }
  return { now, members, orders };
}

/** The members, their earlier history (an event lot, a debt), the holdout, and the plan's orders (inserted, not earned). */
async function prepare(f: LedgerFixture, p: Plan): Promise<Order[]> {
  return f.tx(async (trx) => {
    await trx
      .insertInto("members")
      .values(p.members.map((id, i) => ({ merchant_id: f.merchantId, id, email: `${id}@h2.test`, status: i === DELETED ? ("deleted" as const) : ("active" as const) })))
      .execute();
    const exp = await createExperiment(trx, f.merchantId, { kind: "loyalty_program", name: "Loyalty holdout", holdoutBps: 1000 });
    await sql`insert into experiment_assignments (merchant_id, experiment_id, member_id, arm, source, assigned_at)
      select ${f.merchantId}, ${exp.id}, m, case when m = ${p.members[HELD_OUT]!} then 'control' else 'treatment' end, 'random', now()
      from unnest(${p.members}::text[]) as m`.execute(trx);
    // An event lot inside the orders' span counts toward member 1's caps.
    await earnForEvent(trx, f.merchantId, { memberId: p.members[1]!, event: "review", idempotencyKey: "h2-review", occurredAt: new Date(p.now - 60 * DAY), actor: SYSTEM });
    // The debtor: an old order earned, spent, then refunded in full.
    const [old] = await trx
      .insertInto("orders")
      .values({ merchant_id: f.merchantId, id: "ord_h2debt", member_id: p.members[DEBTOR]!, source: "import", external_order_id: "h-debt", amount_minor: 30_000, currency: "USD", occurred_at: new Date(p.now - 400 * DAY) })
      .returningAll()
      .execute();
    await earnRecordedOrder(trx, f.merchantId, old!, SYSTEM);
    await spendPoints(trx, f.merchantId, { memberId: p.members[DEBTOR]!, points: 100, idempotencyKey: "h2-spend", description: "Spent", actor: SYSTEM });
    await setOrderRefundedTotal(trx, f.merchantId, { orderId: old!.id, refundedMinor: 30_000, causeKey: "h2-refund", actor: SYSTEM });

    const rows = await trx
      .insertInto("orders")
      .values(
        p.orders.map((o) => ({
          merchant_id: f.merchantId,
          id: o.id,
          member_id: p.members[o.member]!,
          source: "import" as const,
          external_order_id: o.external,
          amount_minor: o.amountMinor,
          currency: "USD",
          occurred_at: o.at,
        })),
      )
      .returningAll()
      .execute();
    rows.sort((a, b) => a.occurred_at.getTime() - b.occurred_at.getTime() || (a.id < b.id ? -1 : 1));
    // A refund that reached the order before its points (Stripe can deliver it first): the member's first order that
    // earns (the orders before it are under the minimum), half refunded.
    const refunded = rows.find((o) => o.member_id === p.members[REFUNDED] && o.amount_minor >= 500)!;
    refunded.refunded_minor = Math.floor(refunded.amount_minor / 2);
    await trx.updateTable("orders").set({ refunded_minor: refunded.refunded_minor }).where("merchant_id", "=", f.merchantId).where("id", "=", refunded.id).execute();
    return rows;
  });
}

/** The merchant's ledger with generated ids replaced by what identifies a row across the two merchants. */
async function ledger(trx: Trx, merchantId: string) {
  // Whole-ledger comparisons join by hash: in full runs (isolate: false, other files' rows in the same tables) the
  // planner estimated a row or two per merchant and nested the joins with join filters instead of key lookups — one
  // run spent 19 minutes in the entries query below, and an ANALYZE first did not prevent it.
  await sql`set local enable_nestloop = off`.execute(trx);
  const journals = await sql<Record<string, unknown>>`
    select j.kind, j.source, j.member_id, j.idempotency_key, j.order_id, r.idempotency_key as reverses, j.description, j.points::int,
      j.reason, j.note, j.metadata, j.actor_type, j.actor_id, j.effective_at = j.created_at as effective_now,
      case when j.effective_at = j.created_at then null else j.effective_at end as effective_at
    from ledger_journals j left join ledger_journals r on r.merchant_id = j.merchant_id and r.id = j.reverses_journal_id
    where j.merchant_id = ${merchantId} order by j.idempotency_key`.execute(trx);
  const entries = await sql<Record<string, unknown>>`
    select j.idempotency_key, e.seq, e.account, e.member_id, lj.idempotency_key as lot_of, e.amount::int
    from ledger_entries e join ledger_journals j on j.merchant_id = e.merchant_id and j.id = e.journal_id
    left join point_lots l on l.merchant_id = e.merchant_id and l.id = e.lot_id
    left join ledger_journals lj on lj.merchant_id = l.merchant_id and lj.id = l.journal_id
    where e.merchant_id = ${merchantId} order by j.idempotency_key, e.seq`.execute(trx);
  const lots = await sql<Record<string, unknown>>`
    select j.idempotency_key, l.member_id, l.source, l.order_id, l.points::int, l.remaining::int, l.consumed::int, l.expired::int, l.reversed::int,
      l.earned_at, l.pending_until, l.released_at is not null as released, l.expires_at, l.expired_at
    from point_lots l join ledger_journals j on j.merchant_id = l.merchant_id and j.id = l.journal_id
    where l.merchant_id = ${merchantId} order by j.idempotency_key`.execute(trx);
  const allocations = await sql<Record<string, unknown>>`
    select j.idempotency_key, lj.idempotency_key as lot_of, a.kind, a.points::int
    from lot_allocations a join ledger_journals j on j.merchant_id = a.merchant_id and j.id = a.journal_id
    join point_lots l on l.merchant_id = a.merchant_id and l.id = a.lot_id
    join ledger_journals lj on lj.merchant_id = l.merchant_id and lj.id = l.journal_id
    where a.merchant_id = ${merchantId} order by 1, 2, 3`.execute(trx);
  const balances = await sql<Record<string, unknown>>`
    select member_id, available::int, pending::int, clawback_debt::int, lifetime_earned::int, lifetime_redeemed::int,
      last_activity_at is not null as active
    from member_balances where merchant_id = ${merchantId} order by member_id`.execute(trx);
  return { journals: journals.rows, entries: entries.rows, lots: lots.rows, allocations: allocations.rows, balances: balances.rows };
}

describe("earnRecordedOrders", () => {
  it("writes exactly the ledger earnRecordedOrder writes order by order, falling back for the members it cannot earn in bulk", async () => {
    const p = plan();
    const one = await ledgerFixture(RULES, { timezone: "America/New_York" });
    const set = await ledgerFixture(RULES, { timezone: "America/New_York" });
    const oneOrders = await prepare(one, p);
    const setOrders = await prepare(set, p);
    const half = Math.floor(oneOrders.length / 2);

    // Two batches each, as two import batches: caps and first orders carry over from the first.
    let onePoints = 0;
    for (const batch of [oneOrders.slice(0, half), oneOrders.slice(half)]) {
      await one.tx(async (trx) => {
        for (const o of batch) onePoints += await earnRecordedOrder(trx, one.merchantId, o, SYSTEM);
      });
    }
    let setPoints = 0;
    let fallback = 0;
    for (const batch of [setOrders.slice(0, half), setOrders.slice(half)]) {
      const r = await set.tx((trx) => earnRecordedOrders(trx, set.merchantId, batch, SYSTEM));
      setPoints += r.points;
      fallback += r.fallback;
    }

    const a = await one.tx((trx) => ledger(trx, one.merchantId));
    const b = await set.tx((trx) => ledger(trx, set.merchantId));
    expect(b.journals).toEqual(a.journals);
    expect(b.entries).toEqual(a.entries);
    expect(b.lots).toEqual(a.lots);
    expect(b.allocations).toEqual(a.allocations);
    expect(b.balances).toEqual(a.balances);
    expect(setPoints).toBe(onePoints);
    expect((await set.reconcile()).mismatches).toEqual([]);

    // One by one: the debtor while in debt (the first batch settles it), and the refunded order's member in the batch
    // of that order; everybody else in bulk.
    const refundedAt = setOrders.findIndex((o) => o.refunded_minor > 0);
    const refundedBatch = refundedAt < half ? setOrders.slice(0, half) : setOrders.slice(half);
    const expectedFallback =
      setOrders.slice(0, half).filter((o) => o.member_id === p.members[DEBTOR]).length + refundedBatch.filter((o) => o.member_id === p.members[REFUNDED]).length;
    expect(fallback).toBe(expectedFallback);
    expect(a.journals.reduce((sum, j) => sum + ((j.metadata as { settledDebt?: number }).settledDebt ?? 0), 0)).toBe(100);

    // The comparison covered what it claims to: first orders, caps, small orders, pending and released lots, expiry.
    const earns = a.journals.filter((j) => j.kind === "earn" && j.source === "order");
    const breakdowns = earns.map((j) => (j.metadata as { breakdown: { firstOrderBonus: number; capped: boolean } }).breakdown);
    expect(breakdowns.filter((x) => x.firstOrderBonus > 0).length).toBeGreaterThanOrEqual(5);
    expect(breakdowns.filter((x) => x.capped).length).toBeGreaterThan(5);
    expect(earns.length).toBeLessThan(oneOrders.length); // below the minimum, capped to zero, held out, deleted
    expect(a.lots.some((l) => l.released === false)).toBe(true);
    expect(a.lots.some((l) => l.released === true && l.source === "order")).toBe(true);
    expect(a.lots.every((l) => l.expires_at !== null)).toBe(true);
    expect(a.balances.find((x) => x.member_id === p.members[HELD_OUT])).toMatchObject({ available: 0, pending: 0, lifetime_earned: 0 });
    expect(a.balances.find((x) => x.member_id === p.members[DELETED])).toMatchObject({ available: 0, pending: 0, lifetime_earned: 0 });
    expect(a.journals.some((j) => j.kind === "reverse" && j.idempotency_key === `catch-up:${setOrders.find((o) => o.refunded_minor > 0)!.id}`)).toBe(true);
  });

  it("earns every order one by one for a merchant with tiers (an upgrade changes the next order's multiplier)", async () => {
    const f = await ledgerFixture(RULES);
    const member = await f.newMember();
    await f.tx((trx) =>
      saveTierProgram(
        trx,
        f.merchantId,
        {
          settings: { basis: "spend", window: "calendar_year", graceDays: 0, downgrade: "one_step" },
          tiers: [{ id: null, name: "Bean", threshold: 10_000, earningPercent: 150, exclusiveAccess: false, birthdayBonus: 0, perks: "" }],
        },
        SYSTEM,
        new Date(),
      ),
    );
    const orders = await f.tx((trx) =>
      trx
        .insertInto("orders")
        .values([1, 2, 3].map((i) => ({ merchant_id: f.merchantId, id: `ord_tier${i}`, member_id: member, source: "import" as const, external_order_id: `t-${i}`, amount_minor: 8000, currency: "USD", occurred_at: new Date(Date.now() - (10 - i) * DAY) })))
        .returningAll()
        .execute(),
    );
    const r = await f.tx((trx) => earnRecordedOrders(trx, f.merchantId, orders, SYSTEM));
    expect(r.fallback).toBe(3);
    // The second order reached the tier (spend ≥ 10,000): the third earned with its multiplier.
    const third = await f.tx((trx) => trx.selectFrom("ledger_journals").select("metadata").where("merchant_id", "=", f.merchantId).where("idempotency_key", "=", "order:ord_tier3").executeTakeFirstOrThrow());
    expect((third.metadata as { breakdown: { tierPercent: number } }).breakdown.tierPercent).toBe(150);
  });
});

describe("earnPointsMany", () => {
  it("writes exactly the ledger earnPoints writes one by one (debts settled in order, balances created, keys replayed)", async () => {
    const tag = Math.random().toString(36).slice(2, 8);
    const members = [0, 1, 2, 3].map((i) => `mbr_pm${tag}${i}`);
    const now = Date.now();
    // Member 0 owes a debt (an old order earned, spent, refunded) that the earnings settle; member 3 has no balance
    // row until earning; one key was used before (replayed, not posted again).
    const setUp = async (f: LedgerFixture) =>
      f.tx(async (trx) => {
        await trx.insertInto("members").values(members.map((id) => ({ merchant_id: f.merchantId, id, email: `${id}@pm.test` }))).execute();
        const [old] = await trx
          .insertInto("orders")
          .values({ merchant_id: f.merchantId, id: "ord_pmdebt", member_id: members[0]!, source: "import", external_order_id: "pm-debt", amount_minor: 30_000, currency: "USD", occurred_at: new Date(now - 400 * DAY) })
          .returningAll()
          .execute();
        await earnRecordedOrder(trx, f.merchantId, old!, SYSTEM);
        await spendPoints(trx, f.merchantId, { memberId: members[0]!, points: 100, idempotencyKey: "pm-spend", description: "Spent", actor: SYSTEM });
        await setOrderRefundedTotal(trx, f.merchantId, { orderId: old!.id, refundedMinor: 30_000, causeKey: "pm-refund", actor: SYSTEM });
        await earnPoints(trx, f.merchantId, { memberId: members[1]!, points: 300, source: "referral", idempotencyKey: "pm:0", description: "Earlier", earnedAt: new Date(now - 90 * DAY), actor: SYSTEM });
      });
    const inputs: EarnInput[] = Array.from({ length: 40 }, (_, i) => ({
      memberId: members[i === 0 ? 1 : i % 4]!,
      points: i === 0 ? 300 : 25 + ((i * 37) % 500),
      source: "referral",
      idempotencyKey: `pm:${i}`,
      description: i % 2 ? "Referral reward" : "Welcome reward",
      earnedAt: new Date(now - (60 - i) * DAY),
      pendingUntil: i % 3 === 0 ? new Date(now + 10 * DAY) : null,
      metadata: { n: i },
      actor: SYSTEM,
    }));
    const one = await ledgerFixture(RULES, { timezone: "America/New_York" });
    const set = await ledgerFixture(RULES, { timezone: "America/New_York" });
    await setUp(one);
    await setUp(set);
    expect(await one.balance(members[0]!)).toMatchObject({ clawback_debt: 100 });

    const a = await one.tx(async (trx) => {
      const out = [];
      for (const input of inputs) out.push(await earnPoints(trx, one.merchantId, input));
      return out;
    });
    const b = await set.tx((trx) => earnPointsMany(trx, set.merchantId, inputs));
    expect(b.map((r) => [r.points, r.replayed, r.lotId !== null])).toEqual(a.map((r) => [r.points, r.replayed, r.lotId !== null]));
    expect(b[0]!.replayed).toBe(true);

    const la = await one.tx((trx) => ledger(trx, one.merchantId));
    const lb = await set.tx((trx) => ledger(trx, set.merchantId));
    expect(lb.journals).toEqual(la.journals);
    expect(lb.entries).toEqual(la.entries);
    expect(lb.lots).toEqual(la.lots);
    expect(lb.allocations).toEqual(la.allocations);
    expect(lb.balances).toEqual(la.balances);
    expect((await set.reconcile()).mismatches).toEqual([]);
    // The comparison covered the debt's settlement and both pending and released lots.
    expect(la.journals.some((j) => (j.metadata as { settledDebt?: number }).settledDebt === 100)).toBe(true);
    expect(la.lots.some((l) => l.released === false) && la.lots.some((l) => l.released === true)).toBe(true);

    // A key used before for another member is refused, as earnPoints refuses it.
    await expect(set.tx((trx) => earnPointsMany(trx, set.merchantId, [{ ...inputs[1]!, memberId: members[2]! }]))).rejects.toMatchObject({ code: "idempotency_conflict" });
  });
});
