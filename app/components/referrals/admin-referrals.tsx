import { Link, NavLink } from "@remix-run/react";
import { adminPath } from "~/components/admin/use-admin";
import { StatCard } from "~/components/admin/stat-card";
import { LineChart, type LinePoint, type LineSeries } from "~/components/charts/line-chart";
import { Badge, Card, EmptyState, Table, Td, Th, cx } from "~/components/ui";

const TABS = [
  { label: "Overview", to: "referrals", end: true },
  { label: "Review queue", to: "referrals/review" },
  { label: "Settings", to: "referrals/settings" },
];

/** The referrals area's tabs; the tree view is reached from a referrer (top referrers, a member's page). */
export function ReferralsNav({ slug, openReviews }: { slug: string; openReviews: number }) {
  return (
    <nav aria-label="Referrals" className="mb-6 border-b border-stone-200">
      <ul className="-mb-px flex gap-1 overflow-x-auto">
        {TABS.map((t) => (
          <li key={t.to}>
            <NavLink
              to={adminPath(slug, t.to)}
              end={t.end}
              className={({ isActive }) =>
                cx(
                  "inline-flex items-center gap-2 whitespace-nowrap border-b-2 px-3 py-2 text-sm font-medium",
                  isActive ? "border-brand-600 text-brand-700" : "border-transparent text-stone-600 hover:border-stone-300 hover:text-stone-900",
                )
              }
            >
              {t.label}
              {t.to === "referrals/review" && openReviews > 0 ? (
                <span className="rounded-full bg-amber-100 px-2 text-xs text-amber-900">
                  {openReviews}
                  <span className="sr-only"> open</span>
                </span>
              ) : null}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export const FUNNEL_SERIES: LineSeries[] = [
  { key: "clicks", label: "Clicks", stroke: "stroke-sky-600", fill: "fill-sky-600" },
  { key: "signups", label: "Sign-ups", stroke: "stroke-brand-600", fill: "fill-brand-600", dash: "6 3" },
  { key: "qualified", label: "Qualified", stroke: "stroke-amber-600", fill: "fill-amber-600", dash: "2 3" },
  { key: "rewarded", label: "Rewarded", stroke: "stroke-emerald-700", fill: "fill-emerald-700", dash: "8 3 2 3" },
];

export interface FunnelTotals {
  clicks: number;
  signups: number;
  qualified: number;
  rewarded: number;
}

const pct = (part: number, whole: number) => (whole > 0 ? `${Math.round((part / whole) * 1000) / 10}% of the step before` : undefined);

/** The funnel's totals for the period as cards (with each step's conversion from the step before) and the weekly chart. */
export function ReferralFunnel({ totals, points, periodLabel }: { totals: FunnelTotals; points: LinePoint[]; periodLabel: string }) {
  const n = (v: number) => v.toLocaleString("en-US");
  return (
    <Card title={`Referral funnel, ${periodLabel}`}>
      <dl className="mb-6 grid grid-cols-2 gap-4 lg:grid-cols-4">
        <StatCard label="Clicks" value={n(totals.clicks)} hint="Visits to members' links" />
        <StatCard label="Sign-ups" value={n(totals.signups)} hint={pct(totals.signups, totals.clicks)} />
        <StatCard label="Qualified" value={n(totals.qualified)} hint={pct(totals.qualified, totals.signups)} />
        <StatCard label="Rewarded" value={n(totals.rewarded)} hint={pct(totals.rewarded, totals.qualified)} />
      </dl>
      <LineChart title={`Clicks, sign-ups, qualified and rewarded referrals per week, ${periodLabel}`} series={FUNNEL_SERIES} points={points} valueLabel="Count" />
    </Card>
  );
}

export interface TopReferrerRow {
  memberId: string;
  name: string;
  email: string;
  direct: number;
  network: number;
  networkValue: string;
  ownValue: string;
}

export function TopReferrers({ slug, rows }: { slug: string; rows: TopReferrerRow[] }) {
  if (!rows.length) {
    return (
      <EmptyState title="No referrers yet">Members who bring friends appear here, ranked by the value of their whole network.</EmptyState>
    );
  }
  return (
    <section aria-labelledby="top-referrers">
      <h2 id="top-referrers" className="mb-3 text-lg font-semibold text-stone-900">
        Top referrers by network value
      </h2>
      <Table caption="Top referrers by network value">
        <thead>
          <tr>
            <Th>Member</Th>
            <Th className="text-right">Direct referrals</Th>
            <Th className="text-right">Network size</Th>
            <Th className="text-right">Own value</Th>
            <Th className="text-right">Network value</Th>
            <Th>
              <span className="sr-only">Tree</span>
            </Th>
          </tr>
        </thead>
        <tbody className="divide-y divide-stone-100">
          {rows.map((r) => (
            <tr key={r.memberId}>
              <Td>
                <Link to={adminPath(slug, `members/${r.memberId}`)} className="font-medium text-brand-700 underline-offset-2 hover:underline">
                  {r.name}
                </Link>
                <span className="block text-xs text-stone-600">{r.email}</span>
              </Td>
              <Td className="text-right tabular-nums">{r.direct.toLocaleString("en-US")}</Td>
              <Td className="text-right tabular-nums">{r.network.toLocaleString("en-US")}</Td>
              <Td className="text-right tabular-nums">{r.ownValue}</Td>
              <Td className="text-right font-medium tabular-nums">{r.networkValue}</Td>
              <Td>
                <Link to={adminPath(slug, `referrals/tree/${r.memberId}`)} className="text-sm text-brand-700 underline underline-offset-2">
                  View tree<span className="sr-only"> of {r.name}</span>
                </Link>
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </section>
  );
}

export interface NetworkLevelValue {
  level: number;
  members: number;
  revenue: string;
  predicted: string | null;
}

/** Network value by level: own value, then each level's member count, revenue to date and predicted CLTV. */
export function NetworkValueTable({ own, levels, total, caption }: { own: string; levels: NetworkLevelValue[]; total: string; caption: string }) {
  const predicted = levels.some((l) => l.predicted !== null);
  return (
    <Table caption={caption}>
      <thead>
        <tr>
          <Th>Level</Th>
          <Th className="text-right">Members</Th>
          <Th className="text-right">Revenue to date</Th>
          {predicted ? <Th className="text-right">Predicted CLTV</Th> : null}
        </tr>
      </thead>
      <tbody className="divide-y divide-stone-100">
        <tr>
          <Td>Own</Td>
          <Td className="text-right tabular-nums">1</Td>
          <Td className="text-right tabular-nums">{own}</Td>
          {predicted ? <Td className="text-right">—</Td> : null}
        </tr>
        {levels.map((l) => (
          <tr key={l.level}>
            <Td>Level {l.level}</Td>
            <Td className="text-right tabular-nums">{l.members.toLocaleString("en-US")}</Td>
            <Td className="text-right tabular-nums">{l.revenue}</Td>
            {predicted ? <Td className="text-right tabular-nums">{l.predicted ?? "—"}</Td> : null}
          </tr>
        ))}
        <tr className="bg-stone-50 font-semibold">
          <Td>Network value</Td>
          <Td className="text-right tabular-nums">{(1 + levels.reduce((t, l) => t + l.members, 0)).toLocaleString("en-US")}</Td>
          <Td className="text-right tabular-nums">{total}</Td>
          {predicted ? <Td /> : null}
        </tr>
      </tbody>
    </Table>
  );
}

export function FlagBadges({ flags }: { flags: string[] }) {
  if (!flags.length) return null;
  return (
    <span className="inline-flex flex-wrap gap-1">
      {flags.map((f) => (
        <Badge key={f} tone="amber">
          {f}
        </Badge>
      ))}
    </span>
  );
}
