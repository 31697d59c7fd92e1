import { Form, Link } from "@remix-run/react";
import { Card, Table, Td, Th } from "~/components/ui";
import { buttonClass } from "~/components/ui/button";
import { numberFormat } from "~/lib/intl";
import type { ReportTable } from "~/domain/incrementality/tables";
import { CumulativeValueChart, DistributionChart, IncrementalByMonthChart } from "./charts";

/** The incrementality report page's parts: headline, window picker, tables with CSV links, charts. Pure UI. */

export function formatCell(v: string | number | boolean | null, kind: ReportTable["columns"][number]["kind"]): string {
  if (v === null || v === undefined || (typeof v === "number" && !Number.isFinite(v))) return "—";
  switch (kind) {
    case "bool":
      return v ? "Yes" : "";
    case "money":
      return numberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: Math.abs(v as number) < 10 ? 3 : 2 }).format(v as number);
    case "int":
      return numberFormat("en-US", { maximumFractionDigits: 0 }).format(v as number);
    case "num":
      return (v as number).toFixed(Math.abs(v as number) >= 100 ? 0 : 3);
    case "p":
      return (v as number) < 0.0001 ? "< 0.0001" : (v as number).toFixed(4);
    case "pct":
      return `${((v as number) * 100).toFixed(1)}%`;
    default:
      return String(v);
  }
}

export function ReportTableCard({ table, csvHref }: { table: ReportTable; csvHref: string }) {
  return (
    <Card
      title={table.caption}
      actions={
        <a href={csvHref} className="text-sm font-medium text-brand-700 underline" download>
          CSV<span className="sr-only"> of {table.caption}</span>
        </a>
      }
    >
      {table.rows.length ? (
        <Table caption={table.caption}>
          <thead>
            <tr>
              {table.columns.map((c) => (
                <Th key={c.label} className="normal-case">
                  {c.label}
                </Th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-stone-100">
            {table.rows.map((r, i) => (
              <tr key={i}>
                {r.map((v, j) => (
                  <Td key={j} className={table.columns[j]!.kind === "text" ? "" : "text-right tabular-nums"}>
                    {formatCell(v, table.columns[j]!.kind)}
                  </Td>
                ))}
              </tr>
            ))}
          </tbody>
        </Table>
      ) : (
        <p className="px-5 py-4 text-sm text-stone-600">No data in this window yet.</p>
      )}
    </Card>
  );
}

export function WindowPicker({ windowDays, lift, currency }: { windowDays: string; lift: string; currency: string }) {
  return (
    <Form method="get" className="flex flex-wrap items-end gap-4">
      <label className="text-sm text-stone-700">
        <span className="block font-medium">Window after assignment</span>
        <select name="window" defaultValue={windowDays} className="mt-1 rounded-md border border-stone-300 px-2 py-1.5 text-sm">
          <option value="all">Everything since assignment</option>
          <option value="14">14 days</option>
          <option value="30">30 days</option>
          <option value="90">90 days</option>
          <option value="180">180 days</option>
          <option value="365">365 days</option>
        </select>
      </label>
      <label className="text-sm text-stone-700">
        <span className="block font-medium">Lift to detect ({currency} per member)</span>
        <input name="lift" type="number" step="0.01" min="0.01" defaultValue={lift} className="mt-1 w-32 rounded-md border border-stone-300 px-2 py-1.5 text-sm" />
      </label>
      <button type="submit" className={buttonClass("secondary", "md")}>
        Update
      </button>
    </Form>
  );
}

export interface ChartData {
  unit: string;
  cumulative: { arm: string; points: { month: number; mean: number; lo: number; hi: number }[]; liability?: number }[];
  incremental: { month: number; arm: string; lift: number; lo: number; hi: number }[];
  treatmentArms: string[];
  distribution: { edges: number[]; arms: { arm: string; counts: number[]; n: number }[]; basis: string };
}

export function ReportCharts({ charts }: { charts: ChartData }) {
  const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));
  return (
    <div className="grid gap-6 lg:grid-cols-2">
      <Card className="p-5">
        {charts.cumulative.some((s) => s.points.length) ? (
          <CumulativeValueChart series={charts.cumulative} unit={charts.unit} fmt={fmt} />
        ) : (
          <p className="text-sm text-stone-600">No complete month since assignment yet: the curves appear after the first month.</p>
        )}
      </Card>
      <Card className="p-5">
        {charts.incremental.length ? (
          <IncrementalByMonthChart rows={charts.incremental} arms={charts.treatmentArms} unit={charts.unit} fmt={fmt} />
        ) : (
          <p className="text-sm text-stone-600">No complete month since assignment yet.</p>
        )}
      </Card>
      <Card className="p-5 lg:col-span-2">
        <DistributionChart edges={charts.distribution.edges} arms={charts.distribution.arms} unit={charts.unit} fmt={fmt} basis={charts.distribution.basis} />
      </Card>
    </div>
  );
}

export function BackToReports({ slug }: { slug: string }) {
  return (
    <Link to={`/admin/${slug}/reports`} className="text-sm text-brand-700 underline">
      All programs
    </Link>
  );
}
