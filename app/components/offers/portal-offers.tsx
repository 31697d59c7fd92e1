import { Form, Link } from "@remix-run/react";
import { Alert, Button } from "~/components/ui";
import { dateTimeFormat } from "~/lib/intl";

/** Portal views of offers (client-safe: plain data in, markup out). */

export interface PortalOffer {
  id: string;
  title: string;
  description: string;
  imageUrl: string | null;
  kind: "reward" | "multiplier";
  rewardName: string | null;
  multiplierPercent: number | null;
  multiplierDays: number | null;
  endsAt: string;
  soldOut: boolean;
  claimed: { at: string; code: string | null; multiplierUntil: string | null } | null;
}

const dateIn = (iso: string, timeZone: string) => dateTimeFormat("en-US", { timeZone, dateStyle: "medium" }).format(new Date(iso));

export function offerBenefit(o: Pick<PortalOffer, "kind" | "rewardName" | "multiplierPercent" | "multiplierDays">): string {
  if (o.kind === "multiplier") return `${(o.multiplierPercent! / 100).toLocaleString("en-US")}× points on every order for ${o.multiplierDays} ${o.multiplierDays === 1 ? "day" : "days"}`;
  return o.rewardName ? `Reward: ${o.rewardName}` : "A reward";
}

export function OfferCards({ offers, slug, timezone }: { offers: PortalOffer[]; slug: string; timezone: string }) {
  if (!offers.length) {
    return <p className="rounded-lg border border-dashed border-stone-300 bg-white px-6 py-10 text-center text-sm text-stone-600">No offers for you right now. Check back soon.</p>;
  }
  return (
    <ul className="grid gap-4 sm:grid-cols-2">
      {offers.map((o) => (
        <li key={o.id} className="overflow-hidden rounded-lg border border-stone-200 bg-white shadow-sm">
          {o.imageUrl ? <img src={o.imageUrl} alt="" className="h-36 w-full object-cover" /> : null}
          <div className="space-y-2 p-4">
            <h2 className="text-base font-semibold text-stone-900">
              <Link to={`/p/${slug}/offers/${o.id}`} className="hover:underline">
                {o.title}
              </Link>
            </h2>
            <p className="text-sm text-stone-700">{offerBenefit(o)}</p>
            <p className="text-xs text-stone-500">
              {o.claimed ? "Claimed" : o.soldOut ? "All claimed" : `Ends ${dateIn(o.endsAt, timezone)}`}
            </p>
          </div>
        </li>
      ))}
    </ul>
  );
}

export function OfferDetail({ offer, timezone, error }: { offer: PortalOffer; timezone: string; error?: string | null }) {
  return (
    <article className="space-y-4 rounded-lg border border-stone-200 bg-white p-6 shadow-sm">
      {offer.imageUrl ? <img src={offer.imageUrl} alt="" className="max-h-64 w-full rounded-md object-cover" /> : null}
      <h1 className="text-2xl font-semibold tracking-tight text-stone-900">{offer.title}</h1>
      {offer.description ? <p className="whitespace-pre-line text-stone-700">{offer.description}</p> : null}
      <p className="font-medium text-stone-900">{offerBenefit(offer)}</p>
      <p className="text-sm text-stone-600">Ends {dateIn(offer.endsAt, timezone)}</p>
      {error ? <Alert tone="error">{error}</Alert> : null}
      {offer.claimed ? (
        <Alert tone="success" title="You claimed this offer">
          {offer.claimed.code ? (
            <>
              Your code: <code className="font-mono text-base font-semibold">{offer.claimed.code}</code>
            </>
          ) : offer.claimed.multiplierUntil ? (
            <>Your bonus points apply until {dateIn(offer.claimed.multiplierUntil, timezone)}.</>
          ) : (
            <>Find it under your rewards.</>
          )}
        </Alert>
      ) : offer.soldOut ? (
        <Alert tone="warning">This offer has been fully claimed.</Alert>
      ) : (
        <Form method="post">
          <Button type="submit">Claim offer</Button>
        </Form>
      )}
    </article>
  );
}
