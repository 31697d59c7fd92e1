import { sql, type RawBuilder } from "kysely";
import { now } from "~/lib/clock.server";
import { writeBehind, type Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { newId, newIds } from "~/lib/ids";
import { checkedPosting, isMemberAccount, memberChange, type Posting } from "./postings";
import type { JournalKind } from "~db/schema";

/**
 * The one place the ledger's rows are written: journals with their entries, new lots, lot changes, allocations and
 * the members' cached balances, for one posting (postJournal, the hot path) or many at once (historical orders), in
 * ONE statement of data-modifying CTEs per chunk. Callers hold the balance lock of every member they post for and
 * have checked idempotency (a key already used fails on the unique (merchant, key) index, as one by one).
 */

export interface JournalInput {
  kind: JournalKind;
  source: string;
  memberId: string;
  idempotencyKey: string;
  description: string;
  orderId?: string | null;
  reversesJournalId?: string | null;
  reason?: string | null;
  note?: string | null;
  metadata?: Record<string, unknown>;
  actor: Actor;
  effectiveAt?: Date;
}

export interface PostedJournal {
  journalId: string;
  /** The member's net change in points (available + pending − new debt): the journal's `points`. */
  points: number;
}

/** Journals per statement: every column is one array parameter, so this only bounds a statement's size. */
const CHUNK = 5000;

/**
 * Writes each (journal, posting) pair as postJournal did one at a time: the same rows, the same checks
 * (`checkedPosting`: integer amounts that sum to zero; the database re-checks the sum at commit), and the member
 * totals added to the cached balances — summed per member, so a member with many journals is one row update.
 * Lot changes are summed per lot (a lot changed by several journals is one row update, `released_at`/`expired_at`
 * taking the last one given); a lot created in the same call cannot also be changed in it (the statement would
 * not see the new row), and the same idempotency key twice in one call is refused before anything is written.
 */
export async function postJournals(trx: Trx, merchantId: string, posts: readonly { journal: JournalInput; posting: Posting }[]): Promise<PostedJournal[]> {
  if (posts.length === 0) return [];
  const at = now();
  const ids = posts.length === 1 ? [newId("journal")] : newIds("journal", posts.length);
  const out: PostedJournal[] = [];
  const checked = posts.map((p) => checkedPosting(p.posting));
  if (posts.length > 1) assertDistinctKeys(posts);
  for (let i = 0; i < posts.length; i += CHUNK) {
    const rows: JournalRow[] = [];
    for (let k = i; k < Math.min(i + CHUNK, posts.length); k++) {
      const fx = checked[k]!;
      rows.push({ id: ids[k]!, journal: posts[k]!.journal, fx, change: memberChange(fx.entries) });
      out.push({ journalId: ids[k]!, points: rows[rows.length - 1]!.change.net });
    }
    const statement = sql`with ${sql.join(journalCtes(merchantId, rows, at), sql`, `)} select 1`;
    // One journal (every live posting) is sent with the transaction's next statement or its commit: its result is
    // not read. A bulk chunk goes at once (its arrays would be inlined as literals).
    if (posts.length === 1) await writeBehind(trx, statement.compile(trx));
    else await statement.execute(trx);
  }
  return out;
}

function assertDistinctKeys(posts: readonly { journal: JournalInput }[]) {
  const keys = new Set<string>();
  for (const p of posts) {
    if (keys.has(p.journal.idempotencyKey)) throw new Error(`idempotency key ${p.journal.idempotencyKey} twice in one posting`);
    keys.add(p.journal.idempotencyKey);
  }
}

interface JournalRow {
  id: string;
  journal: JournalInput;
  fx: Posting;
  change: ReturnType<typeof memberChange>;
}

/** One column of the rows a CTE writes: its name in the row source, its SQL type and a value per row. */
interface Column {
  name: string;
  type: "text" | "bigint" | "smallint" | "timestamptz" | "boolean";
  values: readonly unknown[];
}

/**
 * The rows a CTE writes: for many, one array parameter per column through `unnest` (`from` the row source, `ref` a
 * column of it); for one, no row source at all and each `ref` is the value itself — the one-journal hot path then is
 * the plain single-row statement it always was (no join to plan, no arrays to parse).
 */
class Rows {
  private readonly byName: Map<string, Column>;
  private readonly one: boolean;

  constructor(
    private readonly alias: string,
    private readonly columns: readonly Column[],
  ) {
    this.byName = new Map(columns.map((c) => [c.name, c]));
    this.one = columns[0]!.values.length === 1;
  }

  from(): RawBuilder<unknown> {
    if (this.one) return sql``;
    const names = sql.raw(this.columns.map((c) => c.name).join(", "));
    return sql`from unnest(${sql.join(this.columns.map((c) => sql`${c.values}::${sql.raw(c.type)}[]`))}) as ${sql.raw(this.alias)}(${names})`;
  }

  /** A column: the parameter itself for one row (typed by where it goes), else the row source's column. */
  ref(name: string): RawBuilder<unknown> {
    const c = this.byName.get(name)!;
    return this.one ? sql`${c.values[0]}` : sql.raw(`${this.alias}.${name}`);
  }

  /** What an INSERT writes: `values (…)` for one row, `select … from unnest(…)` for many. */
  select(list: readonly RawBuilder<unknown>[]): RawBuilder<unknown> {
    return this.one ? sql`values (${sql.join(list)})` : sql`select ${sql.join(list)} ${this.from()}`;
  }
}

/** The CTEs that write a chunk: only the parts the postings need, so a plain earning stays a short statement. */
function journalCtes(merchantId: string, rows: readonly JournalRow[], at: Date): RawBuilder<unknown>[] {
  const col = (name: string, type: Column["type"], f: (r: JournalRow) => unknown): Column => ({ name, type, values: rows.map(f) });
  const j = new Rows("u", [
    col("id", "text", (r) => r.id),
    col("kind", "text", (r) => r.journal.kind),
    col("source", "text", (r) => r.journal.source),
    col("member_id", "text", (r) => r.journal.memberId),
    col("key", "text", (r) => r.journal.idempotencyKey),
    col("order_id", "text", (r) => r.journal.orderId ?? null),
    col("reverses", "text", (r) => r.journal.reversesJournalId ?? null),
    col("description", "text", (r) => r.journal.description.slice(0, 500)),
    col("points", "bigint", (r) => r.change.net),
    col("reason", "text", (r) => r.journal.reason ?? null),
    col("note", "text", (r) => r.journal.note ?? null),
    col("metadata", "text", (r) => JSON.stringify(r.journal.metadata ?? {})),
    col("actor_type", "text", (r) => r.journal.actor.type),
    col("actor_id", "text", (r) => r.journal.actor.id),
    col("effective_at", "timestamptz", (r) => r.journal.effectiveAt ?? at),
  ]);
  const parts: RawBuilder<unknown>[] = [
    sql`j as (insert into ledger_journals (merchant_id, id, kind, source, member_id, idempotency_key, order_id, reverses_journal_id,
        description, points, reason, note, metadata, actor_type, actor_id, effective_at, created_at)
      ${j.select([sql`${merchantId}`, ...["id", "kind", "source", "member_id", "key", "order_id", "reverses", "description", "points", "reason", "note"].map((c) => j.ref(c)), sql`${j.ref("metadata")}::jsonb`, j.ref("actor_type"), j.ref("actor_id"), j.ref("effective_at"), sql`${at}`])})`,
  ];

  const entries = rows.flatMap((r) =>
    r.fx.entries.map((e, seq) => ({ journalId: r.id, seq, account: e.account, memberId: isMemberAccount(e.account) ? r.journal.memberId : null, lotId: e.lotId ?? null, amount: e.amount })),
  );
  if (entries.length > 0) {
    // Always through unnest: a posting has two or more entries.
    parts.push(sql`e as (insert into ledger_entries (merchant_id, journal_id, seq, account, member_id, lot_id, amount, created_at)
      select ${merchantId}, u.journal_id, u.seq, u.account, u.member_id, u.lot_id, u.amount, ${at}
      from unnest(${entries.map((e) => e.journalId)}::text[], ${entries.map((e) => e.seq)}::smallint[], ${entries.map((e) => e.account)}::text[],
        ${entries.map((e) => e.memberId)}::text[], ${entries.map((e) => e.lotId)}::text[], ${entries.map((e) => e.amount)}::bigint[])
        as u(journal_id, seq, account, member_id, lot_id, amount))`);
  }

  const newLots = rows.flatMap((r) => (r.fx.newLot ? [{ ...r.fx.newLot, journalId: r.id, memberId: r.journal.memberId }] : []));
  if (newLots.length > 0) {
    const l = new Rows("u", [
      { name: "id", type: "text", values: newLots.map((x) => x.id) },
      { name: "member_id", type: "text", values: newLots.map((x) => x.memberId) },
      { name: "journal_id", type: "text", values: newLots.map((x) => x.journalId) },
      { name: "source", type: "text", values: newLots.map((x) => x.source) },
      { name: "order_id", type: "text", values: newLots.map((x) => x.orderId) },
      { name: "points", type: "bigint", values: newLots.map((x) => x.points) },
      { name: "remaining", type: "bigint", values: newLots.map((x) => x.remaining) },
      { name: "consumed", type: "bigint", values: newLots.map((x) => x.consumed) },
      { name: "earned_at", type: "timestamptz", values: newLots.map((x) => x.earnedAt) },
      { name: "pending_until", type: "timestamptz", values: newLots.map((x) => x.pendingUntil) },
      { name: "released_at", type: "timestamptz", values: newLots.map((x) => x.releasedAt) },
      { name: "expires_at", type: "timestamptz", values: newLots.map((x) => x.expiresAt) },
    ]);
    parts.push(sql`l as (insert into point_lots (merchant_id, id, member_id, journal_id, source, order_id, points, remaining, consumed,
        earned_at, pending_until, released_at, expires_at, created_at)
      ${l.select([sql`${merchantId}`, ...["id", "member_id", "journal_id", "source", "order_id", "points", "remaining", "consumed", "earned_at", "pending_until", "released_at", "expires_at"].map((c) => l.ref(c)), sql`${at}`])})`);
  }

  const deltas = lotDeltas(rows, new Set(newLots.map((x) => x.id)));
  if (deltas.length > 0) {
    // Always through unnest: a posting that changes lots usually changes several (FIFO spends, expiries).
    const n = (k: "remaining" | "consumed" | "expired" | "reversed") => deltas.map((d) => d[k]);
    parts.push(sql`d as (update point_lots pl set
        remaining = pl.remaining + v.remaining, consumed = pl.consumed + v.consumed,
        expired = pl.expired + v.expired, reversed = pl.reversed + v.reversed,
        released_at = coalesce(v.released_at, pl.released_at), expired_at = coalesce(v.expired_at, pl.expired_at)
      from unnest(${deltas.map((d) => d.lotId)}::text[], ${n("remaining")}::bigint[], ${n("consumed")}::bigint[],
        ${n("expired")}::bigint[], ${n("reversed")}::bigint[], ${deltas.map((d) => d.releasedAt)}::timestamptz[],
        ${deltas.map((d) => d.expiredAt)}::timestamptz[])
        as v(id, remaining, consumed, expired, reversed, released_at, expired_at)
      where pl.merchant_id = ${merchantId} and pl.id = v.id)`);
  }

  const allocations = rows.flatMap((r) => r.fx.allocations.map((a) => ({ ...a, journalId: r.id })));
  if (allocations.length > 0) {
    parts.push(sql`a as (insert into lot_allocations (merchant_id, journal_id, lot_id, kind, points, created_at)
      select ${merchantId}, u.journal_id, u.lot_id, u.kind, u.points, ${at}
      from unnest(${allocations.map((a) => a.journalId)}::text[], ${allocations.map((a) => a.lotId)}::text[],
        ${allocations.map((a) => a.kind)}::text[], ${allocations.map((a) => a.points)}::bigint[])
        as u(journal_id, lot_id, kind, points))`);
  }

  // The cached balances: one row update per member (an UPDATE … FROM applies only one source row per target row).
  const deltasByMember = balanceDeltas(rows);
  const b = new Rows("v", [
    { name: "member_id", type: "text", values: deltasByMember.map((x) => x.memberId) },
    { name: "available", type: "bigint", values: deltasByMember.map((x) => x.available) },
    { name: "pending", type: "bigint", values: deltasByMember.map((x) => x.pending) },
    { name: "clawback", type: "bigint", values: deltasByMember.map((x) => x.clawback) },
    { name: "earned", type: "bigint", values: deltasByMember.map((x) => x.earned) },
    { name: "redeemed", type: "bigint", values: deltasByMember.map((x) => x.redeemed) },
    { name: "activity_at", type: "timestamptz", values: deltasByMember.map((x) => (x.activity ? at : null)) },
  ]);
  parts.push(sql`b as (update member_balances mb set
      available = mb.available + ${b.ref("available")}, pending = mb.pending + ${b.ref("pending")},
      clawback_debt = mb.clawback_debt - ${b.ref("clawback")}, lifetime_earned = mb.lifetime_earned + ${b.ref("earned")},
      lifetime_redeemed = mb.lifetime_redeemed + ${b.ref("redeemed")},
      last_activity_at = coalesce(${b.ref("activity_at")}, mb.last_activity_at), updated_at = ${at}
    ${b.from()}
    where mb.merchant_id = ${merchantId} and mb.member_id = ${b.ref("member_id")})`);
  return parts;
}

interface LotDelta {
  lotId: string;
  remaining: number;
  consumed: number;
  expired: number;
  reversed: number;
  releasedAt: Date | null;
  expiredAt: Date | null;
}

function lotDeltas(rows: readonly JournalRow[], created: ReadonlySet<string>): LotDelta[] {
  const byLot = new Map<string, LotDelta>();
  for (const r of rows) {
    for (const c of r.fx.lotChanges) {
      if (created.has(c.lotId)) throw new Error(`lot ${c.lotId} is created and changed in one posting`);
      const d = byLot.get(c.lotId) ?? { lotId: c.lotId, remaining: 0, consumed: 0, expired: 0, reversed: 0, releasedAt: null, expiredAt: null };
      d.remaining += c.remaining ?? 0;
      d.consumed += c.consumed ?? 0;
      d.expired += c.expired ?? 0;
      d.reversed += c.reversed ?? 0;
      d.releasedAt = c.releasedAt ?? d.releasedAt;
      d.expiredAt = c.expiredAt ?? d.expiredAt;
      byLot.set(c.lotId, d);
    }
  }
  return [...byLot.values()];
}

function balanceDeltas(rows: readonly JournalRow[]) {
  const byMember = new Map<string, { memberId: string; available: number; pending: number; clawback: number; earned: number; redeemed: number; activity: boolean }>();
  for (const r of rows) {
    const m = r.journal.memberId;
    const b = byMember.get(m) ?? { memberId: m, available: 0, pending: 0, clawback: 0, earned: 0, redeemed: 0, activity: false };
    b.available += r.change.available;
    b.pending += r.change.pending;
    b.clawback += r.change.clawback;
    b.earned += r.fx.earned ?? 0;
    b.redeemed += r.fx.redeemed ?? 0;
    b.activity ||= r.fx.activity === true;
    byMember.set(m, b);
  }
  return [...byMember.values()];
}
