import { offerBenefit } from "~/components/offers/portal-offers";
import { db, withTenant } from "~/db.server";
import { listAnnouncements } from "~/domain/offers/announcements.server";
import { getOffer, grantableRewards, instantToLocal, type Offer } from "~/domain/offers/offers.server";
import { offerCountsPage } from "~/domain/offers/summaries.server";
import { listSegments } from "~/domain/segments/segments.server";
import { now } from "~/lib/clock.server";

/** The admin's offer page: the offer, its experiment's counts (as of `asOf`), its announcements and the form's choices; null if unknown. */
export async function offerPage(merchant: { id: string; slug: string; timezone: string }, offerId: string) {
  const found = await withTenant(db(), merchant.id, async (trx) => {
    const offer = await getOffer(trx, merchant.id, offerId);
    if (!offer) return null;
    return {
      offer,
      // The arm and event counts scan the experiment's assignments: read from the maintained summary (issue 14).
      counts: await offerCountsPage(trx, merchant.id, offer.experimentId, { status: offer.status }),
      announcements: await listAnnouncements(trx, merchant.id, offerId),
      segments: (await listSegments(trx, merchant.id)).map((s) => ({ id: s.id, name: s.name })),
      rewards: await grantableRewards(trx, merchant.id),
    };
  });
  if (!found) return null;
  const { offer } = found;
  const tz = merchant.timezone;
  return {
    slug: merchant.slug,
    timezone: tz,
    at: now().toISOString(),
    offer: {
      id: offer.id,
      title: offer.title,
      status: offer.status,
      startsAt: offer.startsAt.toISOString(),
      endsAt: offer.endsAt.toISOString(),
      benefit: offerBenefit(offer),
      holdoutBps: offer.holdoutBps,
      claimedCount: offer.claimedCount,
      stockTotal: offer.stockTotal,
      segmentName: found.segments.find((s) => s.id === offer.segmentId)?.name ?? "",
    },
    values: {
      title: offer.title,
      description: offer.description,
      imageUrl: offer.imageUrl ?? "",
      kind: offer.kind,
      rewardId: offer.rewardId ?? "",
      multiplierPercent: offer.multiplierPercent ? String(offer.multiplierPercent) : "",
      multiplierDays: offer.multiplierDays ? String(offer.multiplierDays) : "",
      segmentId: offer.segmentId,
      startsAt: instantToLocal(offer.startsAt, tz),
      endsAt: instantToLocal(offer.endsAt, tz),
      stockTotal: offer.stockTotal ? String(offer.stockTotal) : "",
      holdoutPercent: String(offer.holdoutBps / 100),
    },
    counts: found.counts.counts,
    asOf: found.counts.asOf.toISOString(),
    announcements: found.announcements.map((a) => ({ id: a.id, status: a.status, total: a.total, sent: a.sent, skipped: a.skipped, perMinute: a.perMinute, createdAt: a.createdAt.toISOString(), error: a.error })),
    segments: found.segments,
    rewards: found.rewards,
  };
}

/** The offer as the edit form's raw values (what an archive/activate or the form's disabled fields resubmit). */
export function offerFormValues(o: Offer, tz: string) {
  return {
    title: o.title,
    description: o.description,
    imageUrl: o.imageUrl ?? "",
    kind: o.kind,
    rewardId: o.rewardId ?? "",
    multiplierPercent: o.multiplierPercent ?? "",
    multiplierDays: o.multiplierDays ?? "",
    segmentId: o.segmentId,
    startsAt: instantToLocal(o.startsAt, tz),
    endsAt: instantToLocal(o.endsAt, tz),
    stockTotal: o.stockTotal ?? "",
    holdoutPercent: o.holdoutBps / 100,
  };
}
