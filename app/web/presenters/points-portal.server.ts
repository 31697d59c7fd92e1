import { now } from "~/lib/clock.server";
import type { HistoryPage } from "~/components/points/portal-points";
import { balanceView, historyItem, type BalanceView } from "~/components/points/views";
import { db, withTenant } from "~/db.server";
import { getMemberBalance, listMemberLedger } from "~/domain/points/balance.server";
import { getEarningRules } from "~/domain/points/rules.server";
import { orBadRequest } from "~/web/form-action.server";

/**
 * A member's points as the portal shows them: the balance and one page of history in plain words, formatted in the
 * merchant's time zone. 400 for a cursor that is not one we issued.
 */
export async function memberPointsView(
  merchant: { id: string; timezone: string },
  memberId: string,
  opts: { cursor?: string | null; limit: number },
): Promise<{ balance: BalanceView; history: HistoryPage }> {
  const at = now();
  return withTenant(db(), merchant.id, async (trx) => {
    const rules = await getEarningRules(trx, merchant.id);
    const balance = await getMemberBalance(trx, merchant.id, memberId);
    const page = await orBadRequest(listMemberLedger(trx, merchant.id, memberId, { cursor: opts.cursor ?? null, limit: opts.limit }));
    return {
      balance: balanceView(balance, { pendingDays: rules.pendingDays, expiryMode: rules.expiry.mode }, merchant.timezone, at),
      history: { cursor: opts.cursor ?? null, items: page.rows.map((l) => historyItem(l, merchant.timezone, at)), nextCursor: page.nextCursor },
    };
  });
}
