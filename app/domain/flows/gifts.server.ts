import type { DB } from "~/db.server";
import { runSurpriseGift as runSurpriseGiftWith, type SurpriseGift } from "~/domain/offers/gifts.server";
import { grantReward } from "~/domain/rewards/grant.server";

/**
 * "A surprise gift goes out": the offers program picks the treated members and keeps progress, the rewards program
 * grants each one's reward. The job (app/jobs/tasks/offers.ts) and tests call this, not offers directly.
 */
export function runSurpriseGift(database: DB, merchantId: string, giftId: string, opts: { batchSize?: number } = {}): Promise<SurpriseGift> {
  return runSurpriseGiftWith(database, merchantId, giftId, grantReward, opts);
}
