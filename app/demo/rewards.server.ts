import type { Trx } from "~/db.server";
import { insertReward } from "~/domain/rewards/catalog.server";
import { grantReward } from "~/domain/rewards/grant.server";
import type { RewardInput } from "~/domain/rewards/schemas";

const CATALOG: Array<Partial<RewardInput> & Pick<RewardInput, "name" | "kind" | "pointsCost">> = [
  { name: "Free pastry", kind: "free_product", pointsCost: 150, productName: "pastry of your choice", codeValidDays: 30, description: "Any pastry from the counter." },
  { name: "$5 off", kind: "fixed_discount", pointsCost: 500, discountMinor: 500, codeValidDays: 60, limitCount: 2, limitPeriod: "month" },
  { name: "15% off beans", kind: "percent_discount", pointsCost: 800, percentOff: 15, minOrderMinor: 3000, codeValidDays: 30 },
  { name: "$10 store credit", kind: "store_credit", pointsCost: 1000, discountMinor: 1000 },
  { name: "Northwind tote bag", kind: "gift", pointsCost: 1500, stockTotal: 25, description: "Picked up at the counter." },
  { name: "Points as money", kind: "points_discount", pointsCost: 100, discountMinor: 100, maxDiscountMinor: 2000, description: "Spend points at checkout: 100 points = $1 off." },
];

/**
 * The demo merchant's reward catalog and two rewards for the demo member (one redeemed with points when the
 * balance allows, one a gift), through the same functions the API uses. Called from the demo seed, inside its
 * transaction with the tenant set.
 */
export async function seedDemoRewards(trx: Trx, merchantId: string, demoMemberId: string): Promise<void> {
  const actor = { type: "system" as const, id: "seed" };
  const ids: string[] = [];
  for (const r of CATALOG) ids.push((await insertReward(trx, merchantId, r)).id);
  const balance = await trx.selectFrom("member_balances").select("available").where("merchant_id", "=", merchantId).where("member_id", "=", demoMemberId).executeTakeFirst();
  const pastry = ids[0]!;
  await grantReward(trx, merchantId, {
    memberId: demoMemberId,
    rewardId: pastry,
    idempotencyKey: "seed-demo-pastry",
    source: (balance?.available ?? 0) >= 150 ? "redeem" : "gift",
    chargePoints: (balance?.available ?? 0) >= 150,
    actor,
    notify: false,
  });
  await grantReward(trx, merchantId, { memberId: demoMemberId, rewardId: ids[1]!, idempotencyKey: "seed-demo-welcome-gift", source: "gift", chargePoints: false, actor, notify: false });
}
