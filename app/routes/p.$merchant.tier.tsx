import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { now } from "~/lib/clock.server";
import { requireMember } from "~/web/guards.server";
import { PortalLink } from "~/components/portal/portal-shell";
import { ProgramUnavailable } from "~/components/portal/program-unavailable";
import { PortalTier } from "~/components/tiers/portal-tier";
import { Card } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { memberTierView } from "~/domain/tiers/tiers.server";

export const meta: MetaFunction = () => [{ title: "Your tier" }];

/** The member's tier, its benefits, progress to the next one and what happens when the period ends. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, member } = await requireMember(request, params.merchant);
  const view = await withTenant(db(), merchant.id, (trx) => memberTierView(trx, merchant.id, member.id, now()));
  return { slug: merchant.slug, programName: merchant.name, view };
}

export default function PortalTierPage() {
  const { slug, programName, view } = useLoaderData<typeof loader>();
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-stone-900">Your tier</h1>
        <p className="mt-1 text-sm text-stone-600">
          <PortalLink to={`/p/${slug}`}>Back to your rewards home</PortalLink>
        </p>
      </div>
      {/* Members held out of the loyalty program (its randomized holdout) have no tier. */}
      {view.heldOut ? (
        <ProgramUnavailable programName={programName} />
      ) : !view.enabled ? (
        <Card title="No tiers yet">
          <p className="px-5 py-4 text-sm text-stone-600">{programName} has no membership tiers at the moment.</p>
        </Card>
      ) : (
        <PortalTier view={view} />
      )}
    </div>
  );
}
