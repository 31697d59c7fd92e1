import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import type { EventContext, ProgramRegistration } from "~/domain/events/seam.server";
import { getMemberTierBenefits, memberTierEarningPercentSql, reevaluateMemberTier, tiersRelevantSql } from "./tiers.server";

/**
 * Tiers on the event seam (issue 4's rules, wired by registration instead of by the ledger's neighbours):
 *  - earning: the member's tier multiplier and whether the merchant has tiers at all, read in the order's one
 *    context statement. The flow refuses the earning of a held-out member before any percent is used, so the
 *    tier percent leaves the holdout out.
 *  - upgrades happen at once: after an order (also one below the points minimum, or recorded without points),
 *    after points earned otherwise (bonuses, custom events) and after a dispute was reinstated. Refunds and
 *    withdrawals only lower the figures, which never changes a tier before the period ends; the nightly job
 *    takes them into account.
 */
export const tiersProgram: ProgramRegistration = {
  name: "tiers",
  earning: {
    columns: (merchantId, memberId) => ({
      percent: memberTierEarningPercentSql(merchantId, memberId, { holdoutCheckedByCaller: true }),
      relevant: tiersRelevantSql(merchantId, memberId),
    }),
    percent: (row) => Number(row.tiers_percent),
  },
  on: {
    orderRecorded: (ctx, e) => afterQualifyingActivity(ctx, e.order.member_id),
    pointsEarned: (ctx, e) => afterQualifyingActivity(ctx, e.memberId),
    orderDisputeChanged: async (ctx, e) => {
      if (e.status === "reinstated") await afterQualifyingActivity(ctx, e.order.member_id);
    },
  },
};

/**
 * Re-evaluates the member's tier in the caller's transaction, so an upgrade commits with what caused it. One cheap
 * query on the hot path of merchants without tiers; none when the earning context statement already read it.
 */
async function afterQualifyingActivity(ctx: EventContext, memberId: string): Promise<void> {
  const known = ctx.earningRow?.tiers_relevant;
  const relevant =
    typeof known === "boolean" ? known : (await sql<{ relevant: boolean }>`select ${tiersRelevantSql(ctx.merchantId, memberId)} as relevant`.execute(ctx.trx)).rows[0]!.relevant;
  if (!relevant) return;
  const result = await reevaluateMemberTier(ctx.trx, ctx.merchantId, memberId, now());
  if (result.changed) await ctx.publish({ type: "tierChanged", memberId, fromTierId: result.fromTierId, tierId: result.tierId, at: now() });
}

/** The tier's birthday bonus, added to the program's base birthday bonus (0 without a tier). */
export async function tierBirthdayBonus(trx: Trx, merchantId: string, memberId: string): Promise<number> {
  return (await getMemberTierBenefits(trx, merchantId, memberId))?.birthdayBonus ?? 0;
}

/** Whether any of the merchant's tiers gives a birthday bonus (the birthday job then runs even without a base bonus). */
export async function hasTierBirthdayBonus(trx: Trx, merchantId: string): Promise<boolean> {
  const row = await trx.selectFrom("tiers").select("id").where("merchant_id", "=", merchantId).where("birthday_bonus", ">", 0).limit(1).executeTakeFirst();
  return row !== undefined;
}
