import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import {
  assignMany,
  assignMember,
  createExperiment,
  getAssignment,
  isHeldOutOfProgram,
  recordExperimentEvent,
} from "../../../app/domain/experiments/assignment.server";
import { recordPurchase, setOrderRefundedTotal } from "~/domain/flows/purchase.server";
import { ledgerFixture, SYSTEM } from "../../support/ledger";

// The shared ground of issues 4–6: member statistics kept by triggers, and sticky randomized assignment.

describe("member_stats", () => {
  it("follows every order and refund: count, net spend, first and last order", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    const first = await f.tx((trx) =>
      recordPurchase(trx, f.merchantId, { memberId: m, externalOrderId: "o1", amountMinor: 5000, currency: "USD", occurredAt: new Date("2026-01-05T10:00:00Z"), awardPoints: true }, { channel: "api", actor: SYSTEM }),
    );
    await f.tx((trx) =>
      recordPurchase(trx, f.merchantId, { memberId: m, externalOrderId: "o2", amountMinor: 2500, currency: "USD", occurredAt: new Date("2026-03-01T10:00:00Z"), awardPoints: true }, { channel: "api", actor: SYSTEM }),
    );
    // A replayed order changes nothing.
    await f.tx((trx) =>
      recordPurchase(trx, f.merchantId, { memberId: m, externalOrderId: "o2", amountMinor: 2500, currency: "USD", occurredAt: new Date("2026-03-01T10:00:00Z"), awardPoints: true }, { channel: "api", actor: SYSTEM }),
    );
    await f.tx((trx) => setOrderRefundedTotal(trx, f.merchantId, { orderId: first.order.id, refundedMinor: 1000, causeKey: "test-refund", actor: SYSTEM }));
    const stats = await f.tx((trx) => trx.selectFrom("member_stats").selectAll().where("member_id", "=", m).executeTakeFirstOrThrow());
    expect(stats.order_count).toBe(2);
    expect(Number(stats.lifetime_spend_minor)).toBe(6500);
    expect(stats.first_order_at?.toISOString()).toBe("2026-01-05T10:00:00.000Z");
    expect(stats.last_order_at?.toISOString()).toBe("2026-03-01T10:00:00.000Z");
  });

  it("counts direct referrals from the referral edges", async () => {
    const f = await ledgerFixture();
    const [a, b, c] = [await f.newMember(), await f.newMember(), await f.newMember()];
    await f.tx(async (trx) => {
      await trx.insertInto("referral_edges").values({ merchant_id: f.merchantId, member_id: b, referrer_id: a, depth: 1, via: "code" }).execute();
      await trx.insertInto("referral_edges").values({ merchant_id: f.merchantId, member_id: c, referrer_id: a, depth: 1, via: "api" }).execute();
    });
    const row = await f.tx((trx) => trx.selectFrom("member_stats").select("referral_count").where("member_id", "=", a).executeTakeFirstOrThrow());
    expect(row.referral_count).toBe(2);
  });
});

describe("experiments", () => {
  it("assigns once and sticks, even when many requests race for the first assignment", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    const exp = await f.tx((trx) => createExperiment(trx, f.merchantId, { kind: "custom", name: "Race", holdoutBps: 5000 }));
    const arms = await Promise.all(Array.from({ length: 20 }, () => f.tx((trx) => assignMember(trx, f.merchantId, exp, m))));
    expect(new Set(arms.map((a) => a.arm)).size).toBe(1);
    const stored = await f.tx((trx) => getAssignment(trx, f.merchantId, exp.id, m));
    expect(stored?.arm).toBe(arms[0]!.arm);
    // Nobody can rewrite an assignment, not even through SQL.
    await expect(
      f.tx((trx) => sql`update experiment_assignments set arm = 'control' where member_id = ${m}`.execute(trx)),
    ).rejects.toThrow(/permission denied|sticky/);
  });

  it("holds out about the configured share, drawn at random", async () => {
    const f = await ledgerFixture();
    const ids: string[] = [];
    for (let i = 0; i < 400; i++) ids.push(await f.newMember());
    const exp = await f.tx((trx) => createExperiment(trx, f.merchantId, { kind: "offer", subjectId: "ofr_test", name: "Offer", holdoutBps: 2000 }));
    const added = await f.tx((trx) => assignMany(trx, f.merchantId, exp, sql`select id from members where merchant_id = ${f.merchantId}`));
    expect(added).toBe(400);
    // Running it again keeps everyone's arm.
    expect(await f.tx((trx) => assignMany(trx, f.merchantId, exp, sql`select id from members where merchant_id = ${f.merchantId}`))).toBe(0);
    const control = await f.tx((trx) =>
      trx.selectFrom("experiment_assignments").select((eb) => eb.fn.countAll<string>().as("n")).where("experiment_id", "=", exp.id).where("arm", "=", "control").executeTakeFirstOrThrow(),
    );
    // 400 draws at p = 0.2: mean 80, sd 8; ±5 sd never fails by chance in practice.
    expect(Number(control.n)).toBeGreaterThan(40);
    expect(Number(control.n)).toBeLessThan(120);
  });

  it("creating a program experiment twice returns the first; no experiment means nobody is held out", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    expect(await f.tx((trx) => isHeldOutOfProgram(trx, f.merchantId, "loyalty_program", m))).toBe(false);
    const [a, b] = await Promise.all([
      f.tx((trx) => createExperiment(trx, f.merchantId, { kind: "loyalty_program", name: "Loyalty", holdoutBps: 5000 })),
      f.tx((trx) => createExperiment(trx, f.merchantId, { kind: "loyalty_program", name: "Loyalty", holdoutBps: 5000 })),
    ]).catch(async () => {
      // One of two concurrent creators can lose on the unique index inside its own transaction; retried, it finds the winner.
      const again = await f.tx((trx) => createExperiment(trx, f.merchantId, { kind: "loyalty_program", name: "Loyalty", holdoutBps: 5000 }));
      return [again, again];
    });
    expect(a.id).toBe(b.id);
  });

  it("a stopped program experiment holds nobody out any more, and keeps the stored arms", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    const exp = await f.tx((trx) => createExperiment(trx, f.merchantId, { kind: "loyalty_program", name: "Loyalty", holdoutBps: 5000 }));
    // Force this member into the control arm, as an external import would.
    await f.tx((trx) =>
      trx.insertInto("experiment_assignments").values({ merchant_id: f.merchantId, experiment_id: exp.id, member_id: m, arm: "control", source: "external" }).execute(),
    );
    expect(await f.tx((trx) => isHeldOutOfProgram(trx, f.merchantId, "loyalty_program", m))).toBe(true);
    await f.tx((trx) => trx.updateTable("experiments").set({ status: "stopped" }).where("id", "=", exp.id).execute());
    expect(await f.tx((trx) => isHeldOutOfProgram(trx, f.merchantId, "loyalty_program", m))).toBe(false);
    expect((await f.tx((trx) => getAssignment(trx, f.merchantId, exp.id, m)))?.arm).toBe("control");
  });

  it("rejects a holdout outside 0–50% and arms without exactly one control", async () => {
    const f = await ledgerFixture();
    await expect(f.tx((trx) => createExperiment(trx, f.merchantId, { kind: "custom", name: "x", holdoutBps: 6000 }))).rejects.toMatchObject({ field: "holdout" });
    await expect(
      f.tx((trx) =>
        createExperiment(trx, f.merchantId, { kind: "custom", name: "x", assignment: "external", arms: [{ arm: "a", control: false }, { arm: "b", control: false }] }),
      ),
    ).rejects.toMatchObject({ field: "arms" });
  });

  it("records events with first and last time and a count", async () => {
    const f = await ledgerFixture();
    const m = await f.newMember();
    const exp = await f.tx((trx) => createExperiment(trx, f.merchantId, { kind: "custom", name: "Seen" }));
    await f.tx((trx) => recordExperimentEvent(trx, f.merchantId, exp.id, m, "seen", new Date("2026-02-01T00:00:00Z")));
    await f.tx((trx) => recordExperimentEvent(trx, f.merchantId, exp.id, m, "seen", new Date("2026-01-01T00:00:00Z")));
    const row = await f.tx((trx) => trx.selectFrom("experiment_events").selectAll().where("member_id", "=", m).executeTakeFirstOrThrow());
    expect(row.count).toBe(2);
    expect(row.first_at.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    expect(row.last_at.toISOString()).toBe("2026-02-01T00:00:00.000Z");
  });
});
