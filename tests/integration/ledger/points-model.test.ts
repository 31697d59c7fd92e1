import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { advanceClock, now, resetClock } from "~/lib/clock.server";
import { adjustPoints, expireDueLots, forgiveClawback, spendPoints } from "~/domain/points/ledger.server";
import { recordPurchase, recordRefund, setOrderDisputeStatus, setOrderRefundedTotal } from "~/domain/flows/purchase.server";
import { DEFAULT_EARNING_RULES, lotExpiresAt, type EarningRules } from "~/domain/points/rules";
import { ledgerFixture, SYSTEM } from "../../support/ledger";

/**
 * L4: a seeded model-based test. Random sequences of earn, spend (also many in parallel), refund (API and
 * Stripe-style cumulative), dispute, adjust, forgive and expiry run against PostgreSQL and against a small
 * in-memory model of the ledger; after every step the member balances must agree, and at the end every cache
 * must reconcile with the append-only entries.
 *
 * Replay a failure with the printed seed and path:
 *   LEDGER_MODEL_SEED=<seed> LEDGER_MODEL_PATH=<path> npx vitest run tests/integration/points-model.test.ts
 * More runs: LEDGER_MODEL_RUNS=500.
 */

const MEMBERS = 3;
const DAY = 86_400_000;

type Op =
  | { t: "order"; m: number; amount: number }
  | { t: "spend"; m: number; points: number }
  | { t: "parallelSpends"; m: number; k: number; points: number }
  | { t: "refund"; o: number; amount: number }
  | { t: "stripeRefundTotal"; o: number; total: number }
  | { t: "dispute"; o: number; status: "withdrawn" | "reinstated" }
  | { t: "adjust"; m: number; points: number }
  | { t: "forgive"; m: number }
  | { t: "advance"; days: number };

const member = fc.integer({ min: 0, max: MEMBERS - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant("order" as const), m: member, amount: fc.integer({ min: 0, max: 20_000 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("spend" as const), m: member, points: fc.integer({ min: 1, max: 150 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("parallelSpends" as const), m: member, k: fc.integer({ min: 2, max: 8 }), points: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("refund" as const), o: fc.nat(), amount: fc.integer({ min: 1, max: 12_000 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("stripeRefundTotal" as const), o: fc.nat(), total: fc.integer({ min: 0, max: 20_000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("dispute" as const), o: fc.nat(), status: fc.constantFrom("withdrawn" as const, "reinstated" as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("adjust" as const), m: member, points: fc.integer({ min: -60, max: 60 }).filter((p) => p !== 0) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("forgive" as const), m: member }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("advance" as const), days: fc.integer({ min: 1, max: 40 }) }) },
);

// ---- the model ------------------------------------------------------------------------------------------------

interface MLot {
  points: number;
  remaining: number;
  consumed: number;
  expired: number;
  reversed: number;
  expiresAt: number | null;
}
interface MOrder {
  id: string;
  member: number;
  amount: number;
  refunded: number;
  dispute: "none" | "withdrawn" | "reinstated";
  lot: MLot | null;
}
interface MMember {
  lots: MLot[];
  debt: number;
}

class Model {
  members: MMember[] = Array.from({ length: MEMBERS }, () => ({ lots: [], debt: 0 }));
  orders: MOrder[] = [];

  available(m: number) {
    return this.members[m]!.lots.reduce((s, l) => s + l.remaining, 0);
  }

  earn(m: number, points: number, expiresAt: number | null): MLot {
    const mem = this.members[m]!;
    const settle = Math.min(mem.debt, points);
    mem.debt -= settle;
    const lot = { points, remaining: points - settle, consumed: settle, expired: 0, reversed: 0, expiresAt };
    mem.lots.push(lot);
    return lot;
  }

  spend(m: number, points: number): boolean {
    if (this.available(m) < points) return false;
    let left = points;
    for (const lot of this.members[m]!.lots) {
      const take = Math.min(lot.remaining, left);
      lot.remaining -= take;
      lot.consumed += take;
      left -= take;
    }
    return true;
  }

  sync(o: MOrder) {
    const lot = o.lot;
    if (!lot) return;
    const target = o.dispute === "withdrawn" ? lot.points : Math.floor((lot.points * o.refunded) / o.amount);
    const diff = target - lot.reversed;
    const mem = this.members[o.member]!;
    if (diff > 0) {
      const a = Math.min(diff, lot.remaining);
      const b = Math.min(diff - a, lot.expired);
      const c = diff - a - b;
      lot.remaining -= a;
      lot.expired -= b;
      lot.consumed -= c;
      lot.reversed += diff;
      mem.debt += c;
    } else if (diff < 0) {
      const y = -diff;
      const d = Math.min(mem.debt, y);
      mem.debt -= d;
      lot.consumed += d;
      lot.remaining += y - d;
      lot.reversed -= y;
    }
  }

  expire(at: number) {
    for (const mem of this.members) {
      for (const lot of mem.lots) {
        if (lot.remaining > 0 && lot.expiresAt !== null && lot.expiresAt <= at) {
          lot.expired += lot.remaining;
          lot.remaining = 0;
        }
      }
    }
  }
}

// ---- the run --------------------------------------------------------------------------------------------------

const RULES: Partial<EarningRules> = { pendingDays: 0, expiry: { mode: "after_earning", months: 1 }, bonuses: { ...DEFAULT_EARNING_RULES.bonuses, firstOrder: 0 } };

async function runOps(ops: Op[]) {
  resetClock();
  const f = await ledgerFixture(RULES);
  const rules = { ...DEFAULT_EARNING_RULES, ...RULES } as EarningRules;
  const memberIds: string[] = [];
  for (let i = 0; i < MEMBERS; i++) memberIds.push(await f.newMember());
  const model = new Model();
  let seq = 0;
  const key = () => `model-${++seq}`;
  const isInsufficient = (err: unknown) => (err as { code?: string }).code === "insufficient_points";

  for (const op of ops) {
    advanceClock(1); // strictly increasing earn times make "oldest lot first" deterministic
    switch (op.t) {
      case "order": {
        const at = now();
        const res = await f.tx((trx) =>
          recordPurchase(
            trx,
            f.merchantId,
            {
              memberId: memberIds[op.m]!,
              externalOrderId: `o${seq++}`,
              amountMinor: op.amount,
              currency: "USD",
              occurredAt: at,
              awardPoints: true,
            },
            { channel: "api", actor: SYSTEM },
          ),
        );
        const points = Math.floor(op.amount / 100);
        const lot = points > 0 ? model.earn(op.m, points, lotExpiresAt(rules, at)?.getTime() ?? null) : null;
        expect(res.points).toBe(points);
        model.orders.push({ id: res.order.id, member: op.m, amount: op.amount, refunded: 0, dispute: "none", lot });
        break;
      }
      case "spend": {
        const expected = model.spend(op.m, op.points);
        const ok = await f
          .tx((trx) => spendPoints(trx, f.merchantId, { memberId: memberIds[op.m]!, points: op.points, idempotencyKey: key(), description: "spend", actor: SYSTEM }))
          .then(() => true, (err) => (isInsufficient(err) ? false : Promise.reject(err)));
        expect(ok).toBe(expected);
        break;
      }
      case "parallelSpends": {
        const results = await Promise.all(
          Array.from({ length: op.k }, () =>
            f
              .tx((trx) => spendPoints(trx, f.merchantId, { memberId: memberIds[op.m]!, points: op.points, idempotencyKey: key(), description: "spend", actor: SYSTEM }))
              .then(() => true, (err) => (isInsufficient(err) ? false : Promise.reject(err))),
          ),
        );
        let expected = 0;
        for (let i = 0; i < op.k; i++) if (model.spend(op.m, op.points)) expected++;
        expect(results.filter(Boolean).length).toBe(expected);
        break;
      }
      case "refund": {
        const o = model.orders[op.o % Math.max(model.orders.length, 1)];
        if (!o) break;
        const fits = o.refunded + op.amount <= o.amount;
        const outcome = await f
          .tx((trx) => recordRefund(trx, f.merchantId, { orderId: o.id, externalRefundId: key(), amountMinor: op.amount, actor: SYSTEM }))
          .then(() => "ok", (err) => ((err as { code?: string }).code === "refund_exceeds_order" ? "refused" : Promise.reject(err)));
        expect(outcome).toBe(fits ? "ok" : "refused");
        if (fits) {
          o.refunded += op.amount;
          model.sync(o);
        }
        break;
      }
      case "stripeRefundTotal": {
        const o = model.orders[op.o % Math.max(model.orders.length, 1)];
        if (!o) break;
        await f.tx((trx) => setOrderRefundedTotal(trx, f.merchantId, { orderId: o.id, refundedMinor: op.total, causeKey: key(), actor: SYSTEM }));
        o.refunded = Math.min(o.amount, Math.max(o.refunded, op.total));
        model.sync(o);
        break;
      }
      case "dispute": {
        const o = model.orders[op.o % Math.max(model.orders.length, 1)];
        if (!o) break;
        await f.tx((trx) => setOrderDisputeStatus(trx, f.merchantId, { orderId: o.id, status: op.status, causeKey: key(), actor: SYSTEM }));
        if (o.dispute !== "reinstated") o.dispute = op.status;
        model.sync(o);
        break;
      }
      case "adjust": {
        let expected = true;
        if (op.points > 0) model.earn(op.m, op.points, lotExpiresAt(rules, now())?.getTime() ?? null);
        else expected = model.spend(op.m, -op.points);
        const ok = await f
          .tx((trx) => adjustPoints(trx, f.merchantId, { memberId: memberIds[op.m]!, points: op.points, reason: "model", idempotencyKey: key(), actor: SYSTEM }))
          .then(() => true, (err) => (isInsufficient(err) ? false : Promise.reject(err)));
        expect(ok).toBe(expected);
        break;
      }
      case "forgive": {
        const debt = model.members[op.m]!.debt;
        const ok = await f
          .tx((trx) => forgiveClawback(trx, f.merchantId, { memberId: memberIds[op.m]!, idempotencyKey: key(), actor: SYSTEM }))
          .then(() => true, (err) => ((err as { code?: string }).code === "no_clawback_debt" ? false : Promise.reject(err)));
        expect(ok).toBe(debt > 0);
        model.members[op.m]!.debt = 0;
        break;
      }
      case "advance": {
        advanceClock(op.days * DAY);
        for (const id of memberIds) await f.tx((trx) => expireDueLots(trx, f.merchantId, id));
        model.expire(now().getTime());
        break;
      }
    }
    for (let i = 0; i < MEMBERS; i++) {
      const b = await f.balance(memberIds[i]!);
      expect({ member: i, available: b.available, debt: b.clawback_debt }).toEqual({ member: i, available: model.available(i), debt: model.members[i]!.debt });
    }
  }
  expect((await f.reconcile()).mismatches).toEqual([]);
}

afterEach(() => resetClock());

describe("L4: the ledger against an in-memory model", () => {
  it("agrees on every step of random earn/spend/refund/dispute/expiry sequences", { timeout: 600_000 }, async () => {
    const seed = process.env.LEDGER_MODEL_SEED ? Number(process.env.LEDGER_MODEL_SEED) : Date.now() ^ (Math.random() * 2 ** 31);
    const numRuns = Number(process.env.LEDGER_MODEL_RUNS ?? 100);
    console.log(`[ledger model] seed=${seed} runs=${numRuns} (replay: LEDGER_MODEL_SEED=${seed})`);
    await fc.assert(fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), runOps), {
      seed,
      numRuns,
      path: process.env.LEDGER_MODEL_PATH,
      endOnFailure: false,
    });
  });
});
