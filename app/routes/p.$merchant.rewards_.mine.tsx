import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireMember } from "~/web/guards.server";
import { now } from "~/lib/clock.server";
import { formatDate } from "~/components/ui/format";
import { PortalLink } from "~/components/portal/portal-shell";
import { CopyCode } from "~/components/rewards/copy-code";
import { Alert, Badge, Card, EmptyState } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { memberRedemptions, redemptionState } from "~/domain/rewards/catalog.server";
import { rewardSummary } from "~/domain/rewards/notify.server";

export const meta: MetaFunction = () => [{ title: "My rewards" }];

/** The member's rewards: codes to copy, and which are unused, used or expired. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, member } = await requireMember(request, params.merchant);
  const fresh = new URL(request.url).searchParams.get("new");
  const at = now();
  const rows = await withTenant(db(), merchant.id, (trx) => memberRedemptions(trx, merchant.id, member.id));
  return {
    slug: merchant.slug,
    fresh,
    items: rows.map((r) => ({
      id: r.id,
      name: r.reward_name,
      summary: rewardSummary(r, merchant.currency),
      state: redemptionState(r, at),
      code: r.status === "pending" || r.status === "void" ? null : r.code,
      expires: r.expires_at ? formatDate(r.expires_at, merchant.timezone) : null,
      redeemed: formatDate(r.created_at, merchant.timezone),
    })),
  };
}

const STATE: Record<string, { label: string; tone: "green" | "amber" | "red" | "neutral" }> = {
  unused: { label: "Unused", tone: "green" },
  used: { label: "Used", tone: "neutral" },
  expired: { label: "Expired", tone: "red" },
  pending: { label: "Being prepared", tone: "amber" },
  fulfilled: { label: "Handed over", tone: "neutral" },
  void: { label: "Cancelled — points returned", tone: "red" },
};

export default function MyRewards() {
  const { slug, fresh, items } = useLoaderData<typeof loader>();
  const created = items.find((i) => i.id === fresh);
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-stone-900">My rewards</h1>
        <p className="mt-1 text-sm text-stone-600">
          <PortalLink to={`/p/${slug}/rewards`}>Browse rewards</PortalLink>
        </p>
      </div>
      {created ? <Alert tone="success" title={`${created.name} is yours`}>{created.code ? "Copy your code below and use it at checkout." : "We will let you know when it is ready."}</Alert> : null}
      {items.length === 0 ? <EmptyState title="No rewards yet">Rewards you redeem or receive appear here.</EmptyState> : null}
      <ul className="space-y-4">
        {items.map((i) => (
          <li key={i.id}>
            <Card title={i.name} actions={<Badge tone={STATE[i.state]!.tone}>{STATE[i.state]!.label}</Badge>}>
              <p className="text-sm text-stone-700">{i.summary}</p>
              {i.code && i.state === "unused" ? (
                <div className="mt-3">
                  <CopyCode code={i.code} label={i.name} />
                </div>
              ) : i.code ? (
                <p className="mt-3 font-mono text-sm text-stone-500 line-through">{i.code}</p>
              ) : null}
              <p className="mt-2 text-xs text-stone-600">
                Redeemed {i.redeemed}
                {i.expires ? ` · ${i.state === "expired" ? "expired" : "use by"} ${i.expires}` : ""}
              </p>
            </Card>
          </li>
        ))}
      </ul>
    </div>
  );
}
