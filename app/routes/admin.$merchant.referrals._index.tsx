import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData, useNavigation } from "@remix-run/react";
import { requireStaff, roleAtLeast } from "~/web/guards.server";
import { AsOf } from "~/components/admin/as-of";
import { ReferralFunnel, TopReferrers } from "~/components/referrals/admin-referrals";
import { Alert, PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { getReferralSettings } from "~/domain/referrals/program.server";
import { FUNNEL_WEEKS, referralOverviewPage, refreshReferralSummary } from "~/domain/referrals/summaries.server";
import { readForm } from "~/lib/forms.server";
import { formatMoney } from "~/lib/money";

export const meta: MetaFunction = () => [{ title: "Referrals" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  // The funnel and the top referrers aggregate the whole program: read from the maintained summary (issue 14).
  const { enabled, overview, asOf, names } = await withTenant(db(), merchant.id, async (trx) => ({
    enabled: (await getReferralSettings(trx, merchant.id)).enabled,
    ...(await referralOverviewPage(trx, merchant)),
  }));
  const money = (minor: number) => formatMoney(minor, merchant.currency);
  const short = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
  const long = new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeZone: "UTC" });
  const { weeks } = overview;
  return {
    slug: merchant.slug,
    enabled,
    weekCount: FUNNEL_WEEKS,
    asOf: asOf.toISOString(),
    timezone: merchant.timezone,
    canRefresh: roleAtLeast(role, "admin"),
    totals: weeks.reduce(
      (t, w) => ({ clicks: t.clicks + w.clicks, signups: t.signups + w.signups, qualified: t.qualified + w.qualified, rewarded: t.rewarded + w.rewarded }),
      { clicks: 0, signups: 0, qualified: 0, rewarded: 0 },
    ),
    points: weeks.map((w) => {
      const d = new Date(`${w.week}T00:00:00Z`);
      return { label: short.format(d), longLabel: `Week of ${long.format(d)}`, values: { clicks: w.clicks, signups: w.signups, qualified: w.qualified, rewarded: w.rewarded } };
    }),
    top: overview.top.map((t) => {
      const who = names.get(t.id);
      return {
        memberId: t.id,
        name: who?.name ?? who?.email ?? t.id,
        email: who?.email ?? "",
        direct: t.direct,
        network: t.size,
        ownValue: money(t.ownValueMinor),
        networkValue: money(t.totalMinor),
      };
    }),
  };
}

/** intent=refresh: recompute the funnel and the top referrers now instead of waiting for the summaries job. */
export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "admin");
  if ((await readForm(request)).get("intent") !== "refresh") return data({ ok: false }, { status: 400 });
  await withTenant(db(), merchant.id, (trx) => refreshReferralSummary(trx, merchant));
  return { ok: true };
}

export default function ReferralsOverview() {
  const { slug, enabled, weekCount, asOf, timezone, canRefresh, totals, points, top } = useLoaderData<typeof loader>();
  const busy = useNavigation().state === "submitting";
  return (
    <>
      <PageHeader
        title="Referrals"
        description="How members' links turn into customers, and whose networks are worth the most (own value plus everyone they brought in, at every level)."
      />
      <AsOf asOf={asOf} timezone={timezone} canRefresh={canRefresh} busy={busy} />
      <div className="space-y-6">
        {!enabled ? (
          <Alert tone="info" title="The referral program is off">
            Members see no referral link until it is turned on in the referral settings.
          </Alert>
        ) : null}
        <ReferralFunnel totals={totals} points={points} periodLabel={`last ${weekCount} weeks`} />
        <TopReferrers slug={slug} rows={top} />
      </div>
    </>
  );
}
