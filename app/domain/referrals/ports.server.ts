import type { Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";

/**
 * What referrals need from the rewards program: granting a catalog reward when a referral's hold period ends.
 * Programs do not import each other, so every referral entry that can reach a grant (qualification with no hold
 * period, release, review, attribution) takes it as a parameter; app/domain/flows/referral-rewards.server.ts passes
 * the rewards program's grantReward, which this type is shaped to accept.
 */
export interface ReferralGrantInput {
  memberId: string;
  rewardId: string;
  idempotencyKey: string;
  source: "referral";
  chargePoints: false;
  actor: Actor;
  sourceId: string;
}

export type GrantReward = (trx: Trx, merchantId: string, input: ReferralGrantInput) => Promise<{ redemptionId: string }>;
