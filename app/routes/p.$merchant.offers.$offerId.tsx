import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { now } from "~/lib/clock.server";
import { requireMember } from "~/web/guards.server";
import { OfferDetail } from "~/components/offers/portal-offers";
import { PortalLink } from "~/components/portal/portal-shell";
import { db, withTenant } from "~/db.server";
import { claimOffer } from "~/domain/flows/offer-claims.server";
import { memberOffer, toPortalOffer } from "~/domain/offers/member-offers.server";
import { domainErrorData, orNotFound } from "~/web/form-action.server";

export const meta: MetaFunction = () => [{ title: "Offer" }];

// Ineligible and held-out members get the same 404 as an unknown id: the offer does not exist for them.

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, member } = await requireMember(request, params.merchant);
  const offer = await orNotFound(withTenant(db(), merchant.id, (trx) => memberOffer(trx, merchant.id, member.id, params.offerId ?? "", now())), "Not found");
  return { slug: merchant.slug, timezone: merchant.timezone, offer: toPortalOffer(offer) };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, member } = await requireMember(request, params.merchant);
  const actor = { type: "member" as const, id: member.id };
  try {
    await orNotFound(withTenant(db(), merchant.id, (trx) => claimOffer(trx, merchant.id, member.id, params.offerId ?? "", actor, now())), "Not found");
    return { error: null };
  } catch (err) {
    return domainErrorData(err, (e) => ({ error: e.message }));
  }
}

export default function PortalOffer() {
  const { slug, timezone, offer } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <div className="space-y-4">
      <p className="text-sm">
        <PortalLink to={`/p/${slug}/offers`}>All your offers</PortalLink>
      </p>
      <OfferDetail offer={offer} timezone={timezone} error={actionData?.error} />
    </div>
  );
}
