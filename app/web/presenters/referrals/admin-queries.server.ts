import { sql } from "kysely";
import type { Trx } from "~/db.server";

/** Small read-only queries the referral admin pages need beside the referral domain's own functions. */

export async function openReviewCount(trx: Trx, merchantId: string): Promise<number> {
  const r = await trx
    .selectFrom("referral_reviews")
    .select(sql<number>`count(*)::int`.as("n"))
    .where("merchant_id", "=", merchantId)
    .where("status", "=", "open")
    .executeTakeFirstOrThrow();
  return r.n;
}

/** Active catalog rewards a referral can grant (the settings form's choices). */
export async function catalogRewardOptions(trx: Trx, merchantId: string): Promise<Array<{ id: string; name: string }>> {
  return trx.selectFrom("rewards").select(["id", "name"]).where("merchant_id", "=", merchantId).where("status", "=", "active").orderBy("name").limit(500).execute();
}

/**
 * Candidates for "top referrers": the members with the most direct referrals. Network value is then computed for
 * each (one subtree aggregate apiece), so the page costs a bounded number of indexed queries however large the
 * program is.
 */
export async function topReferrerCandidates(trx: Trx, merchantId: string, limit: number): Promise<Array<{ id: string; name: string | null; email: string; direct: number }>> {
  return trx
    .selectFrom("member_stats as s")
    .innerJoin("members as m", (j) => j.onRef("m.merchant_id", "=", "s.merchant_id").onRef("m.id", "=", "s.member_id"))
    .select(["m.id", "m.name", "m.email", "s.referral_count as direct"])
    .where("s.merchant_id", "=", merchantId)
    .where("s.referral_count", ">", 0)
    .orderBy("s.referral_count", "desc")
    .orderBy("m.id")
    .limit(limit)
    .execute();
}
