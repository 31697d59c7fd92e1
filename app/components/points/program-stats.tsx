import type { ProgramStats } from "~/domain/points/types";
import { StatCard } from "~/components/admin/stat-card";
import { Card } from "~/components/ui";
import { formatMoney } from "~/lib/money";
import { PointsFlowChart } from "./points-flow-chart";

export type ProgramStatsView = ProgramStats;

export interface MonthlyFlowView {
  month: string;
  issued: number;
  redeemed: number;
  expired: number;
}

const n = (v: number) => v.toLocaleString("en-US");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTHS_LONG = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

function months(flow: MonthlyFlowView[]) {
  return flow.map((f) => {
    const [y, m] = f.month.split("-").map(Number) as [number, number];
    return { ...f, label: `${MONTHS[m - 1]} ’${String(y).slice(2)}`, longLabel: `${MONTHS_LONG[m - 1]} ${y}` };
  });
}

/** The program's totals, from the ledger's accounts. */
export function ProgramStatCards({ stats, pointValue }: { stats: ProgramStatsView; pointValue: string }) {
  return (
    <dl className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3">
      <StatCard label="Points issued" value={n(stats.issued)} hint="Net of refunds and disputes." />
      <StatCard label="Points redeemed" value={n(stats.redeemed)} />
      <StatCard label="Points expired" value={n(stats.expired)} />
      <StatCard
        label="Points outstanding"
        value={n(stats.outstanding)}
        hint={`${n(stats.available)} available, ${n(stats.pending)} pending, held by ${n(stats.members)} ${stats.members === 1 ? "member" : "members"}.`}
      />
      <StatCard label="Outstanding liability" value={formatMoney(stats.liabilityMinor, stats.currency)} hint={`Outstanding points at ${pointValue}.`} />
      <StatCard
        label="Clawback debt"
        value={n(stats.clawbackDebt)}
        hint={`Points members owe after refunds of points they had spent.${stats.forgiven ? ` ${n(stats.forgiven)} forgiven so far.` : ""}`}
      />
    </dl>
  );
}

/** Issued, redeemed and expired points per month (merchant time zone), or a line saying nothing moved. */
export function PointsFlowCharts({ flow }: { flow: MonthlyFlowView[] }) {
  const quiet = flow.every((f) => f.issued === 0 && f.redeemed === 0 && f.expired === 0);
  return (
    <Card title="Points per month">
      {quiet ? (
        <p className="text-sm text-stone-600">No points were issued, redeemed or expired in the last 12 months.</p>
      ) : (
        <PointsFlowChart title="Points issued, redeemed and expired, last 12 months" months={months(flow)} />
      )}
    </Card>
  );
}
