import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { offerEarningPercent } from "~/domain/offers/multiplier.server";
import { combinePercents } from "~/domain/tiers/model";
import { getMemberTierBenefits, reevaluateMemberTier } from "~/domain/tiers/tiers.server";

/**
 * Where the points code meets tiers (issue 4). The earning paths call these; the tier rules live in
 * app/domain/tiers.
 */

/**
 * The earning multiplier, in percent (100 = none): the member's tier benefit times the claimed "points multiplier"
 * offers (150% × 200% = 300%, rounded down). The tier is the one the member holds now; `at` is the earning's instant.
 */
export async function tierEarningPercent(trx: Trx, merchantId: string, memberId: string, at: Date): Promise<number> {
  const tier = await getMemberTierBenefits(trx, merchantId, memberId);
  return combinePercents(tier?.earningPercent ?? 100, await offerEarningPercent(trx, merchantId, memberId, at));
}

/** The tier's birthday bonus, added to the program's base birthday bonus (0 without a tier). */
export async function tierBirthdayBonus(trx: Trx, merchantId: string, memberId: string): Promise<number> {
  return (await getMemberTierBenefits(trx, merchantId, memberId))?.birthdayBonus ?? 0;
}

/**
 * After points were earned or reversed, or an order or refund was recorded: upgrades happen at once (downgrades
 * only at period ends, so a refund never lowers the tier here). Runs in the caller's transaction.
 */
export async function afterQualifyingActivity(trx: Trx, merchantId: string, memberId: string, at: Date): Promise<void> {
  // One cheap query on the hot path of merchants without tiers (and of bulk imports before tiers exist).
  const relevant = await sql<{ one: number }>`
    select 1 as one from tiers where merchant_id = ${merchantId}
    union all
    select 1 from member_tiers where merchant_id = ${merchantId} and member_id = ${memberId} and (tier_id is not null or pin_tier_id is not null)
    limit 1`.execute(trx);
  if (relevant.rows.length === 0) return;
  await reevaluateMemberTier(trx, merchantId, memberId, at);
}

/** Whether any of the merchant's tiers gives a birthday bonus (the birthday job then runs even without a base bonus). */
export async function hasTierBirthdayBonus(trx: Trx, merchantId: string): Promise<boolean> {
  const row = await trx.selectFrom("tiers").select("id").where("merchant_id", "=", merchantId).where("birthday_bonus", ">", 0).limit(1).executeTakeFirst();
  return row !== undefined;
}
