import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireMember } from "~/web/guards.server";
import { PointsBalanceCard, PointsHistory } from "~/components/points/portal-points";
import { PortalLink } from "~/components/portal/portal-shell";
import { portalPointsView } from "~/web/presenters/points-portal.server";
import { ProgramUnavailable } from "~/components/portal/program-unavailable";

export const meta: MetaFunction = () => [{ title: "Your points" }];

const PAGE = 20;

/** The member's points: balance, pending and expiring points, and the whole history ("Show more" pages through it). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, member } = await requireMember(request, params.merchant);
  const cursor = new URL(request.url).searchParams.get("cursor");
  return { slug: merchant.slug, programName: merchant.name, ...(await portalPointsView(merchant, member.id, { cursor, limit: PAGE })) };
}

export default function PortalPoints() {
  const { slug, programName, balance, history, heldOut } = useLoaderData<typeof loader>();
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-stone-900">Your points</h1>
        <p className="mt-1 text-sm text-stone-600">
          <PortalLink to={`/p/${slug}`}>Back to your rewards home</PortalLink>
        </p>
      </div>
      {/* Loyalty holdout (issue 6): the program is not available to held-out members. */}
      {heldOut ? <ProgramUnavailable programName={programName} /> : null}
      {heldOut ? null : <PointsBalanceCard balance={balance} programName={programName} title="Balance" />}
      {history.cursor ? (
        <p className="text-sm">
          Showing older entries. <PortalLink to={`/p/${slug}/points`}>Back to the latest</PortalLink>
        </p>
      ) : null}
      {/* Keyed by the page asked for, so a new page (no JavaScript) starts a fresh list. */}
      <PointsHistory key={history.cursor ?? "latest"} slug={slug} first={history} />
    </div>
  );
}
