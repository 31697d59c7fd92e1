import { sql } from "kysely";
import { withBegin, type Trx } from "~/db.server";
import { programHoldoutSql, type ProgramHoldoutRow } from "~/domain/experiments/assignment.server";
import { DomainError } from "~/lib/errors";
import type { JournalKind } from "~db/schema";
import { inactivityExpiry, type EarningRules } from "./rules";
import { parseStoredRules } from "./rules.server";
import type { LedgerLine, MemberPointsBalance } from "./types";

export type { LedgerLine, MemberPointsBalance };

/** Reading the ledger: a member's balance with what is pending and expiring, and their history page by page. */


export async function getMemberBalance(trx: Trx, merchantId: string, memberId: string): Promise<MemberPointsBalance> {
  return (await getMemberPoints(trx, merchantId, memberId)).balance;
}

export interface MemberPoints {
  balance: MemberPointsBalance;
  /** The merchant's earning rules, which the balance's texts need (pending days, expiry mode). */
  rules: EarningRules;
  /** One page of the ledger, when asked for. */
  ledger?: LedgerPage;
  /**
   * The loyalty program's holdout row for the member (`programHoldoutSql`; `hx_id` null: no experiment), when asked
   * for: the portal's points pages need it and it costs no round trip here. Judge it with `heldOutFromRow`.
   */
  loyaltyHoldout?: ProgramHoldoutRow;
}

/**
 * The member's balance (with pending lots and the next expiry), the merchant's earning rules and, when asked, one
 * page of the ledger — in one statement. The points screens show all three; read separately they were five
 * round trips, the rules read twice (issue 14).
 */
export async function getMemberPoints(
  trx: Trx,
  merchantId: string,
  memberId: string,
  opts: { ledger?: { cursor?: string | null; limit?: number }; loyaltyHoldout?: boolean } = {},
): Promise<MemberPoints> {
  const page = opts.ledger ? ledgerPageArgs(opts.ledger) : null;
  // withBegin: when this opens the page's transaction, it goes with `begin` in one round trip.
  const { rows } = await trx.executeQuery(withBegin(sql<{
    rules: unknown;
    available: number | null;
    pending: number | null;
    clawback_debt: number | null;
    lifetime_earned: number | null;
    lifetime_redeemed: number | null;
    last_activity_at: Date | null;
    pending_points: number[];
    pending_until: Array<Date | null>;
    expiring_at: Date | null;
    expiring_points: number | null;
    ledger: LedgerJsonRow[] | null;
  } & Partial<ProgramHoldoutRow>>`
    select (select rules from earning_rules where merchant_id = ${merchantId}) as rules,
      b.available, b.pending, b.clawback_debt, b.lifetime_earned, b.lifetime_redeemed, b.last_activity_at,
      p.points as pending_points, p.until as pending_until, x.expires_at as expiring_at, x.points as expiring_points,
      ${page ? sql`(select coalesce(json_agg(l order by l.seq desc), '[]') from (${ledgerPageSql(merchantId, memberId, page)}) l)` : sql`null`} as ledger
      ${opts.loyaltyHoldout ? sql`, hx.*` : sql``}
    from (select 1) one
    left join member_balances b on b.merchant_id = ${merchantId} and b.member_id = ${memberId}
    cross join lateral (
      select coalesce(array_agg(g.points order by g.pending_until), '{}') as points, coalesce(array_agg(g.pending_until order by g.pending_until), '{}') as until
      from (
        select sum(remaining) as points, pending_until from point_lots
        where merchant_id = ${merchantId} and member_id = ${memberId} and released_at is null and remaining > 0
        group by pending_until order by pending_until limit 50
      ) g
    ) p
    -- The lots' own next expiry date (unused when the rules expire by inactivity: then it follows from the balance).
    left join lateral (
      select expires_at, sum(remaining) as points from point_lots
      where merchant_id = ${merchantId} and member_id = ${memberId} and remaining > 0 and expires_at is not null
      group by expires_at order by expires_at limit 1
    ) x on true
    ${opts.loyaltyHoldout ? sql`left join lateral (${programHoldoutSql(merchantId, "loyalty_program", memberId)}) hx on true` : sql``}`.compile(trx)));
  const r = rows[0]!;
  const rules = parseStoredRules(merchantId, r.rules);
  let expiringNext: MemberPointsBalance["expiringNext"] = null;
  if (rules.expiry.mode === "inactivity") {
    const at = r.last_activity_at ? inactivityExpiry(rules, r.last_activity_at) : null;
    const total = (r.available ?? 0) + (r.pending ?? 0);
    if (at && total > 0) expiringNext = { points: total, at };
  } else if (r.expiring_at) {
    // The earliest date's lots together (several orders of one day share it).
    expiringNext = { points: Number(r.expiring_points), at: r.expiring_at };
  }
  const balance: MemberPointsBalance = {
    available: r.available ?? 0,
    pending: r.pending ?? 0,
    clawbackDebt: r.clawback_debt ?? 0,
    lifetimeEarned: r.lifetime_earned ?? 0,
    lifetimeRedeemed: r.lifetime_redeemed ?? 0,
    pendingLots: r.pending_points.map((points, i) => ({ points: Number(points), releasesAt: r.pending_until[i] ?? null })),
    expiringNext,
    lastActivityAt: r.last_activity_at,
  };
  return {
    balance,
    rules,
    ...(page ? { ledger: ledgerPage(r.ledger ?? [], page.limit) } : {}),
    ...(opts.loyaltyHoldout ? { loyaltyHoldout: holdoutRow(r) } : {}),
  };
}

/** The `hx_` columns of the folded holdout join (null when the merchant has no such experiment). */
function holdoutRow(r: Partial<ProgramHoldoutRow>): ProgramHoldoutRow {
  return {
    hx_id: r.hx_id ?? null,
    hx_kind: r.hx_kind!,
    hx_subject_id: r.hx_subject_id ?? null,
    hx_name: r.hx_name!,
    hx_assignment: r.hx_assignment!,
    hx_holdout_bps: r.hx_holdout_bps!,
    hx_status: r.hx_status!,
    hx_created_at: r.hx_created_at!,
    hx_arm: r.hx_arm ?? null,
    hx_is_control: r.hx_is_control ?? null,
  };
}

export interface LedgerPage {
  rows: LedgerLine[];
  nextCursor: string | null;
}

const encodeCursor = (seq: number) => Buffer.from(JSON.stringify([seq])).toString("base64url");

function decodeCursor(cursor: string): number {
  try {
    const [seq] = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as [number];
    if (!Number.isSafeInteger(seq) || seq < 0) throw new Error("bad");
    return seq;
  } catch {
    throw new DomainError("validation_failed", "The cursor is not valid; start again without one", { field: "cursor" });
  }
}

/** A ledger line as the statement returns it: columns, or the same as JSON (numbers may be strings, dates are text). */
interface LedgerJsonRow {
  id: string;
  seq: string | number;
  kind: JournalKind;
  source: string;
  description: string;
  points: string | number;
  available_change: string | number;
  pending_change: string | number;
  debt_change: string | number;
  available_after: string | number;
  pending_after: string | number;
  order_id: string | null;
  reason: string | null;
  note: string | null;
  actor_type: string;
  actor_id: string | null;
  created_at: Date | string;
  effective_at: Date | string;
}

function ledgerPageArgs(opts: { cursor?: string | null; limit?: number }): { after: number | null; limit: number } {
  return { limit: Math.min(Math.max(opts.limit ?? 50, 1), 200), after: opts.cursor ? decodeCursor(opts.cursor) : null };
}

/** One page of a member's ledger, newest first, with one row more than the page to tell whether there is a next. */
function ledgerPageSql(merchantId: string, memberId: string, page: { after: number | null; limit: number }) {
  return sql<LedgerJsonRow>`
    -- Each journal's entries for the member, summed through the entries' primary key (merchant_id, journal_id, seq):
    -- one short index probe per journal, whatever the planner guesses. Joined to a per-journal aggregate of the
    -- member's entries instead, it picked a nested loop that re-read that aggregate for every journal, O(journals²):
    -- 6.2 ms per call for the page bench's members even materialised, the costliest statement of the portal home,
    -- the points page and the admin member page (issue 14).
    with lines as (
      select j.id, j.seq, j.kind, j.source, j.description, j.points, j.order_id, j.reason, j.note, j.actor_type, j.actor_id, j.created_at, j.effective_at,
        c.available_change, c.pending_change, c.debt_change
      from ledger_journals j
      cross join lateral (
        select coalesce(sum(e.amount) filter (where e.account = 'member_available'), 0) as available_change,
          coalesce(sum(e.amount) filter (where e.account = 'member_pending'), 0) as pending_change,
          coalesce(-sum(e.amount) filter (where e.account = 'member_clawback'), 0) as debt_change
        from ledger_entries e
        where e.merchant_id = j.merchant_id and e.journal_id = j.id and e.member_id = ${memberId}
      ) c
      where j.merchant_id = ${merchantId} and j.member_id = ${memberId}
    ), running as (
      select *,
        sum(available_change) over w as available_after,
        sum(pending_change) over w as pending_after
      from lines
      window w as (order by seq rows between unbounded preceding and current row)
    )
    select * from running
    where ${page.after !== null ? sql`seq < ${page.after}` : sql`true`}
    order by seq desc
    limit ${page.limit + 1}`;
}

function ledgerPage(rows: LedgerJsonRow[], limit: number): LedgerPage {
  const page = rows.slice(0, limit).map<LedgerLine>((r) => ({
    journalId: r.id,
    seq: Number(r.seq),
    kind: r.kind,
    source: r.source,
    description: r.description,
    points: Number(r.points),
    availableChange: Number(r.available_change),
    pendingChange: Number(r.pending_change),
    debtChange: Number(r.debt_change),
    availableAfter: Number(r.available_after),
    pendingAfter: Number(r.pending_after),
    orderId: r.order_id,
    reason: r.reason,
    note: r.note,
    actorType: r.actor_type,
    actorId: r.actor_id,
    createdAt: new Date(r.created_at),
    effectiveAt: new Date(r.effective_at),
  }));
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > limit && last ? encodeCursor(last.seq) : null };
}

/**
 * A member's ledger, newest first, with the running available/pending balances after each line. The running
 * totals are window sums over the member's journals (a member has hundreds, not millions), computed in SQL.
 */
export async function listMemberLedger(
  trx: Trx,
  merchantId: string,
  memberId: string,
  opts: { cursor?: string | null; limit?: number } = {},
): Promise<LedgerPage> {
  const page = ledgerPageArgs(opts);
  const { rows } = await ledgerPageSql(merchantId, memberId, page).execute(trx);
  return ledgerPage(rows, page.limit);
}

export interface ReconcileMismatch {
  memberId: string;
  what: string;
  cached: number;
  derived: number;
}

/**
 * Re-derives every cache from the append-only records and reports each difference: member balances from entries,
 * lot breakdowns from allocations, available/pending from open lots, and any journal that does not sum to zero.
 * An empty list is the proof the cached balances are right.
 */
export async function reconcileLedger(trx: Trx, merchantId: string): Promise<{ members: number; journals: number; mismatches: ReconcileMismatch[] }> {
  const mismatches: ReconcileMismatch[] = [];
  const balances = await sql<{ member_id: string; available: string; pending: string; debt: string; e_available: string; e_pending: string; e_debt: string; l_available: string; l_pending: string }>`
    with e as (
      select member_id,
        coalesce(sum(amount) filter (where account = 'member_available'), 0) as available,
        coalesce(sum(amount) filter (where account = 'member_pending'), 0) as pending,
        coalesce(-sum(amount) filter (where account = 'member_clawback'), 0) as debt
      from ledger_entries where merchant_id = ${merchantId} and member_id is not null group by member_id
    ), l as (
      select member_id,
        coalesce(sum(remaining) filter (where released_at is not null), 0) as available,
        coalesce(sum(remaining) filter (where released_at is null), 0) as pending
      from point_lots where merchant_id = ${merchantId} group by member_id
    )
    select coalesce(b.member_id, e.member_id, l.member_id) as member_id,
      coalesce(b.available, 0) as available, coalesce(b.pending, 0) as pending, coalesce(b.clawback_debt, 0) as debt,
      coalesce(e.available, 0) as e_available, coalesce(e.pending, 0) as e_pending, coalesce(e.debt, 0) as e_debt,
      coalesce(l.available, 0) as l_available, coalesce(l.pending, 0) as l_pending
    from (select * from member_balances where merchant_id = ${merchantId}) b
    full join e on e.member_id = b.member_id
    full join l on l.member_id = coalesce(b.member_id, e.member_id)`.execute(trx);
  for (const r of balances.rows) {
    const check = (what: string, cached: string, derived: string) => {
      if (Number(cached) !== Number(derived)) mismatches.push({ memberId: r.member_id, what, cached: Number(cached), derived: Number(derived) });
    };
    check("available (entries)", r.available, r.e_available);
    check("pending (entries)", r.pending, r.e_pending);
    check("clawback debt (entries)", r.debt, r.e_debt);
    check("available (lots)", r.available, r.l_available);
    check("pending (lots)", r.pending, r.l_pending);
  }

  const lots = await sql<{ member_id: string; id: string; field: string; cached: string; derived: string }>`
    with a as (
      select lot_id,
        coalesce(sum(points) filter (where kind = 'consume'), 0)
          - coalesce(sum(points) filter (where kind = 'reverse_consumed'), 0)
          + coalesce(sum(points) filter (where kind = 'restore_consumed'), 0) as consumed,
        coalesce(sum(points) filter (where kind = 'expire'), 0) - coalesce(sum(points) filter (where kind = 'reverse_expired'), 0) as expired,
        coalesce(sum(points) filter (where kind in ('reverse_remaining','reverse_expired','reverse_consumed')), 0)
          - coalesce(sum(points) filter (where kind in ('restore_remaining','restore_consumed')), 0) as reversed
      from lot_allocations where merchant_id = ${merchantId} group by lot_id
    ), lot_entries as (
      select lot_id, sum(amount) as live from ledger_entries
      where merchant_id = ${merchantId} and lot_id is not null group by lot_id
    )
    select l.member_id, l.id, f.field, f.cached, f.derived
    from point_lots l
    left join a on a.lot_id = l.id
    left join lot_entries le on le.lot_id = l.id
    cross join lateral (values
      ('consumed', l.consumed, coalesce(a.consumed, 0)),
      ('expired', l.expired, coalesce(a.expired, 0)),
      ('reversed', l.reversed, coalesce(a.reversed, 0)),
      ('remaining', l.remaining, coalesce(le.live, 0))
    ) as f(field, cached, derived)
    where l.merchant_id = ${merchantId} and f.cached <> f.derived`.execute(trx);
  for (const r of lots.rows) mismatches.push({ memberId: r.member_id, what: `lot ${r.id} ${r.field}`, cached: Number(r.cached), derived: Number(r.derived) });

  const unbalanced = await sql<{ journal_id: string; member_id: string; total: string }>`
    select e.journal_id, j.member_id, sum(e.amount) as total from ledger_entries e
    join ledger_journals j on j.merchant_id = e.merchant_id and j.id = e.journal_id
    where e.merchant_id = ${merchantId} group by e.journal_id, j.member_id having sum(e.amount) <> 0`.execute(trx);
  for (const r of unbalanced.rows) mismatches.push({ memberId: r.member_id, what: `journal ${r.journal_id} sum`, cached: Number(r.total), derived: 0 });

  const counts = await trx
    .selectFrom("ledger_journals")
    .select([sql<string>`count(*)`.as("journals"), sql<string>`count(distinct member_id)`.as("members")])
    .where("merchant_id", "=", merchantId)
    .executeTakeFirstOrThrow();
  return { members: Number(counts.members), journals: Number(counts.journals), mismatches };
}
