import { sql, type RawBuilder } from "kysely";
import { z } from "zod";
import type { Trx } from "~/db.server";
import { validationFailed } from "~/lib/errors";
import { isId } from "~/lib/ids";

/**
 * The members list: search, filters and keyset pagination newest-first on (created_at desc, id desc).
 * Shared by the admin members page and `GET /api/v1/members`. Stays fast at 100k+ members per merchant:
 *  - pages walk the index members_created_idx (no OFFSET);
 *  - a search (`q`) runs inside the SECURITY DEFINER function member_search_page / member_search_count, because under
 *    RLS PostgreSQL never uses the trigram index members_search_trgm for ILIKE; the function picks, per term, between
 *    that index (rare terms) and members_created_idx (common terms). 1–2 characters search the e-mail prefix;
 *  - order aggregates are computed with a LATERAL subquery for the page rows only, never a GROUP BY over all members.
 */

export interface MemberListQuery {
  q?: string;
  status?: "active" | "blocked" | "deleted";
  /** 'YYYY-MM-DD' (a day in the merchant's time zone, inclusive) or a full ISO timestamp with offset (exact instant). */
  joinedFrom?: string;
  joinedTo?: string;
  hasOrders?: boolean;
  /** Opaque cursor from a previous page's nextCursor/prevCursor; a malformed one is treated as "first page". */
  cursor?: string | null;
  /** Page size, clamped to 1..100 (default 50). */
  limit?: number;
  direction?: "next" | "prev";
}

export interface MemberListRow {
  id: string;
  email: string;
  name: string | null;
  external_id: string | null;
  status: string;
  birthday: string | null;
  created_at: Date;
  updated_at: Date;
  order_count: number;
  total_spend_minor: number;
  last_order_at: Date | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;
export const MAX_QUERY_LENGTH = 200;

// ---- cursor --------------------------------------------------------------------------------------------

interface CursorKey {
  /** created_at as text with microseconds (a JS Date keeps only milliseconds, which would skip or repeat rows). */
  ts: string;
  id: string;
}

const CURSOR_TS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$/;

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(`${key.ts}|${key.id}`, "utf8").toString("base64url");
}

/** Returns null for anything that is not a cursor we issued (tampered, truncated, wrong id kind). */
export function decodeCursor(cursor: string | null | undefined): CursorKey | null {
  if (!cursor || cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const sep = text.indexOf("|");
  if (sep < 0) return null;
  const ts = text.slice(0, sep);
  const id = text.slice(sep + 1);
  if (!CURSOR_TS_RE.test(ts) || Number.isNaN(Date.parse(ts)) || !isId("member", id)) return null;
  return { ts, id };
}

// ---- filters -------------------------------------------------------------------------------------------

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})$/;

function isRealDate(v: string): boolean {
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v && v >= "1900-01-01" && v <= "9999-12-31";
}

/** A join-date bound as SQL; day bounds are turned into instants in the merchant's time zone. */
function joinedBound(value: string, field: "joinedFrom" | "joinedTo", merchantId: string): RawBuilder<unknown> {
  const tz = sql`(select timezone from merchants where id = ${merchantId})`;
  if (DATE_RE.test(value) && isRealDate(value)) {
    // joinedTo is inclusive of the whole day: created_at < start of the next day.
    return field === "joinedFrom"
      ? sql`((${value}::date)::timestamp at time zone ${tz})`
      : sql`(((${value}::date) + 1)::timestamp at time zone ${tz})`;
  }
  if (INSTANT_RE.test(value) && !Number.isNaN(Date.parse(value)) && isRealDate(value.slice(0, 10))) {
    return sql`(${value}::timestamptz)`;
  }
  throw validationFailed(`${field} must be a date like 2026-01-31`, field);
}

/** The filters, validated, as SQL values; `q` is trimmed and non-empty or absent. */
interface MemberFilters {
  q?: string;
  status?: MemberListQuery["status"];
  /** Inclusive lower bound of created_at. */
  joinedFrom?: RawBuilder<unknown>;
  /** Exclusive upper bound of created_at (an inclusive instant is turned into "before instant + 1 µs"). */
  joinedBefore?: RawBuilder<unknown>;
  hasOrders?: boolean;
}

function parseFilters(merchantId: string, query: MemberListQuery): MemberFilters {
  const filters: MemberFilters = {};
  const q = query.q?.trim();
  if (q) {
    if (q.length > MAX_QUERY_LENGTH) throw validationFailed(`q must be at most ${MAX_QUERY_LENGTH} characters`, "q");
    // PostgreSQL text cannot hold NUL; refuse it here rather than fail in the driver.
    if (q.includes("\u0000")) throw validationFailed("q must not contain NUL characters", "q");
    filters.q = q;
  }
  if (query.status) {
    if (!["active", "blocked", "deleted"].includes(query.status)) throw validationFailed("status must be active, blocked or deleted", "status");
    filters.status = query.status;
  }
  if (query.joinedFrom) filters.joinedFrom = joinedBound(query.joinedFrom, "joinedFrom", merchantId);
  if (query.joinedTo) {
    const bound = joinedBound(query.joinedTo, "joinedTo", merchantId);
    // timestamptz has microsecond resolution, so "<= t" is exactly "< t + 1 µs".
    filters.joinedBefore = DATE_RE.test(query.joinedTo) ? bound : sql`(${bound} + interval '1 microsecond')`;
  }
  if (query.hasOrders !== undefined) filters.hasOrders = query.hasOrders;
  return filters;
}

/** WHERE conditions for the no-search path, which runs directly under RLS (only leakproof `=` / range operators). */
function filterConditions(merchantId: string, filters: MemberFilters): RawBuilder<unknown>[] {
  const conds: RawBuilder<unknown>[] = [sql`m.merchant_id = ${merchantId}`];
  if (filters.status) conds.push(sql`m.status = ${filters.status}`);
  if (filters.joinedFrom) conds.push(sql`m.created_at >= ${filters.joinedFrom}`);
  if (filters.joinedBefore) conds.push(sql`m.created_at < ${filters.joinedBefore}`);
  if (filters.hasOrders !== undefined) {
    const exists = sql`exists (select 1 from orders o where o.merchant_id = m.merchant_id and o.member_id = m.id)`;
    conds.push(filters.hasOrders ? exists : sql`not ${exists}`);
  }
  return conds;
}

/**
 * The filter arguments of member_search_page / member_search_count (migration 2026-11-22T1800_member_search).
 * Searches go through those SECURITY DEFINER functions because under RLS PostgreSQL will not use the trigram index
 * for ILIKE (not leakproof); the functions take the merchant from app.merchant_id, never from us.
 */
function searchFunctionArgs(filters: MemberFilters): RawBuilder<unknown> {
  return sql`${filters.q ?? null}::text, ${filters.status ?? null}::text,
    ${filters.joinedFrom ?? null}::timestamptz, ${filters.joinedBefore ?? null}::timestamptz, ${filters.hasOrders ?? null}::boolean`;
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit)));
}

// ---- queries -------------------------------------------------------------------------------------------

export type PageRow = MemberListRow & { cursor_ts: string };

/** The page query itself; exported so the benchmark can EXPLAIN exactly what listMembers runs. */
export function listMembersQuery(merchantId: string, query: MemberListQuery): RawBuilder<PageRow> {
  const limit = pageSize(query.limit);
  const key = decodeCursor(query.cursor);
  const backward = key !== null && query.direction === "prev";
  const filters = parseFilters(merchantId, query);

  // The page's members (limit + 1 to learn whether more exist), chosen first; the aggregates join only those rows.
  let page: RawBuilder<unknown>;
  if (filters.q !== undefined) {
    // The function returns ids and sort keys only; the rows are read back here under RLS by primary key.
    page = sql`
      select m.merchant_id, m.id, m.email, m.name, m.external_id, m.status, m.birthday, m.created_at, m.updated_at
      from member_search_page(${searchFunctionArgs(filters)}, ${key?.ts ?? null}::timestamptz, ${key?.id ?? null}::text,
                              ${backward}, ${limit + 1}::int) s
      join members m on m.merchant_id = ${merchantId} and m.id = s.id`;
  } else {
    const conds = filterConditions(merchantId, filters);
    if (key) {
      conds.push(backward ? sql`(m.created_at, m.id) > (${key.ts}::timestamptz, ${key.id})` : sql`(m.created_at, m.id) < (${key.ts}::timestamptz, ${key.id})`);
    }
    const innerOrder = backward ? sql`m.created_at asc, m.id asc` : sql`m.created_at desc, m.id desc`;
    page = sql`
      select m.merchant_id, m.id, m.email, m.name, m.external_id, m.status, m.birthday, m.created_at, m.updated_at
      from members m
      where ${sql.join(conds, sql` and `)}
      order by ${innerOrder}
      limit ${limit + 1}`;
  }

  return sql<PageRow>`
    select p.id, p.email::text as email, p.name, p.external_id, p.status, p.birthday, p.created_at, p.updated_at,
           to_char(p.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_ts,
           agg.order_count, agg.total_spend_minor, agg.last_order_at
    from (${page}) p
    cross join lateral (
      select count(*)::int as order_count,
             coalesce(sum(o.amount_minor), 0)::bigint as total_spend_minor,
             max(o.occurred_at) as last_order_at
      from orders o
      where o.merchant_id = p.merchant_id and o.member_id = p.id
    ) agg
    order by p.created_at desc, p.id desc`;
}

export async function listMembers(
  trx: Trx,
  merchantId: string,
  query: MemberListQuery,
): Promise<{ rows: MemberListRow[]; nextCursor: string | null; prevCursor: string | null }> {
  const limit = pageSize(query.limit);
  const key = decodeCursor(query.cursor);
  const backward = key !== null && query.direction === "prev";
  const result = await listMembersQuery(merchantId, query).execute(trx);

  let rows = result.rows;
  const hasMore = rows.length > limit;
  if (hasMore) rows = backward ? rows.slice(1) : rows.slice(0, limit);

  const first = rows[0];
  const last = rows[rows.length - 1];
  const cursorOf = (r: PageRow) => encodeCursor({ ts: r.cursor_ts, id: r.id });

  let nextCursor: string | null;
  let prevCursor: string | null;
  if (backward) {
    prevCursor = hasMore && first ? cursorOf(first) : null;
    // We came from the page after this one, so it exists; an empty result means we stepped past the start.
    nextCursor = last ? cursorOf(last) : query.cursor ?? null;
  } else {
    nextCursor = hasMore && last ? cursorOf(last) : null;
    prevCursor = key ? (first ? cursorOf(first) : query.cursor ?? null) : null;
  }

  return {
    rows: rows.map(({ cursor_ts: _ts, ...row }) => row),
    nextCursor,
    prevCursor,
  };
}

/** How many members match, counting at most `cap + 1` rows: "10,000+" is as useful as an exact figure and far cheaper. */
export async function countMembersCapped(
  trx: Trx,
  merchantId: string,
  query: MemberListQuery,
  cap = 10000,
): Promise<{ count: number; capped: boolean }> {
  const filters = parseFilters(merchantId, query);
  const result =
    filters.q !== undefined
      ? await sql<{ n: number }>`select member_search_count(${searchFunctionArgs(filters)}, ${cap}::int) as n`.execute(trx)
      : await sql<{ n: number }>`
          select count(*)::int as n
          from (select 1 from members m where ${sql.join(filterConditions(merchantId, filters), sql` and `)} limit ${cap + 1}) s`.execute(trx);
  const n = result.rows[0]?.n ?? 0;
  return n > cap ? { count: cap, capped: true } : { count: n, capped: false };
}

// ---- URL parameters (admin list page) ------------------------------------------------------------------

const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine(isRealDate);

const LIST_PARAMS = {
  q: z
    .string()
    .trim()
    .max(MAX_QUERY_LENGTH)
    .refine((v) => !v.includes("\u0000")),
  status: z.enum(["active", "blocked", "deleted"]),
  from: isoDay,
  to: isoDay,
  orders: z.enum(["yes", "no"]),
  cursor: z.string().max(200),
  dir: z.enum(["next", "prev"]),
} as const;

export type MemberListParam = keyof typeof LIST_PARAMS;

/**
 * Reads the list page's URL (`q, status, from, to, orders, cursor, dir`). Each bad parameter is dropped and named in
 * `ignored`, so a hand-edited URL shows a notice instead of an error page; empty values mean "no filter".
 */
export function parseMemberListParams(params: URLSearchParams): {
  query: MemberListQuery;
  filters: Partial<Record<Exclude<MemberListParam, "cursor" | "dir">, string>>;
  ignored: MemberListParam[];
} {
  const ok: Partial<Record<MemberListParam, string>> = {};
  const ignored: MemberListParam[] = [];
  for (const key of Object.keys(LIST_PARAMS) as MemberListParam[]) {
    const raw = params.get(key);
    if (raw === null || raw.trim() === "") continue;
    const parsed = LIST_PARAMS[key].safeParse(raw);
    if (parsed.success) ok[key] = parsed.data;
    else ignored.push(key);
  }
  if (ok.cursor && !decodeCursor(ok.cursor)) {
    delete ok.cursor;
    ignored.push("cursor");
  }
  const query: MemberListQuery = {
    q: ok.q,
    status: ok.status as MemberListQuery["status"],
    joinedFrom: ok.from,
    joinedTo: ok.to,
    hasOrders: ok.orders === undefined ? undefined : ok.orders === "yes",
    cursor: ok.cursor ?? null,
    direction: (ok.dir as MemberListQuery["direction"]) ?? "next",
    limit: DEFAULT_PAGE_SIZE,
  };
  const { q, status, from, to, orders } = ok;
  return { query, filters: { q, status, from, to, orders }, ignored };
}
