import { describe, expect, it } from "vitest";
import { sql } from "kysely";
import { postJournals } from "~/domain/points/journals.server";
import { earnLocked, earnManyLocked, earnPoints, lockBalance, type EarnInput } from "~/domain/points/ledger.server";
import { spendPosting } from "~/domain/points/postings";
import { ledgerFixture, SYSTEM, type LedgerFixture } from "../../support/ledger";

/**
 * The ledger's bulk posting (app/domain/points/journals.server.ts): many journals in one statement write what the
 * same journals posted one at a time write — balances summed per member, lot changes summed per lot, debts settled in
 * order — and it refuses what one statement cannot do right.
 */

const key = () => `k-${Math.random().toString(36).slice(2)}`;

async function owing(f: LedgerFixture, debt: number): Promise<string> {
  const m = await f.newMember();
  await f.tx(async (trx) => {
    await lockBalance(trx, f.merchantId, m);
    // A debt as a refund of spent points leaves it: the cache and a journal that records it (reconcile re-derives both).
    await postJournals(trx, f.merchantId, [
      {
        journal: { kind: "reverse", source: "refund", memberId: m, idempotencyKey: key(), description: "debt", actor: SYSTEM },
        posting: { entries: [{ account: "member_clawback", amount: -debt }, { account: "merchant_issued", amount: debt }], lotChanges: [], allocations: [] },
      },
    ]);
  });
  return m;
}

const earning = (memberId: string, points: number): EarnInput => ({
  memberId,
  points,
  source: "order",
  idempotencyKey: key(),
  description: `earn ${points}`,
  metadata: { n: points },
  actor: SYSTEM,
});

async function ledgerOf(f: LedgerFixture, memberIds: string[]) {
  return f.tx(async (trx) => {
    const balances = await trx
      .selectFrom("member_balances")
      .select(["member_id", "available", "pending", "clawback_debt", "lifetime_earned", "lifetime_redeemed"])
      .where("merchant_id", "=", f.merchantId)
      .execute();
    const journals = await sql<{ member_id: string; points: string; metadata: unknown }>`
      select member_id, points, metadata from ledger_journals where merchant_id = ${f.merchantId} order by seq`.execute(trx);
    return {
      // By the member's place in the plan (ids are random, so their order differs between the two merchants).
      balances: balances.map((b) => ({ ...b, member_id: memberIds.indexOf(b.member_id) })).sort((x, y) => x.member_id - y.member_id),
      journals: journals.rows.map((j) => ({ ...j, member_id: memberIds.indexOf(j.member_id) })),
    };
  });
}

describe("postJournals / earnManyLocked", () => {
  it("earns many as earnLocked one by one does: debts settled in order, balances summed per member", async () => {
    const [one, many] = [await ledgerFixture(), await ledgerFixture()];
    const plan = [7, 5, 30, 2, 11];
    const run = async (f: LedgerFixture, bulk: boolean) => {
      const members = [await owing(f, 10), await f.newMember()];
      const inputs = plan.flatMap((p, i) => [earning(members[0]!, p), earning(members[1]!, p + i)]);
      await f.tx(async (trx) => {
        if (bulk) {
          for (const m of members) await lockBalance(trx, f.merchantId, m);
          await earnManyLocked(trx, f.merchantId, new Map([[members[0]!, 10], [members[1]!, 0]]), inputs);
        } else {
          for (const input of inputs) await earnLocked(trx, f.merchantId, await lockBalance(trx, f.merchantId, input.memberId), input);
        }
      });
      return ledgerOf(f, members);
    };
    const a = await run(one, false);
    const b = await run(many, true);
    expect(b).toEqual(a);
    expect(a.balances[0]).toMatchObject({ clawback_debt: 0, available: 7 + 5 + 30 + 2 + 11 - 10 });
    expect(a.journals.filter((j) => (j.metadata as { settledDebt?: number }).settledDebt).length).toBe(2);
    expect((await many.reconcile()).mismatches).toEqual([]);
  });

  it("sums several journals' changes to one lot and one balance", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    await f.tx(async (trx) => {
      await earnPoints(trx, f.merchantId, earning(m, 100));
    });
    await f.tx(async (trx) => {
      await lockBalance(trx, f.merchantId, m);
      const lot = await trx.selectFrom("point_lots").select(["id", "remaining", "released_at"]).where("merchant_id", "=", f.merchantId).executeTakeFirstOrThrow();
      const spend = (points: number, remaining: number) => ({
        journal: { kind: "spend" as const, source: "spend", memberId: m, idempotencyKey: key(), description: `spend ${points}`, actor: SYSTEM },
        posting: spendPosting({ points, available: remaining, lots: [{ id: lot.id, remaining, releasedAt: lot.released_at }], kind: "spend" }),
      });
      await postJournals(trx, f.merchantId, [spend(30, 100), spend(25, 70)]);
    });
    expect(await f.balance(m)).toMatchObject({ available: 45 });
    const lot = await f.tx((trx) => trx.selectFrom("point_lots").select(["remaining", "consumed"]).where("merchant_id", "=", f.merchantId).executeTakeFirstOrThrow());
    expect(lot).toEqual({ remaining: 45, consumed: 55 });
    expect((await f.reconcile()).mismatches).toEqual([]);
  });

  it("refuses a key twice and a lot created and changed in one call, writing nothing", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    const twice = earning(m, 5);
    await expect(
      f.tx(async (trx) => {
        await lockBalance(trx, f.merchantId, m);
        await earnManyLocked(trx, f.merchantId, new Map([[m, 0]]), [twice, { ...twice }]);
      }),
    ).rejects.toThrow(/twice in one posting/);
    await expect(
      f.tx(async (trx) => {
        await lockBalance(trx, f.merchantId, m);
        const j = { kind: "earn" as const, source: "order", memberId: m, description: "x", actor: SYSTEM };
        const lot = { id: "lot_x", source: "order", orderId: null, points: 5, remaining: 5, consumed: 0, earnedAt: new Date(), pendingUntil: null, releasedAt: new Date(), expiresAt: null };
        await postJournals(trx, f.merchantId, [
          { journal: { ...j, idempotencyKey: key() }, posting: { entries: [{ account: "merchant_issued", amount: -5 }, { account: "member_available", lotId: "lot_x", amount: 5 }], lotChanges: [], allocations: [], newLot: lot } },
          { journal: { ...j, idempotencyKey: key() }, posting: { entries: [], lotChanges: [{ lotId: "lot_x", remaining: -1, expired: 1 }], allocations: [] } },
        ]);
      }),
    ).rejects.toThrow(/created and changed in one posting/);
    const journals = await f.tx((trx) => trx.selectFrom("ledger_journals").select("id").where("merchant_id", "=", f.merchantId).execute());
    expect(journals).toEqual([]);
  });
});
