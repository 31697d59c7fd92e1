import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { now } from "~/lib/clock.server";
import { requireMember } from "~/web/guards.server";
import { OfferCards } from "~/components/offers/portal-offers";
import { db, withTenant } from "~/db.server";
import { memberOffers, toPortalOffer } from "~/domain/offers/member-offers.server";

export const meta: MetaFunction = () => [{ title: "Your offers" }];

/** The offers this member may see now (in the segment, not held out); listing them counts as `seen`. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, member } = await requireMember(request, params.merchant);
  const offers = await withTenant(db(), merchant.id, (trx) => memberOffers(trx, merchant.id, member.id, now(), { recordSeen: true }));
  return { slug: merchant.slug, timezone: merchant.timezone, offers: offers.map(toPortalOffer) };
}

export default function PortalOffers() {
  const { slug, timezone, offers } = useLoaderData<typeof loader>();
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-stone-900">Offers for you</h1>
        <p className="mt-1 text-sm text-stone-600">Exclusive offers picked for you. Each can be claimed once.</p>
      </div>
      <OfferCards offers={offers} slug={slug} timezone={timezone} />
    </div>
  );
}
