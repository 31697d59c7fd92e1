import { describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { runSurpriseGift } from "~/domain/flows/gifts.server";
import { createSurpriseGift, requireGift } from "~/domain/offers/gifts.server";
import { createReward } from "~/domain/rewards/catalog.server";
import { testDb } from "../../support/db";
import { eventsOf, offersFixture, STAFF } from "../../support/offers";

/**
 * Surprise gifts: every treated member of the segment receives the reward exactly once — across re-runs and two
 * runs at the same time — with progress recorded on the gift; held-out and outside members receive nothing.
 */

async function giftFixture(opts: { stock?: number } = {}) {
  const f = await offersFixture({ members: 30, tagged: 24, holdoutPercent: 0 });
  const { gift, rewardId } = await withTenant(testDb(), f.merchant.id, async (trx) => {
    const reward = await createReward(
      trx,
      f.merchant.id,
      { name: "Free pastry", kind: "fixed_discount", pointsCost: 100, discountMinor: 300, ...(opts.stock ? { stockTotal: opts.stock } : {}) },
      STAFF,
    );
    const gift = await createSurpriseGift(trx, f.merchant.id, { name: "Thank you", rewardId: reward.id, segmentId: f.segment.id, holdoutPercent: 40 }, STAFF, new Date());
    return { gift, rewardId: reward.id };
  });
  const arms = await withTenant(testDb(), f.merchant.id, (trx) =>
    trx.selectFrom("experiment_assignments").select(["member_id", "arm"]).where("experiment_id", "=", gift.experimentId).execute(),
  );
  const treated = arms.filter((a) => a.arm === "treatment").map((a) => a.member_id);
  const control = arms.filter((a) => a.arm === "control").map((a) => a.member_id);
  return { ...f, gift, rewardId, treated, control };
}

async function redemptionsOf(merchantId: string, giftId: string) {
  return withTenant(testDb(), merchantId, (trx) =>
    trx.selectFrom("reward_redemptions").select(["member_id", "source"]).where("source_id", "=", giftId).execute(),
  );
}

describe("surprise gifts", () => {
  it("grant once per treated member, even when run twice at once and again afterwards", async () => {
    const g = await giftFixture();
    expect(g.treated.length + g.control.length).toBe(24);
    expect(g.treated.length).toBeGreaterThan(0);
    expect(g.control.length).toBeGreaterThan(0);
    expect(g.gift).toMatchObject({ status: "queued", total: g.treated.length, done: 0 });

    await Promise.all([runSurpriseGift(testDb(), g.merchant.id, g.gift.id, { batchSize: 5 }), runSurpriseGift(testDb(), g.merchant.id, g.gift.id, { batchSize: 7 })]);
    const again = await runSurpriseGift(testDb(), g.merchant.id, g.gift.id);
    expect(again).toMatchObject({ status: "done", total: g.treated.length, done: g.treated.length, failed: 0 });

    const redemptions = await redemptionsOf(g.merchant.id, g.gift.id);
    expect(redemptions.map((r) => r.member_id).sort()).toEqual([...g.treated].sort());
    expect(redemptions.every((r) => r.source === "gift")).toBe(true);
    // Held-out and outside members: no grant, no exposure.
    expect(await eventsOf(g.merchant.id, g.gift.experimentId, [...g.control, ...g.outsiders], ["seen", "emailed", "claimed"])).toEqual([]);
    expect((await eventsOf(g.merchant.id, g.gift.experimentId, g.treated, ["claimed"])).length).toBe(g.treated.length);
  });

  it("records members the reward could not be granted to (out of stock) and still finishes", async () => {
    const g = await giftFixture({ stock: 3 });
    const done = await runSurpriseGift(testDb(), g.merchant.id, g.gift.id);
    expect(done.status).toBe("done");
    expect(done.done).toBe(Math.min(3, g.treated.length));
    expect(done.done + done.failed).toBe(g.treated.length);
    const failed = await withTenant(testDb(), g.merchant.id, (trx) => trx.selectFrom("gift_grants").select("error").where("gift_id", "=", g.gift.id).where("status", "=", "failed").execute());
    expect(failed.every((r) => r.error?.startsWith("out_of_stock"))).toBe(true);
    const reread = await withTenant(testDb(), g.merchant.id, (trx) => requireGift(trx, g.merchant.id, g.gift.id));
    expect(reread.failed).toBe(failed.length);
  });
});
