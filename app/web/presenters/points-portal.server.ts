import { now } from "~/lib/clock.server";
import type { HistoryPage } from "~/components/points/portal-points";
import { balanceView, historyItem, type BalanceView } from "~/components/points/views";
import { db, withTenant, type Trx } from "~/db.server";
import { heldOutFromRow } from "~/domain/experiments/assignment.server";
import { readMemberHome } from "~/domain/members/accounts.server";
import { getMemberPoints } from "~/domain/points/balance.server";
import { orBadRequest } from "~/web/form-action.server";

/**
 * The portal's points pages. Each reads what it shows in one transaction (the member, and the balance with the rules,
 * a page of history and the loyalty holdout: two statements on the home, one on the points page), not in one
 * transaction per part side by side, which cost a pooled connection and a begin/commit each (issue 14).
 */

type PortalMerchant = { id: string; timezone: string };

/**
 * A member's points as the portal shows them: the balance and one page of history in plain words, formatted in the
 * merchant's time zone. 400 for a cursor that is not one we issued.
 */
async function pointsView(
  trx: Trx,
  merchant: PortalMerchant,
  memberId: string,
  opts: { cursor?: string | null; limit: number },
): Promise<{ heldOut: boolean; balance: BalanceView; history: HistoryPage }> {
  const at = now();
  const { balance, rules, ledger, loyaltyHoldout } = await orBadRequest(
    getMemberPoints(trx, merchant.id, memberId, { ledger: { cursor: opts.cursor ?? null, limit: opts.limit }, loyaltyHoldout: true }),
  );
  return {
    // Read with the points (no round trip of its own); assigns the member on first sight, as isHeldOutOfProgram does.
    heldOut: await heldOutFromRow(trx, merchant.id, memberId, loyaltyHoldout),
    balance: balanceView(balance, { pendingDays: rules.pendingDays, expiryMode: rules.expiry.mode }, merchant.timezone, at),
    history: { cursor: opts.cursor ?? null, items: ledger!.rows.map((l) => historyItem(l, merchant.timezone, at)), nextCursor: ledger!.nextCursor },
  };
}

/** The points page: whether the member is held out of the program, the balance and one page of history. */
export async function portalPointsView(merchant: PortalMerchant, memberId: string, opts: { cursor?: string | null; limit: number }) {
  // The points statement goes with the transaction's `begin` (withBegin).
  return withTenant(db(), merchant.id, (trx) => pointsView(trx, merchant, memberId, opts));
}

/** The portal home: the member's summary, whether they are held out of the program, their points and recent history. */
export async function portalHomeView(merchant: PortalMerchant, memberId: string, recent: number) {
  return withTenant(db(), merchant.id, async (trx) => {
    // The member first: that statement goes with the transaction's `begin` (withBegin).
    const home = await readMemberHome(trx, merchant.id, memberId);
    const { heldOut, ...points } = await pointsView(trx, merchant, memberId, { limit: recent });
    return { home, heldOut, points };
  });
}
