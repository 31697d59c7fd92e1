import { createHash } from "node:crypto";
import { emailSchema, externalIdSchema, personNameSchema } from "~/domain/members/schemas";
import { supportedCurrencies } from "~/domain/merchants/schemas";
import { minorDigits } from "~/lib/money";
import type { ColumnMap, ImportField } from "./columns";

/**
 * Order-import rows: validation of one CSV record and the file-level bookkeeping (in-file duplicate order ids, the
 * derived order id of a row without one, line numbers). Pure: no database, no file system.
 */

export interface ImportRowError {
  line: number;
  column: string | null;
  reason: string;
}

export interface ValidRow {
  line: number;
  externalId: string | null;
  email: string | null;
  name: string | null;
  occurredAtMs: number;
  amountMinor: number;
  currency: string;
  /** The order id from the file, or one derived from the row (see OrderIdTracker). */
  orderId: string;
}

export interface RowContext {
  currency: string;
  timeZone: string;
  nowMs: number;
}

/** A single order above this (10^11 minor units, a billion dollars) is a typo, not history. */
export const MAX_AMOUNT_MINOR = 100_000_000_000;
export const MAX_ORDER_ID_LENGTH = 200;
const DAY_MS = 86_400_000;

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };
const fail = (reason: string) => ({ ok: false, reason }) as const;
const okv = <T,>(value: T) => ({ ok: true, value }) as const;

// ---- amounts ------------------------------------------------------------------------------------------------

/** "42.50" → 4250 for a 2-digit currency; text arithmetic, never floating point. */
export function parseAmount(raw: string, currency: string): Parsed<number> {
  const s = raw.trim();
  if (!s) return fail("amount is required");
  if (/^-/.test(s)) return fail(`amount ${s} is negative`);
  if (/^\+?[\d.]*[\d][,'\s][\d,'\s.]*$/.test(s)) return fail(`amount ${s} has a thousands separator; write it like 1234.50`);
  const m = /^\+?(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) return fail(`amount ${JSON.stringify(s.slice(0, 40))} is not a number like 42.50`);
  const digits = minorDigits(currency);
  const frac = m[2] ?? "";
  if (frac.length > digits) {
    return fail(digits === 0 ? `amount ${s} has decimals, but ${currency} has none` : `amount ${s} has more than ${digits} decimal places for ${currency}`);
  }
  const whole = m[1]!.replace(/^0+(?=\d)/, "");
  if (whole.length > 15) return fail(`amount ${s.slice(0, 40)} is too large`);
  const minor = Number(whole) * 10 ** digits + Number(frac.padEnd(digits, "0") || "0");
  if (!Number.isSafeInteger(minor) || minor > MAX_AMOUNT_MINOR) return fail(`amount ${s} is too large`);
  return okv(minor);
}

// ---- dates --------------------------------------------------------------------------------------------------

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at an instant (local − UTC, ms). */
export function tzOffsetMs(ms: number, timeZone: string): number {
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return 0;
  let f = offsetFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    offsetFormatters.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ms))) if (part.type !== "literal") p[part.type] = Number(part.value);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** Midnight of a calendar day in a zone (on a day that starts at 01:00 because of DST, that 01:00). */
export function localMidnightMs(y: number, m: number, d: number, timeZone: string): number {
  const wall = Date.UTC(y, m - 1, d);
  const first = wall - tzOffsetMs(wall, timeZone);
  const second = wall - tzOffsetMs(first, timeZone);
  return second === first ? first : Math.max(first, second);
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * A date (local midnight in `timeZone`) or an ISO 8601 date-time with an offset. Impossible dates (Feb 30) and
 * times outside 1970 … now + 1 day are refused.
 */
export function parseOccurredAt(raw: string, ctx: RowContext): Parsed<number> {
  const s = raw.trim();
  if (!s) return fail("date is required");
  const shown = JSON.stringify(s.slice(0, 40));
  let ms: number;
  const d = DATE_RE.exec(s);
  if (d) {
    const [y, m, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    if (m < 1 || m > 12 || day < 1 || day > daysInMonth(y, m)) return fail(`date ${shown} does not exist`);
    ms = localMidnightMs(y, m, day, ctx.timeZone);
  } else {
    const t = DATETIME_RE.exec(s);
    if (!t) return fail(`date ${shown} is not a date like 2024-03-01 or a date and time like 2024-03-01T14:30:00Z`);
    const [y, mo, day, h, mi, sec] = [1, 2, 3, 4, 5, 6].map((i) => Number(t[i] ?? 0)) as [number, number, number, number, number, number];
    if (mo < 1 || mo > 12 || day < 1 || day > daysInMonth(y, mo)) return fail(`date ${shown} does not exist`);
    if (h > 23 || mi > 59 || sec > 59) return fail(`time in ${shown} does not exist`);
    const zone = t[8];
    if (!zone) return fail(`date and time ${shown} needs an offset such as Z or +01:00 (or give the date alone)`);
    let offsetMin = 0;
    if (zone.toUpperCase() !== "Z") {
      const digits = zone.slice(1).replace(":", "");
      const oh = Number(digits.slice(0, 2));
      const om = Number(digits.slice(2) || "0");
      if (oh > 14 || om > 59) return fail(`offset ${zone} in ${shown} is not valid`);
      offsetMin = (zone[0] === "-" ? -1 : 1) * (oh * 60 + om);
    }
    const millis = Number((t[7] ?? "").padEnd(3, "0").slice(0, 3) || "0");
    ms = Date.UTC(y, mo - 1, day, h, mi, sec, millis) - offsetMin * 60_000;
  }
  if (ms < 0) return fail(`date ${shown} is before 1970`);
  if (ms > ctx.nowMs + DAY_MS) return fail(`date ${shown} is in the future`);
  return okv(ms);
}

// ---- one row ------------------------------------------------------------------------------------------------

/** A valid row; `line` is 0 and `orderId` is null until the caller (who knows the file) fills them in. */
export type RowResult = { ok: true; row: Omit<ValidRow, "orderId"> & { orderId: string | null } } | { ok: false; errors: Array<{ column: string | null; reason: string }> };

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

function zodParsed(r: { success: true; data: string } | { success: false; error: { issues: Array<{ message: string }> } }, prefix: string): Parsed<string> {
  return r.success ? okv(r.data) : fail(`${prefix}${r.error.issues[0]!.message}`);
}
// The members' own field rules (app/domain/members/schemas.ts), so an import accepts what the API and forms accept.
const checkCustomer = (v: string) => zodParsed(externalIdSchema.safeParse(v), "customer id: ");
const checkEmail = (v: string) => zodParsed(emailSchema.safeParse(v), `e-mail ${JSON.stringify(v.slice(0, 60))}: `);
const checkName = (v: string) => zodParsed(personNameSchema.safeParse(v), "name: ");
let currencySet: Set<string> | undefined;

/**
 * Validates one record against the resolved columns. Every problem of the row is reported (column = the header as
 * written in the file), so one pass over a file shows all that needs fixing.
 */
export class RowValidator {
  // Order files repeat the same customers and days: each distinct value is checked once (up to a bound).
  private readonly dateCache = new Map<string, Parsed<number>>();
  private readonly customerCache = new Map<string, Parsed<string>>();
  private readonly emailCache = new Map<string, Parsed<string>>();
  private readonly nameCache = new Map<string, Parsed<string>>();

  constructor(
    private readonly columns: ColumnMap,
    private readonly ctx: RowContext,
  ) {}

  private cell(fields: readonly string[], f: ImportField): string {
    const c = this.columns[f];
    return c ? (fields[c.index] ?? "").trim() : "";
  }

  private memo(cache: Map<string, Parsed<string>>, key: string, check: (v: string) => Parsed<string>): Parsed<string> {
    let v = cache.get(key);
    if (!v) {
      v = check(key);
      if (cache.size >= 50_000) cache.clear();
      cache.set(key, v);
    }
    return v;
  }

  private header(f: ImportField): string | null {
    return this.columns[f]?.header ?? null;
  }

  validate(fields: readonly string[]): RowResult {
    const errors: Array<{ column: string | null; reason: string }> = [];
    const err = (f: ImportField | null, reason: string) => errors.push({ column: f ? this.header(f) : null, reason });

    let externalId: string | null = null;
    const rawCustomer = this.cell(fields, "customer");
    if (rawCustomer) {
      const r = this.memo(this.customerCache, rawCustomer, checkCustomer);
      if (r.ok) externalId = r.value;
      else err("customer", r.reason);
    }
    let email: string | null = null;
    const rawEmail = this.cell(fields, "email");
    if (rawEmail) {
      const r = this.memo(this.emailCache, rawEmail, checkEmail);
      if (r.ok) email = r.value;
      else err("email", r.reason);
    }
    if (!rawCustomer && !rawEmail) {
      const cols = [this.header("customer"), this.header("email")].filter(Boolean).join(" / ");
      errors.push({ column: cols || null, reason: "the row has neither a customer id nor an e-mail" });
    }
    let name: string | null = null;
    // Line breaks and runs of spaces in a (quoted) name are spreadsheet artefacts.
    const rawName = this.cell(fields, "name").replace(/\s+/g, " ");
    if (rawName) {
      const r = this.memo(this.nameCache, rawName, checkName);
      if (r.ok) name = r.value;
      else err("name", r.reason);
    }

    let currency = this.ctx.currency;
    const rawCurrency = this.cell(fields, "currency").toUpperCase();
    if (rawCurrency) {
      currencySet ??= new Set(supportedCurrencies());
      if (!/^[A-Z]{3}$/.test(rawCurrency)) err("currency", `currency ${JSON.stringify(rawCurrency.slice(0, 20))} is not a 3-letter code`);
      else if (!currencySet.has(rawCurrency)) err("currency", `unknown currency ${rawCurrency}`);
      else if (rawCurrency !== this.ctx.currency) err("currency", `currency ${rawCurrency} does not match the merchant currency ${this.ctx.currency}`);
      else currency = rawCurrency;
    }

    let amountMinor = 0;
    const amount = parseAmount(this.cell(fields, "amount"), this.ctx.currency);
    if (amount.ok) amountMinor = amount.value;
    else err("amount", amount.reason);

    let occurredAtMs = 0;
    const rawDate = this.cell(fields, "occurredAt");
    let date = this.dateCache.get(rawDate);
    if (!date) {
      date = parseOccurredAt(rawDate, this.ctx);
      if (this.dateCache.size >= 50_000) this.dateCache.clear();
      this.dateCache.set(rawDate, date);
    }
    if (date.ok) occurredAtMs = date.value;
    else err("occurredAt", date.reason);

    let orderId: string | null = null;
    const rawOrderId = this.cell(fields, "orderId");
    if (rawOrderId) {
      if (rawOrderId.length > MAX_ORDER_ID_LENGTH) err("orderId", `order id is longer than ${MAX_ORDER_ID_LENGTH} characters`);
      else if (CONTROL_RE.test(rawOrderId)) err("orderId", "order id contains control characters");
      else orderId = rawOrderId;
    }

    if (errors.length) return { ok: false, errors };
    return { ok: true, row: { line: 0, externalId, email, name, occurredAtMs, amountMinor, currency, orderId } };
  }
}

// ---- file-level order ids ------------------------------------------------------------------------------------

/**
 * In-file duplicate detection and derived order ids. Memory: one entry per row of the file — the order id (or a
 * 22-character hash) and a number — about 100 bytes each, so ~100 MB for a million rows in the worst case.
 */
export class OrderIdTracker {
  private readonly firstLine = new Map<string, number>();
  private readonly occurrences = new Map<string, number>();

  /** The first line that used `orderId`, or undefined (and `line` is remembered as its first use). */
  claim(orderId: string, line: number): number | undefined {
    const first = this.firstLine.get(orderId);
    if (first !== undefined) return first;
    this.firstLine.set(orderId, line);
    return undefined;
  }

  /**
   * A deterministic id for a row without an order id: a hash of (customer ref, occurred-at, amount, currency) plus
   * how many identical rows came before it in the file, so a re-import derives the same ids and skips them.
   */
  derive(row: { externalId: string | null; email: string | null; occurredAtMs: number; amountMinor: number; currency: string }): string {
    const ref = row.externalId !== null ? `id:${row.externalId}` : `email:${row.email}`;
    const key = createHash("sha256").update(`${ref}\u0000${row.occurredAtMs}\u0000${row.amountMinor}\u0000${row.currency}`).digest("base64url").slice(0, 22);
    const n = this.occurrences.get(key) ?? 0;
    this.occurrences.set(key, n + 1);
    return n === 0 ? `csv:${key}` : `csv:${key}:${n}`;
  }
}

// ---- line numbers -------------------------------------------------------------------------------------------

/**
 * Line numbers from byte offsets. The parser reports how many bytes it has consumed when it finishes a record;
 * this index, fed with every chunk before the parser sees it, turns that into the line the record ends on. (The
 * parser's own line counter counts a CRLF inside a quoted field twice.) Offsets are queried in increasing order,
 * so only the newlines of the chunks in flight are kept.
 */
export class LineIndex {
  private offsets: number[] = [];
  private head = 0;
  private passed = 0;
  private fed = 0;

  feed(chunk: Uint8Array): void {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.offsets.push(this.fed + i);
    this.fed += chunk.length;
  }

  /** The 1-based line on which a record that ends after `bytes` bytes (its terminator included) ends. */
  lineEndingAt(bytes: number): number {
    while (this.head < this.offsets.length && this.offsets[this.head]! < bytes - 1) {
      this.head++;
      this.passed++;
    }
    if (this.head > 4096) {
      this.offsets = this.offsets.slice(this.head);
      this.head = 0;
    }
    return this.passed + 1;
  }
}

/** The line a record starts on, given the line it ends on (quoted fields may span lines). */
export function startLine(endLine: number, fields: readonly string[]): number {
  let inner = 0;
  for (const f of fields) for (let i = f.indexOf("\n"); i !== -1; i = f.indexOf("\n", i + 1)) inner++;
  return endLine - inner;
}

/** A record whose every cell is blank (spreadsheets pad files with ",,,," lines) is skipped, not an error. */
export function isBlankRecord(fields: readonly string[]): boolean {
  return fields.every((f) => f.trim() === "");
}

// ---- error report ---------------------------------------------------------------------------------------------

export function csvCell(value: string | number | null): string {
  const s = value === null ? "" : String(value);
  return /[",\r\n]/.test(s) || /^[=+\-@\t]/.test(s) ? `"${(/^[=+\-@\t]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"` : s;
}

export const ERROR_CSV_HEADER = "line,column,reason\n";

export function errorCsvLine(e: ImportRowError): string {
  return `${e.line},${csvCell(e.column)},${csvCell(e.reason)}\n`;
}
