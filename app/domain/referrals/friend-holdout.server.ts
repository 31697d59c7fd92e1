import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import { newId } from "~/lib/ids";
import type { ReferralFriendArm } from "~db/schema";
import { normalizeCode } from "./codes";
import type { ReferralSettings } from "./settings";

/**
 * The friend holdout: while `friendHoldoutPercent` > 0, every landing device is assigned once (sticky per merchant
 * and device, drawn by PostgreSQL's random()) to `offer` — the landing page with the friend's incentive, as always —
 * or `holdout` — the program's plain join page, without the incentive. A held-out friend who signs up is recorded in
 * referral_holdout_signups for measurement only: no referral, no tree edge, no reward, no referral e-mail. The
 * incrementality report compares the two arms' conversion to estimate the share of referred friends who would have
 * come anyway (app/domain/incrementality/referral.server.ts).
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

/**
 * At sign-up: when the device's matching landing (the latest click on one of the candidate codes within the cookie
 * lifetime) was in the holdout arm, records the held-out sign-up and returns true — the caller then attributes
 * nothing. Existing customers (an order before the click) and the referrer's own sign-up are not recorded, as the
 * live path would not attribute them either, but still return true (no referral either way). False otherwise.
 */
export async function recordHoldoutSignup(
  trx: Trx,
  merchantId: string,
  memberId: string,
  settings: ReferralSettings,
  input: { deviceId?: string | null; codes: Array<string | null | undefined> },
): Promise<boolean> {
  if (!settings.enabled || !input.deviceId) return false;
  const codes = [...new Set(input.codes.map((c) => (c ? normalizeCode(c) : null)).filter((c): c is string => Boolean(c)))];
  if (codes.length === 0) return false;
  const since = new Date(now().getTime() - settings.cookieDays * 86_400_000);
  const click = await trx
    .selectFrom("referral_clicks")
    .select(["id", "referrer_id", "landed_at", "friend_arm"])
    .where("merchant_id", "=", merchantId)
    .where("device_id", "=", input.deviceId)
    .where("code", "in", codes)
    .where("landed_at", ">=", since)
    .orderBy("landed_at", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!click || click.friend_arm !== "holdout") return false;
  if (click.referrer_id === memberId) return true;
  const prior = await trx.selectFrom("orders").select("id").where("merchant_id", "=", merchantId).where("member_id", "=", memberId).where("occurred_at", "<", click.landed_at).limit(1).executeTakeFirst();
  if (prior) return true;
  await trx
    .insertInto("referral_holdout_signups")
    .values({ merchant_id: merchantId, id: newId("referralHoldoutSignup"), member_id: memberId, referrer_id: click.referrer_id, click_id: click.id, device_id: input.deviceId, created_at: now() })
    .onConflict((oc) => oc.columns(["merchant_id", "member_id"]).doNothing())
    .execute();
  return true;
}

/** Whether the member joined as a held-out friend (such members are never attributed afterwards). */
export async function isHoldoutFriend(trx: Trx, merchantId: string, memberId: string): Promise<boolean> {
  const row = await trx.selectFrom("referral_holdout_signups").select("id").where("merchant_id", "=", merchantId).where("member_id", "=", memberId).executeTakeFirst();
  return Boolean(row);
}

/** The device's current arm, without drawing one (the sign-up page must not prefill a held-out friend's code). */
export async function existingFriendArm(trx: Trx, merchantId: string, deviceId: string | null): Promise<ReferralFriendArm | null> {
  if (!deviceId) return null;
  const row = await trx.selectFrom("referral_friend_arms").select("arm").where("merchant_id", "=", merchantId).where("device_id", "=", deviceId).executeTakeFirst();
  return row?.arm ?? null;
}
