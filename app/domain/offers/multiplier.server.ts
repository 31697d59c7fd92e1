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
  const res = await sql<{ p: number | null }>`
    select max(multiplier_percent)::int as p from offer_claims
     where merchant_id = ${merchantId} and member_id = ${memberId} and multiplier_percent is not null
       and claimed_at <= ${at} and multiplier_until > ${at}`.execute(trx);
  return res.rows[0]?.p ?? 100;
}
