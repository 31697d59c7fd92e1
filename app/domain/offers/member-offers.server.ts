import type { Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { assignMember, getExperiment, recordExperimentEvent } from "~/domain/experiments/assignment.server";
import { memberInSegment, requireSegment } from "~/domain/segments/segments.server";
import { DomainError, notFound } from "~/lib/errors";
import { getOffer, listOffers, type Offer } from "./offers.server";
import type { GrantReward } from "./ports.server";

/**
 * What a member sees of offers, and claiming. An offer is visible to a member when it is active and running, the
 * member is in its segment now (or has already claimed it), and the member is in the treatment arm of the offer's
 * experiment. The arm is drawn (sticky) before the check, so nobody is shown anything before their assignment
 * exists; held-out members get exactly what a stranger gets: nothing, and 404 for the offer's id.
 */

export interface MemberOffer extends Offer {
  claimed: { at: Date; code: string | null; multiplierUntil: Date | null } | null;
  soldOut: boolean;
}

const running = (o: Offer, at: Date) => o.status === "active" && o.startsAt <= at && at < o.endsAt;

async function claimOf(trx: Trx, merchantId: string, offerId: string, memberId: string) {
  return trx
    .selectFrom("offer_claims")
    .select(["claimed_at", "code", "multiplier_until"])
    .where("merchant_id", "=", merchantId)
    .where("offer_id", "=", offerId)
    .where("member_id", "=", memberId)
    .executeTakeFirst();
}

/** The offer as this member may see it, or null. Records eligibility and (for treated members) assignment. */
async function visibleOffer(trx: Trx, merchantId: string, offer: Offer, memberId: string, at: Date): Promise<MemberOffer | null> {
  if (!running(offer, at)) return null;
  const claim = await claimOf(trx, merchantId, offer.id, memberId);
  if (!claim) {
    const segment = await requireSegment(trx, merchantId, offer.segmentId);
    if (!(await memberInSegment(trx, merchantId, segment.rule, memberId, at))) return null;
  }
  const experiment = await getExperiment(trx, merchantId, offer.experimentId);
  if (!experiment) return null;
  const assignment = await assignMember(trx, merchantId, experiment, memberId);
  await recordExperimentEvent(trx, merchantId, experiment.id, memberId, "eligible", at);
  if (assignment.control) return null;
  return {
    ...offer,
    claimed: claim ? { at: claim.claimed_at, code: claim.code, multiplierUntil: claim.multiplier_until } : null,
    soldOut: offer.stockTotal !== null && offer.claimedCount >= offer.stockTotal,
  };
}

async function requireActiveMember(trx: Trx, merchantId: string, memberId: string): Promise<void> {
  const m = await trx.selectFrom("members").select("status").where("merchant_id", "=", merchantId).where("id", "=", memberId).executeTakeFirst();
  if (!m || m.status !== "active") throw notFound("Member");
}

/** The offers this member can see now; records `seen` for each (the portal and API show them all at once). */
export async function memberOffers(trx: Trx, merchantId: string, memberId: string, at: Date, opts: { recordSeen: boolean }): Promise<MemberOffer[]> {
  await requireActiveMember(trx, merchantId, memberId);
  const out: MemberOffer[] = [];
  for (const offer of await listOffers(trx, merchantId)) {
    const visible = await visibleOffer(trx, merchantId, offer, memberId, at);
    if (!visible) continue;
    if (opts.recordSeen) await recordExperimentEvent(trx, merchantId, offer.experimentId, memberId, "seen", at);
    out.push(visible);
  }
  return out;
}

/** One offer for this member, or not_found (also for held-out and ineligible members). Records `seen`. */
export async function memberOffer(trx: Trx, merchantId: string, memberId: string, offerId: string, at: Date): Promise<MemberOffer> {
  await requireActiveMember(trx, merchantId, memberId);
  const offer = await getOffer(trx, merchantId, offerId);
  const visible = offer ? await visibleOffer(trx, merchantId, offer, memberId, at) : null;
  if (!visible) throw notFound("Offer");
  await recordExperimentEvent(trx, merchantId, visible.experimentId, memberId, "seen", at);
  return visible;
}

export interface ClaimResult {
  offerId: string;
  memberId: string;
  claimedAt: Date;
  kind: "reward" | "multiplier";
  redemptionId: string | null;
  code: string | null;
  multiplierPercent: number | null;
  multiplierUntil: Date | null;
}

const DAY_MS = 86_400_000;

/**
 * Claims an offer for a member: one atomic operation in the caller's transaction. The claim row is inserted first
 * (its primary key serializes a member's concurrent claims: the second waits, then finds the row and fails), then
 * one unit of stock is taken with a conditional update (the offer row lock serializes members racing for the last
 * unit), then the reward is granted through `grantReward` (the rewards program's, passed in by the flow
 * flows/offer-claims.server.ts). Any failure rolls all of it back.
 * Errors: not_found (not visible to this member), already_claimed, out_of_stock, and grantReward's own.
 */
export async function claimOffer(trx: Trx, merchantId: string, memberId: string, offerId: string, actor: Actor, at: Date, grantReward: GrantReward): Promise<ClaimResult> {
  const offer = await memberOffer(trx, merchantId, memberId, offerId, at);
  if (offer.claimed) throw new DomainError("already_claimed", "You have already claimed this offer");
  const multiplierUntil = offer.kind === "multiplier" ? new Date(at.getTime() + offer.multiplierDays! * DAY_MS) : null;
  const inserted = await trx
    .insertInto("offer_claims")
    .values({
      merchant_id: merchantId,
      offer_id: offerId,
      member_id: memberId,
      claimed_at: at,
      multiplier_percent: offer.multiplierPercent,
      multiplier_until: multiplierUntil,
    })
    .onConflict((oc) => oc.doNothing())
    .returning("claimed_at")
    .executeTakeFirst();
  if (!inserted) throw new DomainError("already_claimed", "You have already claimed this offer");
  const took = await trx
    .updateTable("offers")
    .set((eb) => ({ claimed_count: eb("claimed_count", "+", 1) }))
    .where("merchant_id", "=", merchantId)
    .where("id", "=", offerId)
    .where((eb) => eb.or([eb("stock_total", "is", null), eb("claimed_count", "<", eb.ref("stock_total"))]))
    .returning("claimed_count")
    .executeTakeFirst();
  if (!took) throw new DomainError("out_of_stock", "This offer has been fully claimed");
  let redemptionId: string | null = null;
  let code: string | null = null;
  if (offer.kind === "reward") {
    const granted = await grantReward(trx, merchantId, {
      memberId,
      rewardId: offer.rewardId!,
      idempotencyKey: `offer:${offerId}:${memberId}`,
      source: "offer",
      chargePoints: false,
      actor,
      sourceId: offerId,
    });
    redemptionId = granted.redemptionId;
    code = granted.code;
    await trx
      .updateTable("offer_claims")
      .set({ redemption_id: redemptionId, code })
      .where("merchant_id", "=", merchantId)
      .where("offer_id", "=", offerId)
      .where("member_id", "=", memberId)
      .execute();
  }
  await recordExperimentEvent(trx, merchantId, offer.experimentId, memberId, "claimed", at);
  return {
    offerId,
    memberId,
    claimedAt: inserted.claimed_at,
    kind: offer.kind,
    redemptionId,
    code,
    multiplierPercent: offer.multiplierPercent,
    multiplierUntil,
  };
}

/** The portal's plain view of a member offer (dates as ISO strings). */
export function toPortalOffer(o: MemberOffer) {
  return {
    id: o.id,
    title: o.title,
    description: o.description,
    imageUrl: o.imageUrl,
    kind: o.kind,
    rewardName: o.rewardName,
    multiplierPercent: o.multiplierPercent,
    multiplierDays: o.multiplierDays,
    endsAt: o.endsAt.toISOString(),
    soldOut: o.soldOut,
    claimed: o.claimed
      ? { at: o.claimed.at.toISOString(), code: o.claimed.code, multiplierUntil: o.claimed.multiplierUntil?.toISOString() ?? null }
      : null,
  };
}
