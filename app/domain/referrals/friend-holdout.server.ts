import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import type { ReferralFriendArm } from "~db/schema";
import type { ReferralSettings } from "./settings";

/**
 * The friend holdout: while `friendHoldoutPercent` > 0, every landing device is assigned once (sticky per merchant
 * and device, drawn by PostgreSQL's random()) to `offer` or `holdout`. Only the friend's *incentive* is held out: a
 * held-out friend still sees who invited them, signs up as a referral like any other (tree edge, fraud checks,
 * referrer and ancestor rewards when they qualify) and just gets no welcome gift (rewards.server.ts skips the friend's
 * payout of a referral whose friend_arm is 'holdout'). The referral terms say so on the Refer and landing pages
 * (terms.ts). The incrementality report compares the two arms' conversion to estimate the share of invited friends
 * who would have qualified without the gift (app/domain/incrementality/referral.server.ts).
 *
 * Before this design, held-out friends saw a plain join page and were recorded in referral_holdout_signups, never
 * attributed; those rows stay (measurement of that period) and those members stay unreferred (isHoldoutFriend).
 */

/** The device's arm, drawn on its first landing while the holdout is on; null when the holdout is off or no device. */
export async function friendArmFor(trx: Trx, merchantId: string, deviceId: string | null, settings: ReferralSettings): Promise<ReferralFriendArm | null> {
  if (!deviceId || settings.friendHoldoutPercent <= 0) return null;
  // `on conflict do nothing` then read: concurrent first landings of one device agree on the first draw.
  await sql`
    insert into referral_friend_arms (merchant_id, device_id, arm, assigned_at)
    values (${merchantId}, ${deviceId}, case when random() * 100 < ${settings.friendHoldoutPercent}::float8 then 'holdout' else 'offer' end, ${now()})
    on conflict (merchant_id, device_id) do nothing`.execute(trx);
  const row = await trx
    .selectFrom("referral_friend_arms")
    .select("arm")
    .where("merchant_id", "=", merchantId)
    .where("device_id", "=", deviceId)
    .executeTakeFirstOrThrow();
  return row.arm;
}

/** Whether the member joined from the earlier design's plain join page (such members are never attributed afterwards). */
export async function isHoldoutFriend(trx: Trx, merchantId: string, memberId: string): Promise<boolean> {
  const row = await trx.selectFrom("referral_holdout_signups").select("id").where("merchant_id", "=", merchantId).where("member_id", "=", memberId).executeTakeFirst();
  return Boolean(row);
}

/** The device's current arm, without drawing one (a sign-up whose click is not found still keeps its device's arm). */
export async function existingFriendArm(trx: Trx, merchantId: string, deviceId: string | null): Promise<ReferralFriendArm | null> {
  if (!deviceId) return null;
  const row = await trx.selectFrom("referral_friend_arms").select("arm").where("merchant_id", "=", merchantId).where("device_id", "=", deviceId).executeTakeFirst();
  return row?.arm ?? null;
}
