import type { Trx } from "~/db.server";
import { newId } from "~/lib/ids";
import type { Rule } from "~/domain/segments/rule";
import { insertOffer, instantToLocal } from "~/domain/offers/offers.server";

/**
 * Demo data for offers: two segments (lapsed regulars; the top 20% by predicted CLTV) and a double-points offer for
 * the lapsed regulars with the default 10% holdout. No audit entries (the seed records one for everything).
 */
export async function seedDemoOffers(trx: Trx, merchantId: string, timezone: string, now: Date): Promise<void> {
  const segment = async (name: string, description: string, rule: Rule) => {
    const id = newId("segment");
    await trx.insertInto("segments").values({ merchant_id: merchantId, id, name, description, rule: JSON.stringify(rule) }).execute();
    return id;
  };
  const lapsed = await segment("Lapsed regulars", "At least 3 orders, none in the last 60 days", {
    type: "group",
    op: "all",
    conditions: [
      { type: "condition", attribute: "order_count", operator: "gte", value: 3 },
      { type: "condition", attribute: "days_since_last_order", operator: "gte", value: 60 },
    ],
  });
  await segment("Top 20% predicted value", "CLTV percentile 80 or more", {
    type: "group",
    op: "all",
    conditions: [{ type: "condition", attribute: "cltv_percentile", operator: "gte", value: 80 }],
  });
  await insertOffer(
    trx,
    { id: merchantId, timezone },
    {
      title: "We miss you: double points for a week",
      description: "Claim this offer and every order earns twice the points for 7 days.",
      imageUrl: null,
      kind: "multiplier",
      rewardId: null,
      multiplierPercent: 200,
      multiplierDays: 7,
      segmentId: lapsed,
      startsAt: instantToLocal(new Date(now.getTime() - 86_400_000), timezone),
      endsAt: instantToLocal(new Date(now.getTime() + 30 * 86_400_000), timezone),
      stockTotal: undefined,
      holdoutPercent: 10,
    },
    null,
    now,
  );
}
