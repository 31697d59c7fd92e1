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
  const rows = await trx
    .selectFrom("referrals as r")
    .innerJoin("members as f", (j) => j.onRef("f.merchant_id", "=", "r.merchant_id").onRef("f.id", "=", "r.member_id"))
    .leftJoin("referral_payouts as p", (j) =>
      j
        .onRef("p.merchant_id", "=", "r.merchant_id")
        .onRef("p.referral_id", "=", "r.id")
        .on("p.role", "=", "referrer")
        .on("p.beneficiary_id", "=", memberId),
    )
    .select(["r.id", "f.name", "r.status", "r.created_at", "p.kind", "p.points", "p.status as payout_status"])
    .where("r.merchant_id", "=", merchantId)
    .where("r.referrer_id", "=", memberId)
    .orderBy("r.created_at", "desc")
    .orderBy("r.id", "desc")
    .limit(ROWS)
    .execute();
  const earned = await trx
    .selectFrom("referral_payouts")
    .select(sql<number>`coalesce(sum(points), 0)::int`.as("points"))
    .where("merchant_id", "=", merchantId)
    .where("beneficiary_id", "=", memberId)
    .where("role", "in", ["referrer", "ancestor"])
    .where("kind", "=", "points")
    .where("status", "=", "paid")
    .executeTakeFirstOrThrow();
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
