import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { now } from "~/lib/clock.server";
import { requireStaff } from "~/web/guards.server";
import { canAct } from "~/components/admin/use-admin";
import { GiftsTable, OffersTable } from "~/components/offers/admin-offers";
import { offerBenefit } from "~/components/offers/portal-offers";
import { EmptyState, LinkButton, PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { listGifts } from "~/domain/offers/gifts.server";
import { listOffers } from "~/domain/offers/offers.server";

export const meta: MetaFunction = () => [{ title: "Offers" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const { offers, gifts } = await withTenant(db(), merchant.id, async (trx) => ({ offers: await listOffers(trx, merchant.id), gifts: await listGifts(trx, merchant.id) }));
  return {
    slug: merchant.slug,
    timezone: merchant.timezone,
    role,
    at: now().toISOString(),
    offers: offers.map((o) => ({
      id: o.id,
      title: o.title,
      status: o.status,
      startsAt: o.startsAt.toISOString(),
      endsAt: o.endsAt.toISOString(),
      claimedCount: o.claimedCount,
      stockTotal: o.stockTotal,
      holdoutBps: o.holdoutBps,
      benefit: offerBenefit(o),
    })),
    gifts: gifts.map((g) => ({ id: g.id, name: g.name, rewardName: g.rewardName, status: g.status, total: g.total, done: g.done, failed: g.failed, holdoutBps: g.holdoutBps, createdAt: g.createdAt.toISOString() })),
  };
}

export default function Offers() {
  const { slug, timezone, role, at, offers, gifts } = useLoaderData<typeof loader>();
  const admin = canAct(role, "admin");
  return (
    <>
      <PageHeader
        title="Offers"
        description="Exclusive offers and surprise gifts for segments, each with a randomized holdout that measures its effect."
        actions={
          admin ? (
            <>
              <LinkButton to={`/admin/${slug}/segments`} variant="secondary">
                Segments
              </LinkButton>
              <LinkButton to={`/admin/${slug}/offers/gifts/new`} variant="secondary">
                New surprise gift
              </LinkButton>
              <LinkButton to={`/admin/${slug}/offers/new`}>New offer</LinkButton>
            </>
          ) : null
        }
      />
      <div className="space-y-8">
        {offers.length ? (
          <OffersTable offers={offers} slug={slug} timezone={timezone} at={at} />
        ) : (
          <EmptyState title="No offers yet">Create a segment, then an offer for it: a catalog reward or a points multiplier, only for those members.</EmptyState>
        )}
        {gifts.length ? (
          <section className="space-y-3">
            <h2 className="text-lg font-semibold text-stone-900">Surprise gifts</h2>
            <GiftsTable gifts={gifts} slug={slug} timezone={timezone} />
          </section>
        ) : null}
      </div>
    </>
  );
}
