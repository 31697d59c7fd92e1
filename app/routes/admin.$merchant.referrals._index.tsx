import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { now } from "~/lib/clock.server";
import { requireStaff } from "~/web/guards.server";
import { ReferralFunnel, TopReferrers } from "~/components/referrals/admin-referrals";
import { Alert, PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { topReferrerCandidates } from "~/web/presenters/referrals/admin-queries.server";
import { weeklyFunnel } from "~/web/presenters/referrals/funnel.server";
import { getReferralSettings } from "~/domain/referrals/program.server";
import { networkValue } from "~/domain/referrals/tree.server";
import { formatMoney } from "~/lib/money";

export const meta: MetaFunction = () => [{ title: "Referrals" }];

const WEEKS = 12;
const CANDIDATES = 25;
const TOP = 10;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  const at = now();
  const { enabled, weeks, top } = await withTenant(db(), merchant.id, async (trx) => {
    const settings = await getReferralSettings(trx, merchant.id);
    const weeks = await weeklyFunnel(trx, merchant.id, { weeks: WEEKS, timezone: merchant.timezone, at });
    const candidates = await topReferrerCandidates(trx, merchant.id, CANDIDATES);
    const valued = [];
    for (const c of candidates) valued.push({ ...c, network: await networkValue(trx, merchant.id, c.id) });
    valued.sort((a, b) => b.network.totalMinor - a.network.totalMinor || b.direct - a.direct);
    return { enabled: settings.enabled, weeks, top: valued.slice(0, TOP) };
  });
  const money = (minor: number) => formatMoney(minor, merchant.currency);
  const short = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
  const long = new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeZone: "UTC" });
  return {
    slug: merchant.slug,
    enabled,
    totals: weeks.reduce(
      (t, w) => ({ clicks: t.clicks + w.clicks, signups: t.signups + w.signups, qualified: t.qualified + w.qualified, rewarded: t.rewarded + w.rewarded }),
      { clicks: 0, signups: 0, qualified: 0, rewarded: 0 },
    ),
    points: weeks.map((w) => {
      const d = new Date(`${w.week}T00:00:00Z`);
      return { label: short.format(d), longLabel: `Week of ${long.format(d)}`, values: { clicks: w.clicks, signups: w.signups, qualified: w.qualified, rewarded: w.rewarded } };
    }),
    top: top.map((t) => ({
      memberId: t.id,
      name: t.name ?? t.email,
      email: t.email,
      direct: t.direct,
      network: t.network.size,
      ownValue: money(t.network.own.valueMinor),
      networkValue: money(t.network.totalMinor),
    })),
  };
}

export default function ReferralsOverview() {
  const { slug, enabled, totals, points, top } = useLoaderData<typeof loader>();
  return (
    <>
      <PageHeader
        title="Referrals"
        description="How members' links turn into customers, and whose networks are worth the most (own value plus everyone they brought in, at every level)."
      />
      <div className="space-y-6">
        {!enabled ? (
          <Alert tone="info" title="The referral program is off">
            Members see no referral link until it is turned on in the referral settings.
          </Alert>
        ) : null}
        <ReferralFunnel totals={totals} points={points} periodLabel={`last ${WEEKS} weeks`} />
        <TopReferrers slug={slug} rows={top} />
      </div>
    </>
  );
}
