import type { Trx } from "~/db.server";

/**
 * The tier earning multiplier, in percent (100 = none). The Tiers issue replaces this body with the member's
 * tier benefit at `at`; the earning paths already call it for every order and custom event.
 */
export async function tierEarningPercent(_trx: Trx, _merchantId: string, _memberId: string, _at: Date): Promise<number> {
  return 100;
}
