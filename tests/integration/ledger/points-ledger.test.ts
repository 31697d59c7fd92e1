import { sql } from "kysely";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { advanceClock, now, resetClock } from "~/lib/clock.server";
import { adjustPoints, earnPoints, expireDueLots, forgiveClawback, releaseDueLots, spendPoints } from "~/domain/points/ledger.server";
import { earnRecordedOrder, recordPurchase, recordRefund, setOrderDisputeStatus, setOrderRefundedTotal } from "~/domain/flows/purchase.server";
import { newId } from "~/lib/ids";
import { ownerUrl, testDb } from "../../support/db";
import { withHttpStatus } from "../../support/errors";
import { ledgerFixture, SYSTEM } from "../../support/ledger";

const DAY = 86_400_000;
const key = () => `k-${crypto.randomUUID()}`;

afterEach(() => resetClock());

async function order(f: Awaited<ReturnType<typeof ledgerFixture>>, memberId: string, amountMinor: number, occurredAt = now()) {
  return f.tx((trx) =>
    recordPurchase(
      trx,
      f.merchantId,
      {
        memberId,
        externalOrderId: `o-${crypto.randomUUID().slice(0, 8)}`,
        amountMinor,
        currency: "USD",
        occurredAt,
        awardPoints: true,
      },
      { channel: "api", actor: SYSTEM },
    ),
  );
}

describe("points ledger: earn and spend", () => {
  it("spends oldest lots first and records each lot's share", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    const first = await f.tx((trx) => earnPoints(trx, f.merchantId, { memberId: m, points: 30, source: "adjustment", idempotencyKey: key(), description: "a", actor: SYSTEM }));
    advanceClock(1000);
    const second = await f.tx((trx) => earnPoints(trx, f.merchantId, { memberId: m, points: 50, source: "adjustment", idempotencyKey: key(), description: "b", actor: SYSTEM }));
    const spent = await f.tx((trx) => spendPoints(trx, f.merchantId, { memberId: m, points: 40, idempotencyKey: key(), description: "reward", actor: SYSTEM }));
    expect(spent.balance.available).toBe(40);
    const allocations = await f.tx((trx) =>
      trx.selectFrom("lot_allocations").select(["lot_id", "points"]).where("merchant_id", "=", f.merchantId).where("journal_id", "=", spent.journalId).orderBy("points", "desc").execute(),
    );
    expect(allocations).toEqual([
      { lot_id: first.lotId, points: 30 },
      { lot_id: second.lotId, points: 10 },
    ]);
    expect(await f.balance(m)).toMatchObject({ available: 40, pending: 0 });
    expect((await f.reconcile()).mismatches).toEqual([]);
  });

  it("answers insufficient_points and writes nothing when the balance is short", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    await f.tx((trx) => earnPoints(trx, f.merchantId, { memberId: m, points: 10, source: "adjustment", idempotencyKey: key(), description: "a", actor: SYSTEM }));
    const journals = async () => Number((await f.tx((trx) => sql<{ n: string }>`select count(*) as n from ledger_journals`.execute(trx))).rows[0]!.n);
    const before = await journals();
    await expect(f.tx((trx) => spendPoints(trx, f.merchantId, { memberId: m, points: 11, idempotencyKey: key(), description: "x", actor: SYSTEM })).catch(withHttpStatus)).resolves.toMatchObject({
      code: "insufficient_points",
      status: 409,
    });
    expect(await journals()).toBe(before);
  });

  it("replays an earn with the same key; refuses the key for another member", async () => {
    const f = await ledgerFixture();
    const [a, b] = [await f.newMember(), await f.newMember()];
    const k = key();
    const first = await f.tx((trx) => earnPoints(trx, f.merchantId, { memberId: a, points: 10, source: "adjustment", idempotencyKey: k, description: "a", actor: SYSTEM }));
    const again = await f.tx((trx) => earnPoints(trx, f.merchantId, { memberId: a, points: 10, source: "adjustment", idempotencyKey: k, description: "a", actor: SYSTEM }));
    expect(again).toMatchObject({ journalId: first.journalId, lotId: first.lotId, replayed: true });
    await expect(
      f.tx((trx) => earnPoints(trx, f.merchantId, { memberId: b, points: 10, source: "adjustment", idempotencyKey: k, description: "a", actor: SYSTEM })),
    ).rejects.toMatchObject({ code: "idempotency_conflict" });
    expect(await f.balance(a)).toMatchObject({ available: 10 });
  });

  it("L1 (domain): 32 clients × 50 debits of 10 on a balance of 500 succeed exactly 50 times", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    await f.tx((trx) => earnPoints(trx, f.merchantId, { memberId: m, points: 500, source: "adjustment", idempotencyKey: key(), description: "a", actor: SYSTEM }));
    let ok = 0;
    let refused = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        for (let i = 0; i < 50; i++) {
          try {
            await f.tx((trx) => spendPoints(trx, f.merchantId, { memberId: m, points: 10, idempotencyKey: key(), description: "x", actor: SYSTEM }));
            ok++;
          } catch (err) {
            if ((err as { code?: string }).code !== "insufficient_points") throw err;
            refused++;
          }
        }
      }),
    );
    expect(ok * 10).toBe(500);
    expect(refused).toBe(32 * 50 - 50);
    expect(await f.balance(m)).toMatchObject({ available: 0 });
    expect((await f.reconcile()).mismatches).toEqual([]);
  });
});

describe("points ledger: orders, pending and refunds", () => {
  it("keeps order points pending for the return window, then releases them once", async () => {
    const f = await ledgerFixture({ pendingDays: 14 });
    const m = await f.newMember();
    const o = await order(f, m, 4250);
    expect(o.points).toBe(42);
    expect(await f.balance(m)).toMatchObject({ available: 0, pending: 42 });
    await expect(f.tx((trx) => spendPoints(trx, f.merchantId, { memberId: m, points: 1, idempotencyKey: key(), description: "x", actor: SYSTEM }))).rejects.toMatchObject({
      code: "insufficient_points",
    });
    expect(await f.tx((trx) => releaseDueLots(trx, f.merchantId, m))).toBe(0);
    advanceClock(14 * DAY + 1000);
    expect(await f.tx((trx) => releaseDueLots(trx, f.merchantId, m))).toBe(42);
    expect(await f.tx((trx) => releaseDueLots(trx, f.merchantId, m))).toBe(0);
    expect(await f.balance(m)).toMatchObject({ available: 42, pending: 0 });
    expect((await f.reconcile()).mismatches).toEqual([]);
  });

  it("records an order once; the same order id with another amount is a 409", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    const at = now();
    const input = { memberId: m, externalOrderId: "1043", amountMinor: 1000, currency: "USD", occurredAt: at, awardPoints: true };
    const api = { channel: "api" as const, actor: SYSTEM };
    const first = await f.tx((trx) => recordPurchase(trx, f.merchantId, input, api));
    const again = await f.tx((trx) => recordPurchase(trx, f.merchantId, input, api));
    expect(again.created).toBe(false);
    expect(again.journalId).toBe(first.journalId);
    await expect(f.tx((trx) => recordPurchase(trx, f.merchantId, { ...input, amountMinor: 999 }, api)).catch(withHttpStatus)).resolves.toMatchObject({ code: "order_conflict", status: 409 });
    expect(await f.balance(m)).toMatchObject({ available: 10 });
  });

  it("reverses partial refunds in proportion, cumulatively, never beyond what the order earned", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    const o = await order(f, m, 10_000); // $100.00 → 100 points
    const refund = (id: string, amountMinor: number) =>
      f.tx((trx) => recordRefund(trx, f.merchantId, { orderId: o.order.id, externalRefundId: id, amountMinor, actor: SYSTEM }));
    expect((await refund("r1", 3333)).pointsReversed).toBe(33);
    expect((await refund("r1", 3333)).replayed).toBe(true);
    await expect(refund("r1", 1)).rejects.toMatchObject({ code: "refund_conflict" });
    expect((await refund("r2", 3333)).pointsReversed).toBe(33);
    await expect(refund("r3", 3335).catch(withHttpStatus)).resolves.toMatchObject({ code: "refund_exceeds_order", status: 422 });
    expect((await refund("r3", 3334)).pointsReversed).toBe(34);
    expect(await f.balance(m)).toMatchObject({ available: 0, clawback_debt: 0 });
    // Stripe-style cumulative totals after the fact change nothing more.
    expect((await f.tx((trx) => setOrderRefundedTotal(trx, f.merchantId, { orderId: o.order.id, refundedMinor: 10_000, causeKey: "evt_x", actor: SYSTEM }))).pointsReversed).toBe(0);
    expect((await f.reconcile()).mismatches).toEqual([]);
  });

  it("a refund after the points were spent leaves a clawback debt that the next earnings settle first", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    const o = await order(f, m, 10_000);
    await f.tx((trx) => spendPoints(trx, f.merchantId, { memberId: m, points: 80, idempotencyKey: key(), description: "reward", actor: SYSTEM }));
    await f.tx((trx) => recordRefund(trx, f.merchantId, { orderId: o.order.id, externalRefundId: "r", amountMinor: 10_000, actor: SYSTEM }));
    expect(await f.balance(m)).toMatchObject({ available: 0, clawback_debt: 80 });
    await order(f, m, 5_000); // earns 50: all of it pays the debt
    expect(await f.balance(m)).toMatchObject({ available: 0, clawback_debt: 30 });
    await order(f, m, 5_000); // 30 to the debt, 20 to the member
    expect(await f.balance(m)).toMatchObject({ available: 20, clawback_debt: 0 });
    expect((await f.reconcile()).mismatches).toEqual([]);
  });

  it("staff can forgive a clawback debt, once", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    const o = await order(f, m, 2_000);
    await f.tx((trx) => spendPoints(trx, f.merchantId, { memberId: m, points: 20, idempotencyKey: key(), description: "reward", actor: SYSTEM }));
    await f.tx((trx) => setOrderRefundedTotal(trx, f.merchantId, { orderId: o.order.id, refundedMinor: 2_000, causeKey: "evt_1", actor: SYSTEM }));
    const staff = { type: "staff" as const, id: "stf_test" };
    await f.tx((trx) => forgiveClawback(trx, f.merchantId, { memberId: m, idempotencyKey: key(), note: "goodwill", actor: staff }));
    expect(await f.balance(m)).toMatchObject({ clawback_debt: 0 });
    await expect(f.tx((trx) => forgiveClawback(trx, f.merchantId, { memberId: m, idempotencyKey: key(), actor: staff }))).rejects.toMatchObject({ code: "no_clawback_debt" });
    const audit = await f.tx((trx) => trx.selectFrom("audit_log").select("action").where("merchant_id", "=", f.merchantId).where("action", "=", "points.clawback_forgiven").execute());
    expect(audit).toHaveLength(1);
  });

  it("disputes: funds withdrawn reverses once, reinstated restores once, a late withdrawal changes nothing", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    const o = await order(f, m, 7_000);
    const dispute = (status: "withdrawn" | "reinstated", cause: string) =>
      f.tx((trx) => setOrderDisputeStatus(trx, f.merchantId, { orderId: o.order.id, status, causeKey: cause, actor: SYSTEM }));
    expect(await dispute("withdrawn", "evt_a")).toEqual({ pointsReversed: 70, pointsRestored: 0 });
    expect(await dispute("withdrawn", "evt_b")).toEqual({ pointsReversed: 0, pointsRestored: 0 });
    expect(await f.balance(m)).toMatchObject({ available: 0 });
    expect(await dispute("reinstated", "evt_c")).toEqual({ pointsReversed: 0, pointsRestored: 70 });
    expect(await dispute("reinstated", "evt_d")).toEqual({ pointsReversed: 0, pointsRestored: 0 });
    expect(await dispute("withdrawn", "evt_e")).toEqual({ pointsReversed: 0, pointsRestored: 0 });
    expect(await f.balance(m)).toMatchObject({ available: 70 });
    expect((await f.reconcile()).mismatches).toEqual([]);
  });

  it("refund facts that arrived before the order are applied when it earns", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    const orderId = newId("order");
    await f.tx(async (trx) => {
      const row = await trx
        .insertInto("orders")
        .values({ merchant_id: f.merchantId, id: orderId, member_id: m, source: "stripe", external_order_id: "cs_1", amount_minor: 10_000, currency: "USD", occurred_at: now(), refunded_minor: 5_000 })
        .returningAll()
        .executeTakeFirstOrThrow();
      await earnRecordedOrder(trx, f.merchantId, row, SYSTEM);
    });
    expect(await f.balance(m)).toMatchObject({ available: 50 });
  });
});

describe("points ledger: expiry", () => {
  it("expiring a lot that was already spent changes nothing (no balance collapse)", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    const soon = new Date(now().getTime() + DAY);
    await f.tx((trx) => earnPoints(trx, f.merchantId, { memberId: m, points: 100, source: "adjustment", idempotencyKey: key(), description: "a", expiresAt: soon, actor: SYSTEM }));
    advanceClock(1000);
    await f.tx((trx) => earnPoints(trx, f.merchantId, { memberId: m, points: 100, source: "adjustment", idempotencyKey: key(), description: "b", actor: SYSTEM }));
    await f.tx((trx) => spendPoints(trx, f.merchantId, { memberId: m, points: 150, idempotencyKey: key(), description: "x", actor: SYSTEM }));
    advanceClock(2 * DAY);
    expect(await f.tx((trx) => expireDueLots(trx, f.merchantId, m))).toBe(0);
    expect(await f.balance(m)).toMatchObject({ available: 50 });
  });

  it("expires what is left of a lot once, and a refund of expired points creates no debt", async () => {
    const f = await ledgerFixture({ expiry: { mode: "after_earning", months: 1 } });
    const m = await f.newMember();
    const o = await order(f, m, 10_000);
    await f.tx((trx) => spendPoints(trx, f.merchantId, { memberId: m, points: 40, idempotencyKey: key(), description: "x", actor: SYSTEM }));
    advanceClock(32 * DAY);
    expect(await f.tx((trx) => expireDueLots(trx, f.merchantId, m))).toBe(60);
    expect(await f.tx((trx) => expireDueLots(trx, f.merchantId, m))).toBe(0);
    expect(await f.balance(m)).toMatchObject({ available: 0 });
    // Refund 60%: 60 points, all from the expired part — the member owes nothing.
    await f.tx((trx) => recordRefund(trx, f.merchantId, { orderId: o.order.id, externalRefundId: "r", amountMinor: 6_000, actor: SYSTEM }));
    expect(await f.balance(m)).toMatchObject({ available: 0, clawback_debt: 0 });
    // The rest of the refund reaches the 40 spent points: those become debt.
    await f.tx((trx) => recordRefund(trx, f.merchantId, { orderId: o.order.id, externalRefundId: "r2", amountMinor: 4_000, actor: SYSTEM }));
    expect(await f.balance(m)).toMatchObject({ clawback_debt: 40 });
    expect((await f.reconcile()).mismatches).toEqual([]);
  });

  it("inactivity expiry takes every open lot once the member has been inactive", async () => {
    const f = await ledgerFixture({ expiry: { mode: "inactivity", months: 6 } });
    const m = await f.newMember();
    await order(f, m, 3_000);
    const deadline = new Date(now().getTime() - DAY);
    expect(await f.tx((trx) => expireDueLots(trx, f.merchantId, m, { inactivityDeadline: deadline }))).toBe(0);
    advanceClock(200 * DAY);
    expect(await f.tx((trx) => expireDueLots(trx, f.merchantId, m, { inactivityDeadline: new Date(now().getTime() - 180 * DAY) }))).toBe(30);
    expect(await f.balance(m)).toMatchObject({ available: 0 });
  });
});

describe("manual adjustments", () => {
  it("carry actor, reason and note, are audited, and never take the balance below zero", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    const staff = { type: "staff" as const, id: "stf_x" };
    const up = await f.tx((trx) => adjustPoints(trx, f.merchantId, { memberId: m, points: 25, reason: "Goodwill", note: "late delivery", idempotencyKey: key(), actor: staff }));
    await expect(
      f.tx((trx) => adjustPoints(trx, f.merchantId, { memberId: m, points: -26, reason: "Mistake", idempotencyKey: key(), actor: staff })),
    ).rejects.toMatchObject({ code: "insufficient_points" });
    await f.tx((trx) => adjustPoints(trx, f.merchantId, { memberId: m, points: -5, reason: "Mistake", idempotencyKey: key(), actor: staff }));
    expect(await f.balance(m)).toMatchObject({ available: 20 });
    const journal = await f.tx((trx) => trx.selectFrom("ledger_journals").selectAll().where("merchant_id", "=", f.merchantId).where("id", "=", up.journalId).executeTakeFirstOrThrow());
    expect(journal).toMatchObject({ kind: "adjust", reason: "Goodwill", note: "late delivery", actor_type: "staff", actor_id: "stf_x" });
    const audit = await f.tx((trx) => trx.selectFrom("audit_log").select("action").where("merchant_id", "=", f.merchantId).where("action", "=", "points.adjusted").execute());
    expect(audit).toHaveLength(2);
  });
});

describe("L5: the ledger is append-only and durable", () => {
  it("the app role cannot UPDATE or DELETE entries, and not even the owner can", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    await f.tx((trx) => earnPoints(trx, f.merchantId, { memberId: m, points: 10, source: "adjustment", idempotencyKey: key(), description: "a", actor: SYSTEM }));
    for (const stmt of [sql`update ledger_entries set amount = amount * 2`, sql`delete from ledger_entries`, sql`update ledger_journals set points = 0`, sql`delete from lot_allocations`]) {
      await expect(f.tx((trx) => stmt.execute(trx))).rejects.toThrow(/permission denied/);
    }
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    try {
      await expect(owner.query("update ledger_entries set amount = amount * 2")).rejects.toThrow(/append-only/);
      await expect(owner.query("delete from ledger_journals")).rejects.toThrow(/append-only/);
      await expect(owner.query("truncate ledger_entries cascade")).rejects.toThrow(/append-only/);
      const sc = await owner.query("show synchronous_commit");
      expect(sc.rows[0].synchronous_commit).toBe("on");
    } finally {
      await owner.end();
    }
    const role = await sql<{ super: boolean; bypass: boolean }>`select rolsuper as super, rolbypassrls as bypass from pg_roles where rolname = current_user`.execute(testDb());
    expect(role.rows[0]).toEqual({ super: false, bypass: false });
  });

  it("a journal whose entries do not sum to zero cannot commit", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    const id = newId("journal");
    await expect(
      f.tx(async (trx) => {
        await trx
          .insertInto("ledger_journals")
          .values({ merchant_id: f.merchantId, id, kind: "earn", source: "adjustment", member_id: m, idempotency_key: key(), description: "bad", points: 5, actor_type: "system", actor_id: null, effective_at: now() })
          .execute();
        await trx.insertInto("ledger_entries").values({ merchant_id: f.merchantId, journal_id: id, seq: 0, account: "merchant_issued", amount: -5 }).execute();
      }),
    ).rejects.toThrow(/does not balance/);
  });
});
