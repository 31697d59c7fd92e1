/**
 * Wall-clock time in IANA zones from the platform's time-zone database (Intl), without a dependency: the two
 * conversions the rules, jobs and demo data need, DST gaps and overlaps included.
 */

export interface WallTime {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

// One formatter per IANA zone: bounded by the platform's zone list (a few hundred names; Intl throws on an unknown
// zone before anything is cached), and in practice by the merchants' zones.
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The local calendar date and clock time of an instant in an IANA zone. */
export function wallTimeIn(at: Date, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(at)) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! % 24, minute: parts.minute!, second: parts.second! };
}

export const wallMs = (w: WallTime) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
/** The zone's UTC offset at an instant (local − UTC, ms). */
export const offsetAt = (t: number, timeZone: string) => wallMs(wallTimeIn(new Date(t), timeZone)) - Math.floor(t / 1000) * 1000;

/**
 * The first instant at which the clock in `timeZone` reads `wall` or later: the wall time itself when it exists,
 * its earlier occurrence when the clocks fall back, and the moment the clocks jump when it falls in a DST gap.
 */
export function zonedTimeToUtc(wall: WallTime, timeZone: string): Date {
  const w = wallMs(wall);
  const DAY = 86_400_000;
  const before = offsetAt(w - DAY, timeZone);
  const after = offsetAt(w + DAY, timeZone);
  const candidates = [...new Set([w - before, w - after])].filter((t) => wallMs(wallTimeIn(new Date(t), timeZone)) === w).sort((a, b) => a - b);
  if (candidates.length) return new Date(candidates[0]!);
  // In a gap: search the transition between the two offsets, to the second.
  let lo = w - after; // still on the old offset: reads before `wall`
  let hi = w - before; // already on the new offset: reads after `wall`
  if (lo > hi) [lo, hi] = [hi, lo];
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (wallMs(wallTimeIn(new Date(mid), timeZone)) >= w) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

