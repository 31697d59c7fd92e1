/**
 * The report's tables as plain data, shared by the page (formatted per column kind) and the CSV exports (raw
 * numbers). Money columns are per-member averages in currency units (minor units in the currency's decimals), not rounded.
 */

export type ColumnKind = "text" | "money" | "int" | "num" | "p" | "pct" | "bool";
export interface ReportTable {
  name: string;
  caption: string;
  columns: { label: string; kind: ColumnKind }[];
  rows: (string | number | boolean | null)[][];
}

export const TABLE_NAMES = ["arms", "costs", "comparisons", "cuped", "power", "months", "distribution", "referral_arms", "referral_value"] as const;
export type TableName = (typeof TABLE_NAMES)[number];
