import type { LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { portalVisitor, requirePortalMerchant } from "~/web/guards.server";
import { PointsBalanceCard, PointsHistory } from "~/components/points/portal-points";
import { portalTagline } from "~/components/portal/brand";
import { MemberSummary, memberSummaryView } from "~/components/portal/member-summary";
import { VisitorWelcome } from "~/components/portal/visitor-welcome";
import { portalHomeView } from "~/web/presenters/points-portal.server";
import { ProgramUnavailable } from "~/components/portal/program-unavailable";

const RECENT_HISTORY = 5;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant, request);
  const auth = await portalVisitor(request, merchant);
  if (!auth) return { kind: "visitor" as const, slug: merchant.slug, name: merchant.name, tagline: portalTagline(merchant.settings) };
  const { home, heldOut, points } = await portalHomeView(merchant, auth.member.id, RECENT_HISTORY);
  // Formatted on the server in the merchant's time zone, so the browser shows exactly the same text.
  return { kind: "member" as const, slug: merchant.slug, name: merchant.name, member: memberSummaryView(home, merchant), points, heldOut };
}

export default function PortalHome() {
  const data = useLoaderData<typeof loader>();
  if (data.kind === "visitor") return <VisitorWelcome slug={data.slug} name={data.name} tagline={data.tagline} />;
  return (
    <>
      <MemberSummary slug={data.slug} programName={data.name} member={data.member} />
      {/* Loyalty holdout (issue 6): no points or rewards for held-out members. */}
      {data.heldOut ? (
        <ProgramUnavailable programName={data.name} />
      ) : (
        <>
          <div className="mt-6">
            <PointsBalanceCard balance={data.points.balance} programName={data.name} historyHref={`/p/${data.slug}/points`} />
          </div>
          <PointsHistory slug={data.slug} first={data.points.history} heading="Recent points" />
        </>
      )}
    </>
  );
}
