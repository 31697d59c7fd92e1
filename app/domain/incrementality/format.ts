import type { Comparison } from "./stats";

/** Text and number formatting for the incrementality report (CLI, CSV, pages). Pure. */

/** A per-member amount in minor units as currency units with `digits` decimals ("+0.770"). */
export function units(minor: number, digits = 2, signed = false): string {
  if (!Number.isFinite(minor)) return "—";
  const s = (minor / 100).toFixed(digits);
  return signed && minor >= 0 ? `+${s}` : s;
}

export function pValueText(p: number): string {
  if (!Number.isFinite(p)) return "—";
  if (p < 0.0001) return "< 0.0001";
  return p.toFixed(4);
}

export function percent(x: number | null, digits = 1): string {
  return x === null || !Number.isFinite(x) ? "—" : `${(x * 100).toFixed(digits)}%`;
}

export function ciText(c: Pick<Comparison, "ci95">, digits = 3): string {
  return `[${units(c.ci95[0], digits, true)}, ${units(c.ci95[1], digits, true)}]`;
}

/** One CSV cell: quoted when needed; formula-looking text is prefixed so spreadsheets do not run it. */
export function csvCell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  const s = String(v);
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(header: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(",")).join("\n") + "\n";
}
