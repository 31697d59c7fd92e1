import type { Trx } from "~/db.server";
import { isHeldOutOfProgram } from "~/domain/experiments/assignment.server";
import { earnPoints } from "~/domain/points/ledger.server";
import { newId } from "~/lib/ids";
import { getOrCreateCode } from "~/domain/referrals/codes.server";
import { DEMO_FRIEND_HOLDOUT, seedDemoFriendHoldout } from "./friend-holdout.server";
import { DEFAULT_REFERRAL_SETTINGS, type ReferralSettings } from "~/domain/referrals/settings";

const DAY = 86_400_000;

/**
 * The demo merchant's referral program and a small tree as if it had run for a while: the demo member referred
 * three members, two of whom referred others (three levels), one referral rejected by a fraud rule and one flagged
 * and waiting in the review queue. History is written directly (the seeded members are existing customers, which the
 * live attribution path would rightly refuse); rewards go through the ledger with the live idempotency keys.
 */
export async function seedDemoReferrals(trx: Trx, merchantId: string, demoMemberId: string, memberIds: string[], now: Date): Promise<void> {
  const settings: ReferralSettings = {
    ...DEFAULT_REFERRAL_SETTINGS,
    enabled: true,
    qualifyingEvent: { kind: "first_order_above", minAmountMinor: 1500 },
    holdDays: 14,
    friendReward: { kind: "points", points: 300 },
    referrerReward: { kind: "points", points: 500 },
    referrerCapPerMonth: 10,
    depthCap: 3,
    levelPoints: { "2": 100, "3": 25 },
    friendHoldoutPercent: DEMO_FRIEND_HOLDOUT.percent,
  };
  await trx.insertInto("referral_programs").values({ merchant_id: merchantId, settings: JSON.stringify(settings), updated_at: now, updated_by: null }).execute();

  const others = memberIds.filter((id) => id !== demoMemberId);
  // Small seeds (tests) get the program without a tree.
  if (others.length < 8) return;
  // [friend, referrer, status, days ago]
  const tree: Array<[string, string, "rewarded" | "qualified" | "rejected" | "flagged" | "pending", number, string[]]> = [
    [others[0]!, demoMemberId, "rewarded", 90, []],
    [others[1]!, demoMemberId, "rewarded", 60, []],
    [others[2]!, demoMemberId, "qualified", 5, []],
    [others[3]!, others[0]!, "rewarded", 45, []],
    [others[4]!, others[0]!, "pending", 3, []],
    [others[5]!, others[1]!, "flagged", 2, ["same_ip_ua"]],
    [others[6]!, others[3]!, "rewarded", 20, []],
    [others[7]!, others[3]!, "rejected", 10, ["same_device"]],
  ];
  for (const id of [demoMemberId, ...others.slice(0, 8)]) await getOrCreateCode(trx, merchantId, id);
  for (const [friend, referrer, status, daysAgo, reasons] of tree) {
    const at = new Date(now.getTime() - daysAgo * DAY);
    await trx.insertInto("referral_edges").values({ merchant_id: merchantId, member_id: friend, referrer_id: referrer, depth: 1, via: "cookie", created_at: at }).execute();
    const id = newId("referral");
    const paid = status === "rewarded" || status === "qualified";
    const qualifiedAt = paid ? new Date(at.getTime() + DAY) : null;
    const holdUntil = qualifiedAt ? new Date(qualifiedAt.getTime() + settings.holdDays * DAY) : null;
    await trx
      .insertInto("referrals")
      .values({
        merchant_id: merchantId,
        id,
        member_id: friend,
        referrer_id: referrer,
        code: (await getOrCreateCode(trx, merchantId, referrer)).code,
        via: "cookie",
        status,
        reasons,
        qualified_at: qualifiedAt,
        hold_until: holdUntil,
        rewarded_at: status === "rewarded" ? holdUntil : null,
        ip: status === "flagged" ? "198.51.100.7" : null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    if (status === "flagged") {
      await trx.insertInto("referral_reviews").values({ merchant_id: merchantId, id: newId("referralReview"), referral_id: id, reasons, created_at: at }).execute();
    }
    if (!paid) continue;
    // Friend, referrer and the ancestors above (levels 2 and 3).
    const chain: Array<[string, "friend" | "referrer" | "ancestor", number, number]> = [[friend, "friend", 0, 300], [referrer, "referrer", 1, 500]];
    let up = referrer;
    for (let level = 2; level <= 3; level++) {
      const parent = tree.find((t) => t[0] === up);
      if (!parent) break;
      up = parent[1];
      chain.push([up, "ancestor", level, settings.levelPoints[String(level)]!]);
    }
    for (const [beneficiary, role, level, points] of chain) {
      // Held out of the loyalty program: no points (as the live payout path).
      if (await isHeldOutOfProgram(trx, merchantId, "loyalty_program", beneficiary)) continue;
      const key = role === "ancestor" ? `referral:${id}:level:${level}` : `referral:${id}:${role}`;
      const earned = await earnPoints(trx, merchantId, {
        memberId: beneficiary,
        points,
        source: "referral",
        idempotencyKey: key,
        description: role === "friend" ? "Welcome reward for joining through a friend" : role === "referrer" ? "Referral reward" : `Referral reward (level ${level})`,
        earnedAt: qualifiedAt!,
        pendingUntil: status === "qualified" ? holdUntil : null,
        metadata: { referralId: id, role, level },
        actor: { type: "system", id: null },
      });
      await trx
        .insertInto("referral_payouts")
        .values({
          merchant_id: merchantId,
          id: newId("referralPayout"),
          referral_id: id,
          beneficiary_id: beneficiary,
          role,
          level,
          kind: "points",
          points,
          journal_id: earned.journalId,
          status: "paid",
          digested_at: qualifiedAt,
          created_at: qualifiedAt!,
        })
        .execute();
    }
  }
  // The friend holdout and the program's member holdout (app/demo/friend-holdout.server.ts).
  if (others.length >= 40) {
    await seedDemoFriendHoldout(trx, merchantId, { demoMemberId, treeMemberIds: others.slice(0, 8), candidates: others.slice(8), settings, now, allMemberIds: memberIds });
  }
}
