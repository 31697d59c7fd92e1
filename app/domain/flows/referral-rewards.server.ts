import type { DB, Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import * as attribution from "~/domain/referrals/attribution.server";
import type { AttributeInput, AttributionResult, SignupReferralFacts } from "~/domain/referrals/attribution.server";
import * as jobs from "~/domain/referrals/jobs.server";
import * as qualification from "~/domain/referrals/qualification.server";
import { grantReward } from "~/domain/rewards/grant.server";
import type { Order, ReferralReviewDecision } from "~db/schema";

/**
 * Referrals paying catalog rewards: the referrals program decides when a referral qualifies, is released or voided,
 * and the rewards program grants its catalog rewards. Programs do not import each other, so the referral entry points
 * that can reach a grant take grantReward as a parameter; these wrappers pass it, and every entry point (routes, API,
 * jobs, the order hooks, Stripe, enrolment, tests) calls them instead of app/domain/referrals directly.
 */

/** Order hook (API, Stripe, import), after a new order is recorded, in the same transaction. */
export function referralOrderRecorded(trx: Trx, merchantId: string, order: Pick<Order, "id" | "member_id">, actor: Actor): Promise<void> {
  return qualification.onOrderRecorded(trx, merchantId, order, actor, grantReward);
}

/** Refund hook: reverses a referral whose qualifying order was refunded inside the hold period (grants nothing). */
export function referralOrderRefunded(trx: Trx, merchantId: string, order: Pick<Order, "id" | "member_id" | "refunded_minor">, actor: Actor): Promise<void> {
  return qualification.onOrderRefunded(trx, merchantId, order, actor);
}

/** A staff decision on a review item (admin page and API). */
export function decideReferralReview(trx: Trx, merchantId: string, reviewId: string, input: { decision: ReferralReviewDecision; note?: string | null }, actor: Actor) {
  return qualification.decideReview(trx, merchantId, reviewId, input, actor, grantReward);
}

/** The hold period is over: the waiting catalog rewards are granted. Idempotent. */
export function releaseReferral(trx: Trx, merchantId: string, referralId: string): Promise<boolean> {
  return qualification.releaseReferral(trx, merchantId, referralId, grantReward);
}

/** The scheduled release of every referral whose hold period is over (the `referral_release` job). */
export function runReferralRelease(at?: Date, database?: DB): Promise<{ released: number; failed: number }> {
  return jobs.runReferralRelease(grantReward, at, database);
}

/** Attributes a member to a referral code (API, enrolment); qualifies it at once when its event already happened. */
export function attributeMember(trx: Trx, merchantId: string, input: AttributeInput): Promise<AttributionResult> {
  return attribution.attributeMember(trx, merchantId, input, grantReward);
}

/** Sign-up attribution from a typed code or the landing cookie (enrolment); never fails the sign-up. */
export function attributeAtSignup(trx: Trx, merchantId: string, memberId: string, input: SignupReferralFacts): Promise<AttributionResult | null> {
  return attribution.attributeAtSignup(trx, merchantId, memberId, input, grantReward);
}

/** Stripe checkout attribution; never fails the webhook. */
export function attributeFromStripe(trx: Trx, merchantId: string, memberId: string, codes: Array<string | null | undefined>): Promise<AttributionResult | null> {
  return attribution.attributeFromStripe(trx, merchantId, memberId, codes, grantReward);
}

/** Staff correction of a member's referrer (admin tree page). */
export function correctReferrer(trx: Trx, merchantId: string, input: { memberId: string; referrerId: string | null; reason: string; actor: Actor }): Promise<AttributionResult | null> {
  return attribution.correctReferrer(trx, merchantId, input, grantReward);
}
