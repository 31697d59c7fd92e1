import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { offerEarningPercentSql } from "~/domain/offers/multiplier.server";
import { combinePercents } from "~/domain/tiers/model";
import { getMemberTierBenefits, memberTierEarningPercentSql, reevaluateMemberTier, tiersRelevantSql } from "~/domain/tiers/tiers.server";

/**
 * Where the points code meets tiers (issue 4) and the offers' points multipliers: the earning paths read the earning
 * percent here, the birthday bonus job asks whether tiers add to it, and the paths that earn or record spend call
 * `afterQualifyingActivity`. The tier rules live in app/domain/tiers.
 */

/**
 * The earning multiplier, in percent (100 = none): the member's tier benefit times the claimed "points multiplier"
 * offers (150% × 200% = 300%, rounded down). The tier is the one the member holds now; `at` is the earning's instant.
 */
export async function tierEarningPercent(trx: Trx, merchantId: string, memberId: string, at: Date): Promise<number> {
  const cols = earningContextColumns(merchantId, memberId, at);
  const res = await sql<{ tier_percent: number; offer_percent: number }>`
    select ${cols.tierPercent} as tier_percent, ${cols.offerPercent} as offer_percent`.execute(trx);
  const row = res.rows[0]!;
  return combinePercents(row.tier_percent, row.offer_percent);
}

/**
 * The tier side of the earning context as SQL expressions, so the earning hot path reads them in its one context
 * statement: the tier's percent (100 without a tier or when held out), the offers' percent (100 when none runs) —
 * combine them with `combinePercents`, as `tierEarningPercent` does — and whether `afterQualifyingActivity` has
 * anything to re-evaluate (pass it back as `known`). `holdoutCheckedByCaller`: the caller reads the loyalty holdout
 * arm in the same statement (`programHoldoutSql`) and earns nothing when held out, so the tier percent skips it.
 */
export function earningContextColumns(merchantId: string, memberId: string, at: Date, opts: { holdoutCheckedByCaller?: boolean } = {}) {
  return {
    tierPercent: memberTierEarningPercentSql(merchantId, memberId, opts),
    offerPercent: offerEarningPercentSql(merchantId, memberId, at),
    tiersRelevant: tiersRelevantSql(merchantId, memberId),
  };
}

/** The tier's birthday bonus, added to the program's base birthday bonus (0 without a tier). */
export async function tierBirthdayBonus(trx: Trx, merchantId: string, memberId: string): Promise<number> {
  return (await getMemberTierBenefits(trx, merchantId, memberId))?.birthdayBonus ?? 0;
}

/**
 * Upgrades happen at once: called after points were earned (an order — also one below the points minimum —, a custom
 * event, a sign-up, birthday or profile bonus), after `recordOrder` without points, and after a dispute was
 * reinstated. Refunds and reversals do not call it: downgrades happen only at period ends. Runs in
 * the caller's transaction, so the upgrade commits with what caused it.
 */
export async function afterQualifyingActivity(
  trx: Trx,
  merchantId: string,
  memberId: string,
  at: Date,
  known?: { tiersRelevant: boolean },
): Promise<void> {
  // One cheap query on the hot path of merchants without tiers (and of bulk imports before tiers exist); none when
  // the caller already read it in this transaction (`earningContextColumns`).
  const relevant =
    known?.tiersRelevant ?? (await sql<{ relevant: boolean }>`select ${tiersRelevantSql(merchantId, memberId)} as relevant`.execute(trx)).rows[0]!.relevant;
  if (!relevant) return;
  await reevaluateMemberTier(trx, merchantId, memberId, at);
}

/** Whether any of the merchant's tiers gives a birthday bonus (the birthday job then runs even without a base bonus). */
export async function hasTierBirthdayBonus(trx: Trx, merchantId: string): Promise<boolean> {
  const row = await trx.selectFrom("tiers").select("id").where("merchant_id", "=", merchantId).where("birthday_bonus", ">", 0).limit(1).executeTakeFirst();
  return row !== undefined;
}
