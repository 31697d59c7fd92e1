import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { getReferralSettings } from "~/domain/referrals/program.server";
import type { QualifyingEvent } from "~/domain/referrals/settings";
import { incrementalReferralInterval, incrementalReferralValue, rateRatioKatz, referralPremium, wilson, type Rate } from "./referral-stats";

/**
 * The incrementality report's referral section: what the friend's welcome gift adds. The referral program's member
 * holdout measures the referrers; the friend holdout (app/domain/referrals/friend-holdout.server.ts) randomizes
 * landing devices between the invitation with the gift (`offer`) and the same invitation without it (`holdout`).
 * Held-out friends are referrals like any other (they count for the referrer), so p_organic is the share of gifted
 * friends who would have joined and qualified on the invitation alone.
 *
 * Per arm: landing devices (distinct devices with a click in the arm), sign-ups (referrals recorded with that
 * friend_arm; the holdout arm also counts referral_holdout_signups, the sign-ups of the earlier design where held-out
 * friends saw a plain join page, since their landing devices are in the denominator) and qualified conversions — a
 * sign-up whose member then ordered as the program's qualifying rule asks (first order; first order above the
 * minimum; n orders within the days; a sign-up itself under the "signup" rule) — over landing devices. Every sign-up
 * counts whatever its fraud status (intent to treat).
 *
 * Value of a converted friend: realized gross margin since the sign-up (orders net of refunds × gross margin) plus
 * the predicted residual CLTV (member_stats.cltv_12m_minor). Reward cost: the payouts of the offer arm's referrals
 * not reversed — points × point value, plus catalog rewards at what they took off when used (a reward never used
 * costs nothing; issue 16) — split into the friends' gifts and the referrer and ancestor rewards, which the formula
 * treats differently. p_organic and the incremental value: see referral-stats.ts.
 *
 * Window: landings, sign-ups and orders at or after `from` and before `to` count.
 */

export interface ReferralArmStats {
  arm: "offer" | "holdout";
  landingDevices: number;
  signups: number;
  conversions: number;
  conversionRate: Rate;
  /** Mean value of the arm's converted friends (minor units), null without conversions. */
  meanValue: number | null;
}

export interface ReferralSection {
  /** False when the friend holdout never had a landing: no p_organic, only the value and the reward cost. */
  friendHoldout: boolean;
  arms: ReferralArmStats[];
  /**
   * Conversion(holdout) / conversion(offer) with Katz's 95% interval — the share of gifted friends who would have
   * qualified without the gift; null without a holdout or offer conversions.
   */
  pOrganic: { estimate: number; ci95: [number, number] } | null;
  /** The referred friends who converted (offer arm when the holdout runs; every referral otherwise). */
  referred: { converts: number; realizedMarginMinor: number; predictedMinor: number; totalMinor: number; perMemberMinor: number | null };
  /** Offer-arm payouts; `friendMinor` the welcome gifts, `referrerMinor` the referrer and ancestor rewards. */
  rewardCost: { pointsPaid: number; pointsMinor: number; rewardsMinor: number; totalMinor: number; friendMinor: number; referrerMinor: number };
  /** converts × p_organic × (mean value offer − mean value holdout); null without p_organic. */
  premiumMinor: number | null;
  /** Σ CLV_offer · (1 − p) + premium − friend rewards − referrer rewards · (1 − p), interval at p_organic's ends. */
  incremental: { valueMinor: number; ci95: [number, number] } | null;
}

interface ArmRow {
  arm: "offer" | "holdout";
  signups: number;
  converts: number;
  sum_margin: number | null;
  sum_pred: number | null;
}

/** The qualifying rule as (minimum order amount, orders needed, within days of the sign-up). */
function conversionRule(q: QualifyingEvent): { min: number; orders: number; days: number | null } {
  switch (q.kind) {
    case "signup":
      return { min: 0, orders: 0, days: null };
    case "first_order_above":
      return { min: q.minAmountMinor, orders: 1, days: null };
    case "n_orders_within_days":
      return { min: 0, orders: q.orders, days: q.days };
    default:
      return { min: 0, orders: 1, days: null };
  }
}

export async function buildReferralSection(
  trx: Trx,
  merchantId: string,
  econ: { grossMarginBps: number; pointValue: { points: number; minor: number } },
  window: { from?: Date | null; to?: Date | null } = {},
): Promise<ReferralSection> {
  const settings = await getReferralSettings(trx, merchantId);
  const rule = conversionRule(settings.qualifyingEvent);
  const from = window.from ?? null;
  const to = window.to ?? null;
  const inRange = (col: ReturnType<typeof sql.ref>) =>
    sql`(${from}::timestamptz is null or ${col} >= ${from}::timestamptz) and (${to}::timestamptz is null or ${col} < ${to}::timestamptz)`;

  const devices = await sql<{ arm: "offer" | "holdout"; devices: number }>`
    select friend_arm as arm, count(distinct device_id)::int as devices
    from referral_clicks c
    where c.merchant_id = ${merchantId} and c.friend_arm is not null and c.device_id is not null and ${inRange(sql.ref("c.landed_at"))}
    group by friend_arm`.execute(trx);
  const landings = new Map(devices.rows.map((r) => [r.arm, r.devices]));
  const friendHoldout = (landings.get("holdout") ?? 0) > 0;

  // Sign-ups of both arms (without a holdout: every referral), their orders since the sign-up, and the value.
  const margin = econ.grossMarginBps / 10000;
  const arms = await sql<ArmRow>`
    with s as (
      select 'offer'::text as arm, r.member_id, r.created_at from referrals r
      where r.merchant_id = ${merchantId} and ${inRange(sql.ref("r.created_at"))}
        and (r.friend_arm = 'offer' or not ${friendHoldout}::boolean)
      union all
      select 'holdout', r.member_id, r.created_at from referrals r
      where r.merchant_id = ${merchantId} and ${inRange(sql.ref("r.created_at"))} and r.friend_arm = 'holdout' and ${friendHoldout}::boolean
      union all
      select 'holdout', h.member_id, h.created_at from referral_holdout_signups h
      where h.merchant_id = ${merchantId} and ${inRange(sql.ref("h.created_at"))}
    ),
    o as (
      select s.member_id,
        count(*) filter (where o.amount_minor >= ${rule.min}
          and (${rule.days}::int is null or o.occurred_at < s.created_at + make_interval(days => ${rule.days}::int)))::int as qualifying,
        sum(o.amount_minor - o.refunded_minor)::float8 as net
      from s join orders o on o.merchant_id = ${merchantId} and o.member_id = s.member_id
        and o.occurred_at >= s.created_at and (${to}::timestamptz is null or o.occurred_at < ${to}::timestamptz)
      group by s.member_id
    ),
    m as (
      select s.arm, coalesce(o.qualifying, 0) >= ${rule.orders}::int as converted,
        coalesce(o.net, 0) * ${margin}::float8 as margin, coalesce(st.cltv_12m_minor, 0)::float8 as pred
      from s
      left join o on o.member_id = s.member_id
      left join member_stats st on st.merchant_id = ${merchantId} and st.member_id = s.member_id
    )
    select arm, count(*)::int as signups, count(*) filter (where converted)::int as converts,
      sum(margin) filter (where converted) as sum_margin, sum(pred) filter (where converted) as sum_pred
    from m group by arm`.execute(trx);
  const row = (arm: "offer" | "holdout"): ArmRow => arms.rows.find((r) => r.arm === arm) ?? { arm, signups: 0, converts: 0, sum_margin: 0, sum_pred: 0 };
  const offer = row("offer");
  const holdout = row("holdout");

  const payouts = await sql<{ points: number | null; rewards: number | null; friend_points: number | null; friend_rewards: number | null }>`
    select sum(p.points) filter (where p.kind = 'points')::float8 as points,
      sum(coalesce(d.applied_minor, 0)) filter (
        where p.kind = 'reward' and d.status <> 'void' and coalesce(d.used_at, d.fulfilled_at) is not null)::float8 as rewards,
      sum(p.points) filter (where p.kind = 'points' and p.role = 'friend')::float8 as friend_points,
      sum(coalesce(d.applied_minor, 0)) filter (
        where p.kind = 'reward' and p.role = 'friend' and d.status <> 'void' and coalesce(d.used_at, d.fulfilled_at) is not null)::float8 as friend_rewards
    from referral_payouts p
    join referrals r on r.merchant_id = p.merchant_id and r.id = p.referral_id
    left join reward_redemptions d on d.merchant_id = p.merchant_id and d.id = p.redemption_id
    where p.merchant_id = ${merchantId} and p.status <> 'reversed' and ${inRange(sql.ref("r.created_at"))}
      and (r.friend_arm = 'offer' or not ${friendHoldout}::boolean)`.execute(trx);
  const pointsToMinor = (points: number) => (points * econ.pointValue.minor) / econ.pointValue.points;
  const pointsPaid = payouts.rows[0]?.points ?? 0;
  const pointsMinor = pointsToMinor(pointsPaid);
  const rewardsMinor = payouts.rows[0]?.rewards ?? 0;
  const friendMinor = pointsToMinor(payouts.rows[0]?.friend_points ?? 0) + (payouts.rows[0]?.friend_rewards ?? 0);
  const rewardCost = { pointsPaid, pointsMinor, rewardsMinor, totalMinor: pointsMinor + rewardsMinor, friendMinor, referrerMinor: pointsMinor + rewardsMinor - friendMinor };

  const valueOf = (r: ArmRow) => (r.sum_margin ?? 0) + (r.sum_pred ?? 0);
  const sumValue = valueOf(offer);
  const referred = {
    converts: offer.converts,
    realizedMarginMinor: offer.sum_margin ?? 0,
    predictedMinor: offer.sum_pred ?? 0,
    totalMinor: sumValue,
    perMemberMinor: offer.converts > 0 ? sumValue / offer.converts : null,
  };
  const armStats = (r: ArmRow): ReferralArmStats => {
    const n = landings.get(r.arm) ?? 0;
    // A device can sign up more than once in principle; the rate is capped at one conversion per landing device.
    const conversions = Math.min(r.converts, n);
    return { arm: r.arm, landingDevices: n, signups: r.signups, conversions: r.converts, conversionRate: wilson(conversions, n), meanValue: r.converts > 0 ? valueOf(r) / r.converts : null };
  };

  if (!friendHoldout) {
    return { friendHoldout, arms: [], pOrganic: null, referred, rewardCost, premiumMinor: null, incremental: null };
  }
  const offerStats = armStats(offer);
  const holdoutStats = armStats(holdout);
  const rr = rateRatioKatz(holdoutStats.conversionRate.successes, holdoutStats.landingDevices, offerStats.conversionRate.successes, offerStats.landingDevices);
  if (!rr) return { friendHoldout, arms: [offerStats, holdoutStats], pOrganic: null, referred, rewardCost, premiumMinor: null, incremental: null };
  const input = {
    converts: offer.converts,
    sumValue,
    meanOffer: offerStats.meanValue ?? 0,
    meanHoldout: holdoutStats.meanValue ?? 0,
    friendRewardCost: rewardCost.friendMinor,
    referrerRewardCost: rewardCost.referrerMinor,
  };
  // Without holdout converts there is no holdout mean: the premium is taken as 0 (p_organic is 0 then anyway).
  if (holdout.converts === 0) input.meanHoldout = input.meanOffer;
  return {
    friendHoldout,
    arms: [offerStats, holdoutStats],
    pOrganic: { estimate: rr.ratio, ci95: rr.ci95 },
    referred,
    rewardCost,
    premiumMinor: referralPremium(input, rr.ratio),
    incremental: { valueMinor: incrementalReferralValue(input, rr.ratio), ci95: incrementalReferralInterval(input, rr.ci95) },
  };
}
