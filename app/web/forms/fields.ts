import { wallTimeIn, zonedTimeToUtc } from "~/lib/time-zone";

/**
 * What people type into forms, turned into what the domain stores and back: amounts in major units ("5.00", not
 * 500) and date-times as datetime-local values in the merchant's time zone. Pure, used by the form schemas here.
 */

/** "12.5" → 1250 for a 2-digit currency; null when it is not a plain non-negative amount with at most `digits` decimals. */
export function parseMajorAmount(text: string, digits: number): number | null {
  const m = /^(\d{1,15})(?:\.(\d*))?$/.exec(text.trim());
  if (!m) return null;
  const frac = m[2] ?? "";
  if (frac.length > digits && !/^0*$/.test(frac.slice(digits))) return null;
  const minor = BigInt(m[1]!) * 10n ** BigInt(digits) + BigInt((frac.slice(0, digits) || "0").padEnd(digits, "0") || "0");
  return minor <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(minor) : null;
}

/** 1250 → "12.50" (digits 2), for an input's value: no symbol, no grouping. */
export function formatMajorAmount(minor: number, digits: number): string {
  if (digits === 0) return String(minor);
  const s = String(Math.abs(minor)).padStart(digits + 1, "0");
  return `${minor < 0 ? "-" : ""}${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/** A datetime-local value ("2026-07-04T09:00") read in `timezone`; null when it is not a real date-time. */
export function localInputToIso(value: string, timezone: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null;
  return zonedTimeToUtc({ year, month, day, hour, minute, second }, timezone).toISOString();
}

/** An instant as a datetime-local value in `timezone`. */
export function isoToLocalInput(iso: string, timezone: string): string {
  const w = wallTimeIn(new Date(iso), timezone);
  const p = (n: number, l = 2) => String(n).padStart(l, "0");
  return `${p(w.year, 4)}-${p(w.month)}-${p(w.day)}T${p(w.hour)}:${p(w.minute)}${w.second ? `:${p(w.second)}` : ""}`;
}
