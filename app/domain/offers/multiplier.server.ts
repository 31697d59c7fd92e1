import { sql } from "kysely";
import type { Trx } from "~/db.server";

/**
 * CONTRACT (called by the tier hook): the points multiplier, in percent (100 = none), that claimed "points
 * multiplier" offers give the member at instant `at`. The tier hook multiplies it with the tier's.
 *
 * A claim's multiplier runs from the claim for the offer's number of days. Several running at once do not stack:
 * the largest applies (stacking would let a member multiply offers meant as alternatives).
 */
export async function offerEarningPercent(trx: Trx, merchantId: string, memberId: string, at: Date): Promise<number> {
  const res = await sql<{ p: number }>`select ${offerEarningPercentSql(merchantId, memberId, at)} as p`.execute(trx);
  return res.rows[0]!.p;
}

/**
 * The same figure as a scalar SQL expression (an int, 100 when no multiplier runs), so the earning hot path can read
 * it in the statement that reads the rest of the earning context.
 */
export function offerEarningPercentSql(merchantId: string, memberId: string, at: Date) {
  return sql<number>`coalesce((
    select max(multiplier_percent)::int from offer_claims
     where merchant_id = ${merchantId} and member_id = ${memberId} and multiplier_percent is not null
       and claimed_at <= ${at} and multiplier_until > ${at}), 100)`;
}
