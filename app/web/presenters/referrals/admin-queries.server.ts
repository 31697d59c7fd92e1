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
