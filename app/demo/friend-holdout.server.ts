import { sql, type Insertable } from "kysely";
import type { Trx } from "~/db.server";
import { bernoulli, deriveSeed, pick, seededRng, uniform } from "~/lib/random";
import { CONTROL, createExperiment, isHeldOutOfProgram, TREATMENT } from "~/domain/experiments/assignment.server";
import { earnPointsMany } from "~/domain/points/ledger.server";
import { newId } from "~/lib/ids";
import { getOrCreateCode } from "~/domain/referrals/codes.server";
import type { ReferralClicksTable, ReferralFriendArmsTable } from "~db/schema";
import type { ReferralSettings } from "~/domain/referrals/settings";

const DAY = 86_400_000;

/**
 * The demo's referral measurement: the referral program's member holdout (10% of members, the seeded referrers
 * always treated so the demo's links work) and four months of the friend holdout — landing devices randomized 30% to
 * the same invitation without the welcome gift — with a real effect of the gift at the step it acts on: of the
 * devices shown the gift 22% sign up, of the held-out ones (who still see who invited them) 14%. The friends who
 * signed up are the generator's members who joined in those four months (so the demo's member and order counts stay
 * the generator's), each placed in an arm in proportion to the sign-ups the arms produce, with the landing devices
 * that did not sign up added to match the rates. Both arms' friends are the referrer's referrals (edge, referrer
 * reward when they qualify); only the offer arm's get the welcome points. Their orders are the generator's, alike in
 * both arms, so the report's p_organic is about 0.14 / 0.22 ≈ 0.64 with a useful interval. Set-based inserts;
 * payouts go through the real ledger's bulk earning with the live idempotency keys.
 */
export const DEMO_FRIEND_HOLDOUT = {
  percent: 30,
  days: 120,
  signup: { offer: 0.22, holdout: 0.14 },
  referrers: 20,
  memberHoldoutShare: 0.1,
} as const;

export async function seedDemoFriendHoldout(
  trx: Trx,
  merchantId: string,
  input: { demoMemberId: string; treeMemberIds: string[]; candidates: string[]; settings: ReferralSettings; now: Date; allMemberIds: string[] },
): Promise<void> {
  const { now, settings } = input;
  const cfg = DEMO_FRIEND_HOLDOUT;
  const rng = seededRng(deriveSeed(20261123, 1));

  // The member holdout of the referral program, since the friend holdout's start. Referrers stay treated.
  const start = new Date(now.getTime() - cfg.days * DAY);
  const experiment = await createExperiment(trx, merchantId, { kind: "referral_program", name: "Referral program holdout", holdoutBps: cfg.memberHoldoutShare * 10000 });
  await trx.updateTable("experiments").set({ created_at: start }).where("merchant_id", "=", merchantId).where("id", "=", experiment.id).execute();
  const referrers = [input.demoMemberId, ...input.candidates.slice(0, cfg.referrers)];
  const treated = new Set([...referrers, ...input.treeMemberIds]);
  const arms = input.allMemberIds.map((id) => (treated.has(id) ? TREATMENT : bernoulli(rng, cfg.memberHoldoutShare) ? CONTROL : TREATMENT));
  await sql`
    insert into experiment_assignments (merchant_id, experiment_id, member_id, arm, source, assigned_at)
    select ${merchantId}, ${experiment.id}, t.member_id, t.arm, 'random', ${start}
    from unnest(${input.allMemberIds}::text[], ${arms}::text[]) as t(member_id, arm)`.execute(trx);

  const codes = new Map<string, string>();
  for (const id of referrers) codes.set(id, (await getOrCreateCode(trx, merchantId, id)).code);

  // The friends: members who joined since the start (not in the seeded tree), with their first qualifying order.
  const minOrder = settings.qualifyingEvent.kind === "first_order_above" ? settings.qualifyingEvent.minAmountMinor : 1;
  const joined = await sql<{ id: string; created_at: Date; order_id: string | null; ordered_at: Date | null }>`
    select m.id, m.created_at, f.id as order_id, f.occurred_at as ordered_at
    from members m
    left join lateral (
      select o.id, o.occurred_at from orders o
      where o.merchant_id = m.merchant_id and o.member_id = m.id and o.occurred_at >= m.created_at and o.amount_minor >= ${minOrder}
      order by o.occurred_at limit 1
    ) f on true
    where m.merchant_id = ${merchantId} and m.created_at >= ${start} and not (m.id = any(${[...treated]}::text[]))
    order by m.created_at, m.id`.execute(trx);
  // Share of sign-ups from the holdout: its devices × its rate over all devices × their rates.
  const p = cfg.percent / 100;
  const holdoutShare = (p * cfg.signup.holdout) / (p * cfg.signup.holdout + (1 - p) * cfg.signup.offer);

  const deviceAlphabet = "abcdefghijklmnopqrstuvwxyz234567";
  const device = () => Array.from({ length: 26 }, () => deviceAlphabet[Math.floor(rng() * 32)]).join("");
  const clicks: Insertable<ReferralClicksTable>[] = [];
  const arms2: Insertable<ReferralFriendArmsTable>[] = [];
  const referrals = [];
  const edges = [];
  const landing = (arm: "offer" | "holdout", at: Date, referrer: string) => {
    const d = device();
    const id = newId("referralClick");
    arms2.push({ merchant_id: merchantId, device_id: d, arm, assigned_at: at });
    clicks.push({ merchant_id: merchantId, id, code: codes.get(referrer)!, referrer_id: referrer, device_id: d, landed_at: at, friend_arm: arm });
    return { id, device: d };
  };
  const signups = { offer: 0, holdout: 0 };
  for (const f of joined.rows) {
    const arm = bernoulli(rng, holdoutShare) ? ("holdout" as const) : ("offer" as const);
    signups[arm]++;
    const referrer = pick(rng, referrers);
    const joinedAt = new Date(f.created_at);
    const click = landing(arm, new Date(joinedAt.getTime() - uniform(rng, 0.01, 0.4) * DAY), referrer);
    edges.push({ merchant_id: merchantId, member_id: f.id, referrer_id: referrer, depth: 1, via: "cookie" as const, created_at: joinedAt });
    const qualifiedAt = f.ordered_at ? new Date(f.ordered_at) : null;
    const holdUntil = qualifiedAt ? new Date(qualifiedAt.getTime() + settings.holdDays * DAY) : null;
    const status = !qualifiedAt ? ("pending" as const) : holdUntil! <= now ? ("rewarded" as const) : ("qualified" as const);
    referrals.push({
      merchant_id: merchantId,
      id: newId("referral"),
      member_id: f.id,
      referrer_id: referrer,
      code: codes.get(referrer)!,
      via: "cookie" as const,
      status,
      click_id: click.id,
      friend_arm: arm,
      device_id: click.device,
      qualifying_order_id: f.order_id,
      qualified_at: qualifiedAt,
      hold_until: holdUntil,
      rewarded_at: status === "rewarded" ? holdUntil : null,
      created_at: joinedAt,
      updated_at: joinedAt,
    });
  }
  // The landing devices that did not sign up, so each arm's sign-up rate is the simulated one.
  for (const arm of ["offer", "holdout"] as const) {
    const extra = Math.max(0, Math.round(signups[arm] / cfg.signup[arm]) - signups[arm]);
    for (let i = 0; i < extra; i++) landing(arm, new Date(now.getTime() - uniform(rng, 0.5, cfg.days) * DAY), pick(rng, referrers));
  }
  const chunked = async <T>(rows: T[], insert: (part: T[]) => Promise<unknown>) => {
    for (let i = 0; i < rows.length; i += 1000) await insert(rows.slice(i, i + 1000));
  };
  await chunked(arms2, (p) => trx.insertInto("referral_friend_arms").values(p).execute());
  await chunked(clicks, (p) => trx.insertInto("referral_clicks").values(p).execute());
  await chunked(edges, (p) => trx.insertInto("referral_edges").values(p).execute());
  await chunked(referrals, (p) => trx.insertInto("referrals").values(p).execute());

  // Payouts of qualified referrals: the friend's welcome points (not in the friend holdout) and the referrer's reward
  // (within the monthly cap).
  // Members held out of the loyalty program get no points (as the live payout path). The seed assigned every member
  // to the loyalty experiment already, so one query answers for all of them.
  const loyaltyHeldOut = new Set(
    (
      await sql<{ member_id: string }>`
        select a.member_id from experiment_assignments a
        join experiments e on e.merchant_id = a.merchant_id and e.id = a.experiment_id and e.kind = 'loyalty_program'
        join experiment_arms r on r.merchant_id = a.merchant_id and r.experiment_id = a.experiment_id and r.arm = a.arm and r.is_control
        where a.merchant_id = ${merchantId}`.execute(trx)
    ).rows.map((r) => r.member_id),
  );
  const assigned = new Set(
    (
      await sql<{ member_id: string }>`
        select a.member_id from experiment_assignments a
        join experiments e on e.merchant_id = a.merchant_id and e.id = a.experiment_id and e.kind = 'loyalty_program'
        where a.merchant_id = ${merchantId}`.execute(trx)
    ).rows.map((r) => r.member_id),
  );
  const heldOut = async (memberId: string) => loyaltyHeldOut.has(memberId) || (!assigned.has(memberId) && (await isHeldOutOfProgram(trx, merchantId, "loyalty_program", memberId)));
  const perMonth = new Map<string, number>();
  const payouts: Array<{ r: (typeof referrals)[number]; beneficiary: string; role: "friend" | "referrer"; points: number }> = [];
  for (const r of referrals) {
    if (!r.qualified_at) continue;
    const mine: Array<[string, "friend" | "referrer", number]> = [];
    if (settings.friendReward.kind === "points" && r.friend_arm === "offer") mine.push([r.member_id, "friend", settings.friendReward.points]);
    const month = `${r.referrer_id}:${r.qualified_at.toISOString().slice(0, 7)}`;
    const used = perMonth.get(month) ?? 0;
    if (settings.referrerReward.kind === "points" && (settings.referrerCapPerMonth === null || used < settings.referrerCapPerMonth)) {
      perMonth.set(month, used + 1);
      mine.push([r.referrer_id, "referrer", settings.referrerReward.points]);
    }
    for (const [beneficiary, role, points] of mine) {
      if (await heldOut(beneficiary)) continue;
      payouts.push({ r, beneficiary, role, points });
    }
  }
  // Set-based: the ledger earnPoints would write one by one, in the same order (earnPointsMany; proven identical by
  // tests/integration/flows/historical-earning.test.ts), and the payouts in one statement per 1,000.
  const earned = await earnPointsMany(
    trx,
    merchantId,
    payouts.map(({ r, beneficiary, role, points }) => ({
      memberId: beneficiary,
      points,
      source: "referral",
      idempotencyKey: `referral:${r.id}:${role}`,
      description: role === "friend" ? "Welcome reward for joining through a friend" : "Referral reward",
      earnedAt: r.qualified_at!,
      pendingUntil: r.status === "qualified" ? r.hold_until : null,
      metadata: { referralId: r.id, role, level: role === "friend" ? 0 : 1 },
      actor: { type: "system" as const, id: null },
    })),
  );
  const payoutRows = payouts.map(({ r, beneficiary, role, points }, i) => ({
    merchant_id: merchantId,
    id: newId("referralPayout"),
    referral_id: r.id,
    beneficiary_id: beneficiary,
    role,
    level: role === "friend" ? 0 : 1,
    kind: "points" as const,
    points,
    journal_id: earned[i]!.journalId,
    status: "paid" as const,
    digested_at: r.qualified_at,
    created_at: r.qualified_at!,
  }));
  await chunked(payoutRows, (p) => trx.insertInto("referral_payouts").values(p).execute());
}
