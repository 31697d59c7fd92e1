import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { enqueueEmail } from "~/domain/email/outbox.server";
import { isHeldOutOfProgram } from "~/domain/experiments/assignment.server";
import { earnPoints, reverseLot } from "~/domain/points/ledger.server";
import { capWindowStarts } from "~/domain/points/rules";
import { appUrl } from "~/lib/env.server";
import { newId } from "~/lib/ids";
import type { ReferralPayoutRole, ReferralsTable } from "~db/schema";
import type { Selectable } from "kysely";
import { ancestorPoints, type ReferralReward, type ReferralSettings } from "./settings";
import type { GrantReward } from "./ports.server";
import { ancestors } from "./tree.server";

/**
 * Paying and reversing referral rewards. Points are credited at qualification as a pending lot that releases when
 * the hold period ends (the points ledger's release job does that), so a refund inside the hold period can reverse
 * them before they were ever spendable. Catalog rewards (codes, credit) cannot be taken back once issued, so they
 * are granted when the hold period ends. Every payout is one referral_payouts row, unique per (referral, role,
 * level), and its ledger journal carries the key referral:<id>:friend | :referrer | :level:<n>.
 */

type Referral = Selectable<ReferralsTable>;

const portalUrl = (slug: string) => `${appUrl()}/p/${slug}`;

export function rewardText(r: ReferralReward): string | null {
  if (r.kind === "points") return `${r.points.toLocaleString("en-US")} points`;
  if (r.kind === "reward") return "a reward";
  return null;
}

function payoutKey(referralId: string, role: ReferralPayoutRole, level: number): string {
  return role === "ancestor" ? `referral:${referralId}:level:${level}` : `referral:${referralId}:${role}`;
}

/** Creates the payout row once; null when it already exists (a concurrent or repeated qualification). */
async function claimPayout(
  trx: Trx,
  merchantId: string,
  referral: Referral,
  p: { beneficiaryId: string; role: ReferralPayoutRole; level: number; reward: ReferralReward & { kind: "points" | "reward" } },
): Promise<string | null> {
  // Members held out of the loyalty program have no points at all (issue 6): a points payout to them is skipped.
  if (p.reward.kind === "points" && (await isHeldOutOfProgram(trx, merchantId, "loyalty_program", p.beneficiaryId))) return null;
  const id = newId("referralPayout");
  const row = await trx
    .insertInto("referral_payouts")
    .values({
      merchant_id: merchantId,
      id,
      referral_id: referral.id,
      beneficiary_id: p.beneficiaryId,
      role: p.role,
      level: p.level,
      kind: p.reward.kind,
      points: p.reward.kind === "points" ? p.reward.points : null,
      reward_id: p.reward.kind === "reward" ? p.reward.rewardId : null,
      status: p.reward.kind === "points" ? "paid" : "pending",
      created_at: now(),
    })
    .onConflict((oc) => oc.columns(["merchant_id", "referral_id", "role", "level"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  if (!row) return null;
  if (p.reward.kind === "points") {
    const earned = await earnPoints(trx, merchantId, {
      memberId: p.beneficiaryId,
      points: p.reward.points,
      source: "referral",
      idempotencyKey: payoutKey(referral.id, p.role, p.level),
      description: p.role === "friend" ? "Welcome reward for joining through a friend" : p.role === "referrer" ? "Referral reward" : `Referral reward (level ${p.level})`,
      pendingUntil: referral.hold_until,
      metadata: { referralId: referral.id, role: p.role, level: p.level },
      actor: { type: "system", id: null },
    });
    await trx.updateTable("referral_payouts").set({ journal_id: earned.journalId }).where("merchant_id", "=", merchantId).where("id", "=", id).execute();
  }
  return id;
}

/** How many referrer rewards the referrer already has this month and in total (reversed ones do not count). */
async function referrerRewardCounts(trx: Trx, merchantId: string, referrerId: string, monthStart: Date): Promise<{ month: number; total: number }> {
  const r = await trx
    .selectFrom("referral_payouts")
    .select([sql<number>`count(*) filter (where created_at >= ${monthStart})::int`.as("month"), sql<number>`count(*)::int`.as("total")])
    .where("merchant_id", "=", merchantId)
    .where("beneficiary_id", "=", referrerId)
    .where("role", "=", "referrer")
    .where("status", "<>", "reversed")
    .executeTakeFirstOrThrow();
  return r;
}

/**
 * Pays everything a qualified referral earns: the friend's welcome reward (not in the friend holdout), the referrer's
 * reward (within caps) and the ancestors' per-level points (up to the depth cap). The caller holds the referral row
 * lock. Idempotent.
 */
export async function payQualifiedReferral(trx: Trx, merchantId: string, referral: Referral, settings: ReferralSettings): Promise<{ paid: number }> {
  const merchant = await trx.selectFrom("merchants").select(["name", "slug", "timezone"]).where("id", "=", merchantId).executeTakeFirstOrThrow();
  let paid = 0;
  const holdNote = referral.hold_until && referral.hold_until > now() ? `Available from ${referral.hold_until.toISOString().slice(0, 10)}` : null;

  // A friend in the friend holdout gets no welcome gift (friend-holdout.server.ts); the referrer and ancestors are paid.
  if (settings.friendReward.kind !== "none" && referral.friend_arm !== "holdout") {
    const id = await claimPayout(trx, merchantId, referral, { beneficiaryId: referral.member_id, role: "friend", level: 0, reward: settings.friendReward });
    if (id) {
      paid++;
      const people = await trx.selectFrom("members").select(["id", "name", "email"]).where("merchant_id", "=", merchantId).where("id", "in", [referral.member_id, referral.referrer_id]).execute();
      const friend = people.find((p) => p.id === referral.member_id)!;
      const referrer = people.find((p) => p.id === referral.referrer_id);
      await enqueueEmail(trx, merchantId, {
        template: "referral-welcome",
        to: friend.email,
        props: {
          memberName: friend.name,
          merchantName: merchant.name,
          referrerName: referrer?.name?.split(" ")[0] ?? null,
          reward: rewardText(settings.friendReward)!,
          availableNote: holdNote,
          portalUrl: portalUrl(merchant.slug),
        },
      });
    }
  }

  // Caps: a per-referrer advisory lock so two friends qualifying at once cannot both slip under a cap.
  let referrerPaid = false;
  if (settings.referrerReward.kind !== "none") {
    await sql`select pg_advisory_xact_lock(hashtext(${`referral-cap:${merchantId}:${referral.referrer_id}`}))`.execute(trx);
    const counts = await referrerRewardCounts(trx, merchantId, referral.referrer_id, capWindowStarts(now(), merchant.timezone).monthStart);
    const capped =
      (settings.referrerCapPerMonth !== null && counts.month >= settings.referrerCapPerMonth) ||
      (settings.referrerCapLifetime !== null && counts.total >= settings.referrerCapLifetime);
    if (!capped) {
      referrerPaid = !!(await claimPayout(trx, merchantId, referral, { beneficiaryId: referral.referrer_id, role: "referrer", level: 1, reward: settings.referrerReward }));
      if (referrerPaid) paid++;
    }
  }
  // One e-mail per qualification: the caller runs this once, when the referral turns qualified under its row lock.
  const referrer = await trx.selectFrom("members").select(["name", "email", "status"]).where("merchant_id", "=", merchantId).where("id", "=", referral.referrer_id).executeTakeFirstOrThrow();
  const friend = await trx.selectFrom("members").select("name").where("merchant_id", "=", merchantId).where("id", "=", referral.member_id).executeTakeFirstOrThrow();
  if (referrer.status === "active") {
    await enqueueEmail(trx, merchantId, {
      template: "referral-qualified",
      to: referrer.email,
      props: {
        memberName: referrer.name,
        merchantName: merchant.name,
        friendName: friend.name?.split(" ")[0] ?? "Your friend",
        reward: referrerPaid ? rewardText(settings.referrerReward) : null,
        availableNote: referrerPaid ? holdNote : null,
        portalUrl: `${portalUrl(merchant.slug)}/referrals`,
      },
    });
  }

  if (settings.depthCap >= 2) {
    // Level 1 is the direct referrer; ancestors() counts from the friend, so the friend's level-n referrer is
    // the referrer's level-(n-1) ancestor.
    for (const a of await ancestors(trx, merchantId, referral.member_id, settings.depthCap)) {
      if (a.level < 2) continue;
      const points = ancestorPoints(settings, a.level);
      if (points <= 0) continue;
      if (await claimPayout(trx, merchantId, referral, { beneficiaryId: a.memberId, role: "ancestor", level: a.level, reward: { kind: "points", points } })) paid++;
    }
  }
  return { paid };
}

/**
 * Voids a referral's rewards after its qualifying order was refunded inside the hold period: paid points are
 * reversed (their lots are still pending, so nothing becomes debt unless the hold was shortened), catalog rewards
 * waiting for the hold are cancelled. Caller holds the referral row lock.
 */
export async function reversePayouts(trx: Trx, merchantId: string, referral: Referral, actor: Actor): Promise<{ reversed: number }> {
  const payouts = await trx
    .selectFrom("referral_payouts")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("referral_id", "=", referral.id)
    .where("status", "<>", "reversed")
    .orderBy("level")
    .execute();
  let reversed = 0;
  for (const p of payouts) {
    let reversalJournalId: string | null = null;
    if (p.kind === "points" && p.journal_id) {
      const lot = await trx.selectFrom("point_lots").select("id").where("merchant_id", "=", merchantId).where("journal_id", "=", p.journal_id).executeTakeFirstOrThrow();
      const r = await reverseLot(trx, merchantId, {
        lotId: lot.id,
        idempotencyKey: `${payoutKey(referral.id, p.role, p.level)}:reverse`,
        description: "Referral reward reversed: the qualifying order was refunded",
        source: "referral",
        actor,
      });
      reversalJournalId = r?.journalId ?? null;
    }
    await trx
      .updateTable("referral_payouts")
      .set({ status: "reversed", reversal_journal_id: reversalJournalId, reversed_at: now() })
      .where("merchant_id", "=", merchantId)
      .where("id", "=", p.id)
      .execute();
    reversed++;
  }
  return { reversed };
}

/**
 * Grants the catalog rewards that waited for the hold period (idempotent: grantReward replays by key). `grantReward`
 * is the rewards program's, passed down from the flow (flows/referral-rewards.server.ts).
 */
export async function grantPendingRewards(trx: Trx, merchantId: string, referral: Referral, grantReward: GrantReward): Promise<number> {
  const pending = await trx
    .selectFrom("referral_payouts")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("referral_id", "=", referral.id)
    .where("status", "=", "pending")
    .execute();
  for (const p of pending) {
    const g = await grantReward(trx, merchantId, {
      memberId: p.beneficiary_id,
      rewardId: p.reward_id!,
      idempotencyKey: payoutKey(referral.id, p.role, p.level),
      source: "referral",
      chargePoints: false,
      actor: { type: "system", id: null },
      sourceId: referral.id,
    });
    await trx.updateTable("referral_payouts").set({ status: "paid", redemption_id: g.redemptionId }).where("merchant_id", "=", merchantId).where("id", "=", p.id).execute();
  }
  return pending.length;
}
