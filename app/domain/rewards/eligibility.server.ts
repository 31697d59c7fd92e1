import { db, withTenant } from "~/db.server";
import { isHeldOutOfProgram } from "~/domain/experiments/assignment.server";

/**
 * Draws (and commits) the member's loyalty-holdout arm before a redemption's own transaction. The draw happens on
 * first sight; inside a redemption that then fails (insufficient points, say) it would roll back and be drawn again
 * next time — no longer sticky. Unknown members are left to the redemption, which answers 404.
 */
export async function assignLoyaltyArm(merchantId: string, memberId: string): Promise<void> {
  await withTenant(db(), merchantId, async (trx) => {
    const known = await trx.selectFrom("members").select("id").where("merchant_id", "=", merchantId).where("id", "=", memberId).executeTakeFirst();
    if (known) await isHeldOutOfProgram(trx, merchantId, "loyalty_program", memberId);
  });
}
