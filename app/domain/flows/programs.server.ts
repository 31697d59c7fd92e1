import { sql, type RawBuilder } from "kysely";
import { createEventSeam, type ProgramRegistration } from "~/domain/events/seam.server";
import { loyaltyHoldoutProgram } from "~/domain/experiments/program.server";
import { offersProgram } from "~/domain/offers/program.server";
import { referralOrderRecorded, referralOrderRefunded } from "./referral-rewards.server";
import { tiersProgram } from "~/domain/tiers/program.server";

/**
 * Referrals on the event seam: an order may qualify the friend's referral (when the channel's purchase policy says
 * so), and a refund of the qualifying order inside the hold period voids it. The earning context tells whether the
 * buyer has an open referral at all, so the common order (no referral) costs no referral query.
 */
const referralsProgram: ProgramRegistration = {
  name: "referrals",
  earning: {
    columns: (merchantId, memberId) => ({
      open: sql<boolean>`exists (select 1 from referrals where merchant_id = ${merchantId} and member_id = ${memberId} and status in ('pending', 'flagged'))` as RawBuilder<unknown>,
    }),
  },
  on: {
    orderRecorded: async (ctx, e) => {
      if (!e.effects.qualifiesReferral || ctx.earningRow?.referrals_open === false) return;
      await referralOrderRecorded(ctx.trx, ctx.merchantId, e.order, ctx.actor);
    },
    orderRefunded: (ctx, e) => referralOrderRefunded(ctx.trx, ctx.merchantId, e.order, ctx.actor),
  },
};

/**
 * Every program on the seam, in the order their handlers run and their earning columns are read:
 *  1. the loyalty holdout — first, because it decides whether anything is earned at all;
 *  2. offers — a multiplier only;
 *  3. tiers — after the earning, so an order's own points and spend count toward an upgrade at once;
 *  4. referrals — last: a qualifying order pays the friend's and referrer's rewards, which must not count toward the
 *     friend's tier as spend of this order (they are not), and the referrer's rewards are another member's.
 * Outgoing webhooks and automated flows (later issues) append themselves here.
 */
export const PROGRAMS: readonly ProgramRegistration[] = [loyaltyHoldoutProgram, offersProgram, tiersProgram, referralsProgram];

export const seam = createEventSeam(PROGRAMS);
