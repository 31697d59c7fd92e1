import { sql } from "kysely";
import type { Trx } from "~/db.server";
import type { ReferralStatus, ReferralVia } from "~db/schema";
import { shareableCode } from "./codes.server";
import { getReferralSettings } from "./program.server";

/** A member's referral facts for the API (the portal's view is built by the UI from the same tables). */

export interface MemberReferralStats {
  memberId: string;
  code: string | null;
  link: string | null;
  referredBy: string | null;
  referralCount: number;
  qualifiedCount: number;
  pointsEarned: number;
}

export async function memberReferralStats(trx: Trx, merchantId: string, memberId: string): Promise<MemberReferralStats> {
  const settings = await getReferralSettings(trx, merchantId);
  const code = await shareableCode(trx, merchantId, memberId, settings.enabled);
  const row = await sql<{ referred_by: string | null; referrals: number; qualified: number; points: number }>`
    select
      (select referrer_id from referral_edges where merchant_id = ${merchantId} and member_id = ${memberId}) as referred_by,
      (select count(*)::int from referrals where merchant_id = ${merchantId} and referrer_id = ${memberId}) as referrals,
      (select count(*)::int from referrals where merchant_id = ${merchantId} and referrer_id = ${memberId} and status in ('qualified','rewarded')) as qualified,
      (select coalesce(sum(points), 0)::int from referral_payouts
        where merchant_id = ${merchantId} and beneficiary_id = ${memberId} and role <> 'friend' and kind = 'points' and status = 'paid') as points`.execute(trx);
  const r = row.rows[0]!;
  return { memberId, code: code?.code ?? null, link: code?.link ?? null, referredBy: r.referred_by, referralCount: r.referrals, qualifiedCount: r.qualified, pointsEarned: r.points };
}

export interface MemberReferralRow {
  referralId: string;
  memberId: string;
  status: ReferralStatus;
  via: ReferralVia;
  reasons: string[];
  qualifiedAt: Date | null;
  holdUntil: Date | null;
  createdAt: Date;
  referrerPoints: number;
}

/** The member's direct referrals, newest first, with the points the member was paid for each. */
export async function listMemberReferrals(
  trx: Trx,
  merchantId: string,
  memberId: string,
  opts: { limit?: number; offset?: number } = {},
): Promise<MemberReferralRow[]> {
  const rows = await trx
    .selectFrom("referrals as r")
    .leftJoin("referral_payouts as p", (j) =>
      j.onRef("p.merchant_id", "=", "r.merchant_id").onRef("p.referral_id", "=", "r.id").on("p.role", "=", "referrer").on("p.status", "=", "paid"),
    )
    .select(["r.id", "r.member_id", "r.status", "r.via", "r.reasons", "r.qualified_at", "r.hold_until", "r.created_at", sql<number>`coalesce(p.points, 0)`.as("points")])
    .where("r.merchant_id", "=", merchantId)
    .where("r.referrer_id", "=", memberId)
    .orderBy("r.created_at", "desc")
    .orderBy("r.id", "desc")
    .limit(Math.min(Math.max(opts.limit ?? 50, 1), 100))
    .offset(Math.max(opts.offset ?? 0, 0))
    .execute();
  return rows.map((r) => ({
    referralId: r.id,
    memberId: r.member_id,
    status: r.status,
    via: r.via,
    reasons: r.reasons,
    qualifiedAt: r.qualified_at,
    holdUntil: r.hold_until,
    createdAt: r.created_at,
    referrerPoints: Number(r.points),
  }));
}
