/**
 * Points in plain words, shared by the portal, the admin and the points e-mails. Pure (no I/O, no clock): callers
 * pass the instant and the merchant's time zone, so the server renders the text once and the browser shows it as is.
 * It lives with the ledger, not in components, because the points e-mails (jobs.server.ts) need it and domain code
 * never imports UI; components import it from here.
 */

import { dateTimeFormat, numberFormat } from "~/lib/intl";

const n = (v: number) => numberFormat("en-US", {}).format(v);

/** "1 point", "1,250 points". */
export function pointsLabel(points: number): string {
  return `${n(points)} ${Math.abs(points) === 1 ? "point" : "points"}`;
}

/** "+42", "−42" (a real minus sign), "0". */
export function signedPoints(points: number): string {
  return points > 0 ? `+${n(points)}` : points < 0 ? `\u2212${n(-points)}` : "0";
}

function parts(at: Date, timeZone: string) {
  const f = dateTimeFormat("en-US", { timeZone, year: "numeric", month: "short", day: "numeric" });
  const p = Object.fromEntries(f.formatToParts(at).map((x) => [x.type, x.value]));
  return { year: p.year!, month: p.month!, day: p.day! };
}

/** "Dec 6" in the merchant's zone, with the year when it differs from `ref`'s local year: "Jan 6, 2028". */
export function shortDate(at: Date, timeZone: string, ref: Date): string {
  const d = parts(at, timeZone);
  return d.year === parts(ref, timeZone).year ? `${d.month} ${d.day}` : `${d.month} ${d.day}, ${d.year}`;
}

/** "Dec 6, 2027" in the merchant's zone. */
export function longDate(at: Date, timeZone: string): string {
  const d = parts(at, timeZone);
  return `${d.month} ${d.day}, ${d.year}`;
}

/** The local calendar day of an instant, "2027-12-06", for grouping. */
export function localDay(at: Date, timeZone: string): string {
  return dateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}

/** One ledger journal as the ledger module reports it (balance.server.ts LedgerLine), reduced to what the text needs. */
export interface LedgerLineFacts {
  kind: string;
  description: string;
  points: number;
  availableChange: number;
  debtChange: number;
  reason: string | null;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const PREFIX = "Points for ";

/**
 * What a member reads in their history: "+42 points for order #1043", "−42 points · Order #1043 refunded",
 * "42 pending points became available", "−10 points expired".
 */
export function memberHistoryText(l: LedgerLineFacts): string {
  switch (l.kind) {
    case "release":
      return `${pointsLabel(l.availableChange)} became available`;
    case "expire":
      return `${signedPoints(l.points)} ${Math.abs(l.points) === 1 ? "point" : "points"} expired${/activity/.test(l.description) ? " after a period without activity" : ""}`;
    case "forgive":
      return `${pointsLabel(-l.debtChange)} you owed after a refund ${-l.debtChange === 1 ? "was" : "were"} forgiven`;
    case "adjust":
      return `${signedPoints(l.points)} ${Math.abs(l.points) === 1 ? "point" : "points"} ${l.points >= 0 ? "added" : "removed"}${l.reason ? `: ${l.reason}` : ""}`;
  }
  const amount = `${signedPoints(l.points)} ${Math.abs(l.points) === 1 ? "point" : "points"}`;
  if (l.points > 0 && l.description.startsWith(PREFIX)) return `${amount} for ${l.description.slice(PREFIX.length)}`;
  return `${amount} · ${cap(l.description)}`;
}

/** Pending points grouped by the local day they become available, soonest first. */
export function pendingByDay(lots: Array<{ points: number; releasesAt: Date | null }>, timeZone: string): Array<{ day: string; at: Date | null; points: number }> {
  const byDay = new Map<string, { day: string; at: Date | null; points: number }>();
  for (const l of lots) {
    const day = l.releasesAt ? localDay(l.releasesAt, timeZone) : "";
    const g = byDay.get(day) ?? { day, at: l.releasesAt, points: 0 };
    g.points += l.points;
    byDay.set(day, g);
  }
  return [...byDay.values()].sort((a, b) => (a.at?.getTime() ?? Infinity) - (b.at?.getTime() ?? Infinity));
}

/** "available on Dec 6 after the 14-day return window" (or "available shortly" once the date has passed). */
export function availableOn(at: Date | null, pendingDays: number, timeZone: string, ref: Date): string {
  if (!at) return "available after the return window";
  if (at <= ref) return "available shortly";
  return `available on ${shortDate(at, timeZone, ref)}${pendingDays > 0 ? ` after the ${pendingDays}-day return window` : ""}`;
}
