/**
 * From transactions to the RFM summary the BG/NBD and Gamma-Gamma take, as in Fader, Hardie & Lee (2005):
 * purchases are aggregated per customer per calendar day; x = purchase days in calibration − 1;
 * t_x = last − first purchase day, T = calibration end − first purchase day (in the chosen unit, rounded);
 * zbar = mean spend of the repeat days (the first day is excluded, it is not a repeat purchase).
 */

export type TimeUnit = "day" | "week";

export interface Transaction {
  customerId: string;
  /** Calendar day, YYYY-MM-DD. */
  date: string;
  amount: number;
}

export interface CustomerSummary {
  customerId: string;
  x: number;
  tx: number;
  T: number;
  zbar: number;
  /** Total spend in calibration, first purchase day included (the member's past value). */
  spend: number;
  /** Purchase days after the calibration end (within the holdout window when one is given). */
  holdoutPurchases: number;
  /** Spend on those holdout days. */
  holdoutSpend: number;
}

export interface SummaryOptions {
  /** Last day of calibration, YYYY-MM-DD, inclusive. */
  calibrationEnd: string;
  /** Last day of the holdout, inclusive; by default every later transaction counts. */
  holdoutEnd?: string;
  timeUnit?: TimeUnit;
  /** Decimals t_x and T are rounded to (the published CDNOW summary uses 2); null keeps them exact. */
  digits?: number | null;
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 for a YYYY-MM-DD (or YYYYMMDD) calendar day. */
export function dayNumber(date: string): number {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(date);
  if (!m) throw new Error(`Invalid calendar day: ${date}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const back = new Date(ms);
  if (back.getUTCFullYear() !== Number(m[1]) || back.getUTCMonth() !== Number(m[2]) - 1 || back.getUTCDate() !== Number(m[3])) {
    throw new Error(`Invalid calendar day: ${date}`);
  }
  return Math.round(ms / DAY_MS);
}

export function roundTo(value: number, digits: number): number {
  // Round half away from zero on the decimal value (toPrecision strips the binary noise of e.g. 22.345).
  const f = 10 ** digits;
  return Math.round(Number((Math.abs(value) * f).toPrecision(12))) / f * Math.sign(value) || 0;
}

export function buildSummary(transactions: Iterable<Transaction>, options: SummaryOptions): CustomerSummary[] {
  const unit = (options.timeUnit ?? "week") === "week" ? 7 : 1;
  const digits = options.digits === undefined ? 2 : options.digits;
  const calEnd = dayNumber(options.calibrationEnd);
  const holdEnd = options.holdoutEnd ? dayNumber(options.holdoutEnd) : Infinity;
  const round = (v: number) => (digits === null ? v : roundTo(v, digits));

  // customer → day → spend that day
  const byCustomer = new Map<string, Map<number, number>>();
  for (const t of transactions) {
    const day = dayNumber(t.date);
    let days = byCustomer.get(t.customerId);
    if (!days) byCustomer.set(t.customerId, (days = new Map()));
    days.set(day, (days.get(day) ?? 0) + t.amount);
  }

  const out: CustomerSummary[] = [];
  for (const [customerId, days] of byCustomer) {
    const sorted = [...days.keys()].sort((a, b) => a - b);
    const first = sorted[0];
    // Customers acquired after calibration are not in the calibration cohort.
    if (first === undefined || first > calEnd) continue;
    let last = first;
    let calDays = 0;
    let repeatSpend = 0;
    let spendTotal = 0;
    let holdoutPurchases = 0;
    let holdoutSpend = 0;
    for (const d of sorted) {
      const spend = days.get(d)!;
      if (d <= calEnd) {
        calDays++;
        last = d;
        spendTotal += spend;
        if (d !== first) repeatSpend += spend;
      } else if (d <= holdEnd) {
        holdoutPurchases++;
        holdoutSpend += spend;
      }
    }
    const x = calDays - 1;
    out.push({
      customerId,
      x,
      tx: round((last - first) / unit),
      T: round((calEnd - first) / unit),
      zbar: x > 0 ? repeatSpend / x : 0,
      spend: spendTotal,
      holdoutPurchases,
      holdoutSpend,
    });
  }
  return out;
}

export interface CompressedRow {
  x: number;
  tx: number;
  T: number;
  weight: number;
}

/** Unique (x, t_x, T) with their counts: the likelihood only depends on these, so fits run on far fewer rows. */
export function compress(rows: Iterable<{ x: number; tx: number; T: number }>): CompressedRow[] {
  const map = new Map<string, CompressedRow>();
  for (const r of rows) {
    const key = `${r.x}|${r.tx}|${r.T}`;
    const hit = map.get(key);
    if (hit) hit.weight++;
    else map.set(key, { x: r.x, tx: r.tx, T: r.T, weight: 1 });
  }
  return [...map.values()];
}
