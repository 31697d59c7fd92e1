import { withTenant, type DB } from "~/db.server";
import { isHeldOutOfProgram } from "./assignment.server";

/**
 * For pages: is this member held out of the loyalty program? Assigns on first sight (a member who joined before the
 * holdout was configured gets an arm the first time they open the portal), exactly as the earning paths do.
 */
export function memberHeldOutOfLoyalty(database: DB, merchantId: string, memberId: string): Promise<boolean> {
  return withTenant(database, merchantId, (trx) => isHeldOutOfProgram(trx, merchantId, "loyalty_program", memberId));
}
