import { describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { claimOffer } from "~/domain/flows/offer-claims.server";
import { recordPurchase } from "~/domain/flows/purchase.server";
import { saveTierProgram } from "~/domain/tiers/definitions.server";
import { runTierReevaluation } from "~/domain/tiers/jobs.server";
import { pinMemberTier } from "~/domain/tiers/tiers.server";
import { newId } from "~/lib/ids";
import { testDb } from "../../support/db";
import { offersFixture, STAFF } from "../../support/offers";

/**
 * The earning hot path reads the tier and offer multipliers, the loyalty holdout and whether the merchant has tiers
 * in one statement: an order earns base × tier % × offer % (the combined percent rounded down, as before).
 */

const SYSTEM = { type: "system" as const, id: "test" };

async function orderFor(merchantId: string, memberId: string, amountMinor: number) {
  return withTenant(testDb(), merchantId, (trx) =>
    recordPurchase(
      trx,
      merchantId,
      {
        memberId,
        externalOrderId: `mult-${newId("order").slice(-8)}`,
        amountMinor,
        currency: "USD",
        occurredAt: new Date(),
        awardPoints: true,
      },
      { channel: "api", actor: SYSTEM },
    ),
  );
}

describe("earning multipliers on an order", () => {
  it("multiplies the tier's percent by a claimed offer's percent (150% × 200% = 300%)", async () => {
    const f = await offersFixture({ members: 3, tagged: 3, holdoutPercent: 0 });
    const [both, tierOnly, plain] = f.memberIds as [string, string, string];
    const saved = await withTenant(testDb(), f.merchant.id, (trx) =>
      saveTierProgram(
        trx,
        f.merchant.id,
        {
          settings: { basis: "spend", window: "calendar_year", graceDays: 0, downgrade: "one_step" },
          tiers: [{ id: null, name: "Gold", threshold: 10_000_000, earningPercent: 150, exclusiveAccess: false, birthdayBonus: 0, perks: "" }],
        },
        STAFF,
        new Date(),
      ),
    );
    await runTierReevaluation(f.merchant.id, saved.jobId!);
    await withTenant(testDb(), f.merchant.id, async (trx) => {
      const gold = await trx.selectFrom("tiers").select("id").where("merchant_id", "=", f.merchant.id).executeTakeFirstOrThrow();
      for (const m of [both, tierOnly]) {
        await pinMemberTier(trx, f.merchant.id, m, { tierId: gold.id, until: new Date(Date.now() + 30 * 86_400_000), reason: "Test" }, STAFF, new Date());
      }
      await claimOffer(trx, f.merchant.id, both, f.offer.id, SYSTEM, new Date(Date.now() - 1000));
    });

    expect((await orderFor(f.merchant.id, both, 1_000)).points).toBe(30); // 10 × 300%
    expect((await orderFor(f.merchant.id, tierOnly, 1_000)).points).toBe(15); // 10 × 150%
    expect((await orderFor(f.merchant.id, plain, 1_000)).points).toBe(10);
  });

  it("earns with an offer alone on a merchant without tiers", async () => {
    const f = await offersFixture({ members: 1, tagged: 1, holdoutPercent: 0 });
    const m = f.memberIds[0]!;
    await withTenant(testDb(), f.merchant.id, (trx) => claimOffer(trx, f.merchant.id, m, f.offer.id, SYSTEM, new Date(Date.now() - 1000)));
    expect((await orderFor(f.merchant.id, m, 1_000)).points).toBe(20); // 10 × 200%
  });
});
