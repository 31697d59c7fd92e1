import { sql } from "kysely";
import { formatDate } from "~/components/ui/format";
import type { NetworkLevelCount, PortalReferralRow, ReferralStatus } from "~/components/referrals/views";
import type { Trx } from "~/db.server";
import { networkValue } from "~/domain/referrals/tree.server";
import { friendLabel, levelCounts } from "./privacy";

export interface PortalReferralsView {
  rows: PortalReferralRow[];
  /** Points the member earned from referrals (theirs and their network's), paid and not reversed; null if none. */
  rewardsEarned: string | null;
  network: NetworkLevelCount[];
  /** Members deeper than the levels shown, as one count. */
  beyond: number;
}

const ROWS = 50;
const pts = (n: number) => `${n.toLocaleString("en-US")} ${n === 1 ? "point" : "points"}`;

/**
 * The "your referrals" part of the portal's Refer page. Only the member's own referrals are listed, each friend by
 * first name and initial; everyone further down is a count per level. No e-mail, full name, order or amount of
 * another member leaves this function.
 */
export async function portalReferralsView(trx: Trx, merchantId: string, memberId: string, timezone: string): Promise<PortalReferralsView> {
  // The member's referrals and the points they earned from referrals in one statement (one round trip less on the
  // Refer page, issue 14): the sum is the one row of `e`, the referrals joined to it (none: one row of nulls).
  const { rows: found } = await sql<{
    earned: number;
    id: string | null;
    name: string | null;
    status: string | null;
    created_at: Date | null;
    kind: string | null;
    points: number | null;
    payout_status: string | null;
  }>`
    select e.earned, r.id, r.name, r.status, r.created_at, r.kind, r.points, r.payout_status
    from (
      select coalesce(sum(points), 0)::int as earned from referral_payouts
      where merchant_id = ${merchantId} and beneficiary_id = ${memberId} and role in ('referrer', 'ancestor') and kind = 'points' and status = 'paid'
    ) e
    left join lateral (
      select r.id, f.name, r.status, r.created_at, p.kind, p.points, p.status as payout_status
      from referrals r
      join members f on f.merchant_id = r.merchant_id and f.id = r.member_id
      left join referral_payouts p on p.merchant_id = r.merchant_id and p.referral_id = r.id and p.role = 'referrer' and p.beneficiary_id = ${memberId}
      where r.merchant_id = ${merchantId} and r.referrer_id = ${memberId}
      order by r.created_at desc, r.id desc
      limit ${ROWS}
    ) r on true
    order by r.created_at desc, r.id desc`.execute(trx);
  const earned = { points: found[0]!.earned };
  const rows = found.flatMap((r) => (r.id === null ? [] : [{ ...r, id: r.id, created_at: r.created_at! }]));
  const network = await networkValue(trx, merchantId, memberId);
  const counts = levelCounts(network.levels);
  return {
    rows: rows.map((r) => ({
      // The referral id, not the friend's member id: the browser needs a key, not an identifier of the friend.
      key: r.id,
      friend: friendLabel(r.name),
      status: r.status as ReferralStatus,
      joinedOn: formatDate(r.created_at, timezone),
      reward:
        r.payout_status === "reversed" || !r.kind
          ? null
          : r.kind === "points" && r.points
            ? `${pts(r.points)}${r.payout_status === "pending" ? " (pending)" : ""}`
            : r.payout_status === "pending"
              ? "A reward (pending)"
              : "A reward",
    })),
    rewardsEarned: earned.points > 0 ? pts(earned.points) : null,
    network: counts.levels,
    beyond: counts.beyond,
  };
}
