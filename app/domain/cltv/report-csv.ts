/** CSV export of the CLTV page's tables (pure). Amounts in the currency's major units with a fixed number of decimals. */
import { minorDigits } from "~/lib/money";
import type { CltvReport } from "./report-types";

export const CSV_TABLES = ["distribution", "segments", "fit", "classic"] as const;
export type CsvTable = (typeof CSV_TABLES)[number];

export function cell(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  // Text cells: quote when needed, and defuse spreadsheet formulas.
  const s = /^[=+\-@\t]/.test(value) ? `'${value}` : value;
  return /[",\r\n']/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const line = (cells: Array<string | number | null>) => cells.map(cell).join(",") + "\n";

export function cltvReportCsv(report: CltvReport, table: CsvTable): string {
  const digits = minorDigits(report.currency);
  const money = (minor: number | null) => (minor === null ? null : (minor / 10 ** digits).toFixed(digits));
  const round = (v: number | null, d: number) => (v === null ? null : Number(v.toFixed(d)));
  switch (table) {
    case "distribution": {
      const d = report.distribution;
      let out = line(["cltv_12m_from", "cltv_12m_to", "members"]);
      d?.counts.forEach((n, i) => {
        const last = i === d.counts.length - 1;
        out += line([money(i * d.binWidthMinor), last ? null : money((i + 1) * d.binWidthMinor), n]);
      });
      return out;
    }
    case "segments":
      return (
        line(["segment", "members", "cltv_12m_total", "cltv_36m_total", "past_value_total", "mean_p_alive"]) +
        report.segments.map((s) => line([s.segment, s.members, money(s.cltv12mMinor), money(s.cltv36mMinor), money(s.pastValueMinor), round(s.meanPAlive, 4)])).join("")
      );
    case "fit": {
      const diag = report.model?.diagnostics;
      let out = line(["table", "calibration_repeat_purchases", "customers_or_actual", "model"]);
      for (const r of diag?.calibration ?? []) out += line(["calibration_customers", r.x, r.actual, round(r.expected, 2)]);
      for (const r of diag?.validation?.holdout.byX ?? []) {
        out += line(["holdout_mean_repeat_purchases", r.x, round(r.actualMean, 4), round(r.predictedMean, 4)]);
      }
      return out;
    }
    case "classic": {
      const c = report.classic;
      const i = report.classicInputs;
      const rows: Array<[string, string | number | null]> = [
        ["revenue_last_12m", money(i.revenueMinor)],
        ["orders_last_12m", i.orders],
        ["active_customers_last_12m", i.activeCustomers],
        ["prior_customers", i.priorCustomers],
        ["retained_customers", i.retainedCustomers],
        ["gross_margin", i.grossMargin],
        ["acquisition_cost", money(i.acquisitionCostMinor)],
        ["retention_cost_per_year", money(i.retentionCostMinorPerYear)],
        ["arpu", money(c.arpuMinor)],
        ["average_order", money(c.averageOrderMinor)],
        ["purchase_frequency_per_year", round(c.purchaseFrequency, 4)],
        ["annual_churn", round(c.annualChurn, 4)],
        ["expected_lifetime_years", round(c.expectedLifetime, 4)],
        ["arpu_x_margin_x_lifetime", money(c.arpuFormulaMinor)],
        ["ltv_net_of_costs", money(c.ltvNetOfCostsMinor)],
        ["ltv", money(c.ltvMinor)],
        ["clv_ltv_x_margin", money(c.clvMinor)],
        ["model_mean_cltv_12m", money(report.model12mMeanMinor)],
        ["model_mean_cltv_36m", money(report.model36mMeanMinor)],
      ];
      return line(["figure", "value"]) + rows.map((r) => line(r)).join("");
    }
  }
}
