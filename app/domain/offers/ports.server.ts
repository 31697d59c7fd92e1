import type { Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";

/**
 * What offers need from the rewards program: granting one catalog reward. Programs do not import each other, so
 * claims and gifts receive it as a parameter and the flows (app/domain/flows/offer-claims, gifts) pass the rewards
 * program's grantReward, which this type is shaped to accept.
 */
export interface OfferGrantInput {
  memberId: string;
  rewardId: string;
  idempotencyKey: string;
  source: "offer" | "gift";
  chargePoints: false;
  actor: Actor;
  sourceId: string;
}

export type GrantReward = (trx: Trx, merchantId: string, input: OfferGrantInput) => Promise<{ redemptionId: string; code: string | null }>;
