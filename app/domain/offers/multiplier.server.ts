import type { Trx } from "~/db.server";

/**
 * CONTRACT (the Offers helper replaces this body): the points multiplier, in percent (100 = none), that claimed
 * "points multiplier" offers give the member at instant `at`. The tier hook multiplies it with the tier's.
 */
export async function offerEarningPercent(_trx: Trx, _merchantId: string, _memberId: string, _at: Date): Promise<number> {
  return 100;
}
