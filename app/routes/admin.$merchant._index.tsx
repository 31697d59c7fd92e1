import { data, type ActionFunctionArgs, type LoaderFunctionArgs } from "@remix-run/node";
import { Link, useLoaderData, useNavigation } from "@remix-run/react";
import { requireStaff, roleAtLeast } from "~/web/guards.server";
import { AsOf } from "~/components/admin/as-of";
import { adminPath } from "~/components/admin/use-admin";
import { StatCard } from "~/components/admin/stat-card";
import { BarChart } from "~/components/charts/bar-chart";
import { Card, PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { dashboardPage, refreshDashboardSummary } from "~/domain/merchants/dashboard.server";
import { readForm } from "~/lib/forms.server";
import { formatMoney } from "~/lib/money";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const { stats, asOf } = await withTenant(db(), merchant.id, (trx) => dashboardPage(trx, merchant));
  return { stats, asOf: asOf.toISOString(), timezone: merchant.timezone, canRefresh: roleAtLeast(role, "admin"), slug: merchant.slug, currency: merchant.currency };
}

/** intent=refresh: recompute the dashboard's figures now instead of waiting for the summaries job. */
export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "admin");
  if ((await readForm(request)).get("intent") !== "refresh") return data({ ok: false }, { status: 400 });
  await withTenant(db(), merchant.id, (trx) => refreshDashboardSummary(trx, merchant));
  return { ok: true };
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTHS_LONG = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

function monthBar({ month, joined }: { month: string; joined: number }) {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return { label: `${MONTHS[m - 1]} ’${String(y).slice(2)}`, longLabel: `${MONTHS_LONG[m - 1]} ${y}`, value: joined };
}

export default function Dashboard() {
  const { stats, asOf, timezone, canRefresh, slug, currency } = useLoaderData<typeof loader>();
  const busy = useNavigation().state === "submitting";
  const n = (v: number) => v.toLocaleString("en-US");
  return (
    <>
      <PageHeader title="Dashboard" description="Members and orders at a glance. Figures for the last 30 days end when the figures were computed." />
      <AsOf asOf={asOf} timezone={timezone} canRefresh={canRefresh} busy={busy} />
      <dl className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <StatCard label="Members" value={n(stats.members.total)} />
        <StatCard label="Joined in the last 30 days" value={n(stats.members.joinedLast30Days)} />
        <StatCard label="Orders in the last 30 days" value={n(stats.orders.countLast30Days)} />
        <StatCard label="Revenue in the last 30 days" value={formatMoney(stats.orders.revenueLast30DaysMinor, currency)} />
      </dl>
      <div className="mt-6 grid grid-cols-1 gap-6 lg:grid-cols-3">
        <Card className="lg:col-span-2" title="Members joined per month">
          <BarChart title="Members joined per month, last 24 months" valueLabel="members" bars={stats.joinedPerMonth.map(monthBar)} />
        </Card>
        <Card title="Quick links">
          <ul className="space-y-2 text-sm">
            {[
              ["members", "Find a member"],
              ["settings", "General settings"],
              ["settings/team", "Invite your team"],
              ["settings/api-keys", "Create an API key"],
            ].map(([to, label]) => (
              <li key={to}>
                <Link className="font-medium text-brand-600 underline-offset-2 hover:underline" to={adminPath(slug, to)}>
                  {label} →
                </Link>
              </li>
            ))}
          </ul>
        </Card>
      </div>
    </>
  );
}
