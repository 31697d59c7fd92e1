import { z } from "zod";
import type { ReportWindow } from "./report.server";
import type { ReportSeries } from "./series.server";
import { toMajor } from "~/lib/money";

/** The report page's query string (window after assignment, the lift to size for), shared by the page and its CSVs. */
export const ReportParams = z.object({
  window: z.union([z.literal("all"), z.coerce.number().int().min(1).max(3650)]).catch("all"),
  lift: z.coerce.number().positive().max(1e9).optional().catch(undefined),
});

export function reportWindowOf(url: URL): { window: ReportWindow; windowParam: string; liftParam: string } {
  const p = ReportParams.parse({ window: url.searchParams.get("window") ?? "all", lift: url.searchParams.get("lift") || undefined });
  return {
    window: { windowDays: p.window === "all" ? null : p.window, targetLift: p.lift === undefined ? null : p.lift * 100 },
    windowParam: String(p.window),
    liftParam: p.lift === undefined ? "" : String(p.lift),
  };
}

/** Chart data in currency units (the series are in minor units). */
export function chartData(series: ReportSeries, arms: { arm: string; control: boolean; liabilityPerMember?: number }[], currency: string) {
  const u = (v: number) => toMajor(v, currency);
  return {
    unit: currency,
    cumulative: arms.map((a) => ({
      arm: a.arm,
      // The outstanding points' liability (as of now) is the chart's own dashed line, not a month's event.
      liability: u(a.liabilityPerMember ?? 0),
      points: series.months.map((m) => {
        const x = m.arms.find((y) => y.arm === a.arm)!;
        return { month: m.month, mean: u(x.cumulative.mean), lo: u(x.cumulative.lo), hi: u(x.cumulative.hi) };
      }),
    })),
    incremental: series.months.flatMap((m) => m.incremental.map((i) => ({ month: m.month, arm: i.arm, lift: u(i.lift), lo: u(i.lo), hi: u(i.hi) }))),
    treatmentArms: arms.filter((a) => !a.control).map((a) => a.arm),
    distribution: {
      edges: series.distribution.edges.map(u),
      arms: series.distribution.arms,
      basis: series.distribution.basis === "predicted" ? "predicted 12-month CLTV" : "realized value since assignment",
    },
  };
}
