import type { Trx } from "~/db.server";
import { memberTierHistory, memberTierView } from "./tiers.server";

/** What the admin member page's tier panel shows (never enrolls the member in a holdout). */
export async function memberTierPanelData(trx: Trx, merchantId: string, memberId: string, at: Date) {
  return { view: await memberTierView(trx, merchantId, memberId, at, { enroll: false }), history: await memberTierHistory(trx, merchantId, memberId, 20) };
}
