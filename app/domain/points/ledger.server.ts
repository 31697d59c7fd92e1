import { createHash } from "node:crypto";
import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import { withBegin, type Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { DomainError } from "~/lib/errors";
import { newId, newIds } from "~/lib/ids";
import { postJournals, type JournalInput } from "./journals.server";
import {
  earnPosting,
  expiryPosting,
  forgivePosting,
  inactiveSince,
  insufficientPoints,
  orderReversalPosting,
  releasePosting,
  reversalPosting,
  reversalTarget,
  spendPosting,
  type LotState,
  type Posting,
} from "./postings";
import { lotExpiresAt } from "./rules";
import { getEarningRules } from "./rules.server";
import type { JournalKind, MemberBalance, PointLot } from "~db/schema";

/**
 * The points ledger's write path. The posting rules themselves (FIFO, debt settlement, the reversal split …) are
 * pure functions in ./postings; every function here runs inside the caller's tenant transaction and:
 *  1. locks the member's balance row first (one row lock per member serialises every change to that member's
 *     points, lots and cached balance — reliability.md measured that read-then-write without it overdraws);
 *  2. returns the earlier result when the journal's idempotency key already exists (unique (merchant, key));
 *  3. reads the lots the rule needs, calls the posting rule, and writes the one balanced journal it returns (the
 *     database re-checks the zero sum at commit), its lot changes and allocations, and the cached balance.
 * Entries, journals and allocations are append-only (the app role has no UPDATE/DELETE and triggers refuse it);
 * lots and member_balances are caches of them that `reconcileLedger` re-derives.
 */

export { insufficientPoints };
export type { JournalInput };

export interface JournalResult {
  journalId: string;
  /** The member's net change in points (available + pending − new debt). */
  points: number;
  replayed: boolean;
}

// ---- locking and idempotency ---------------------------------------------------------------------------

/**
 * Locks (creating if needed) the member's balance row and returns it. `on conflict do update` takes the row lock in
 * the same statement that creates the row, so concurrent first writes for a new member serialise too.
 */
export async function lockBalance(trx: Trx, merchantId: string, memberId: string): Promise<MemberBalance> {
  // One round trip either way. Usually the row exists: `s` locks it and `i` inserts nothing (an upsert alone would
  // write a new row version every time). First points for this member: `i` creates the row, or — if a concurrent
  // first write won the race — `on conflict do update` waits for it and locks that row; either way we hold the lock.
  // An unknown member (a foreign key violation: ids of other merchants included) is a clean 404, not a 500.
  try {
    // Usually a transaction's first statement: sent in the round trip of its `begin` (withBegin).
    const { rows } = await trx.executeQuery(withBegin(sql<MemberBalance>`
      with s as (
        select * from "member_balances" where merchant_id = ${merchantId} and member_id = ${memberId} for update
      ), i as (
        insert into member_balances (merchant_id, member_id, updated_at)
        select ${merchantId}, ${memberId}, ${now()} where not exists (select 1 from s)
        on conflict (merchant_id, member_id) do update set updated_at = member_balances.updated_at
        returning *
      )
      select * from s union all select * from i`.compile(trx)));
    return rows[0]!;
  } catch (err) {
    if ((err as { code?: string }).code === "23503") throw new DomainError("not_found", "Member not found", { field: "member" });
    throw err;
  }
}

export async function findJournalByKey(trx: Trx, merchantId: string, key: string) {
  return trx
    .selectFrom("ledger_journals")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("idempotency_key", "=", key)
    .executeTakeFirst();
}

/** The earlier journal for this key, checked to be the same request; null when the key is new. */
async function replay(trx: Trx, merchantId: string, key: string, expect: { memberId: string; kind?: JournalKind; points?: number }): Promise<JournalResult | null> {
  const prior = await findJournalByKey(trx, merchantId, key);
  if (!prior) return null;
  assertSameRequest(prior, expect);
  return { journalId: prior.id, points: prior.points, replayed: true };
}

/** A key used before must name the same member (and kind and points, where given), or the request is refused. */
function assertSameRequest(prior: { member_id: string; kind?: JournalKind; points: number }, expect: { memberId: string; kind?: JournalKind; points?: number }): void {
  if (prior.member_id !== expect.memberId || (expect.kind && prior.kind !== expect.kind) || (expect.points !== undefined && prior.points !== expect.points)) {
    throw new DomainError("idempotency_conflict", "This idempotency key was already used for a different ledger operation", {
      field: "Idempotency-Key",
    });
  }
}

// ---- posting ---------------------------------------------------------------------------------------------

/**
 * Writes one journal with a posting's entries, lot changes and allocations, and the member-account totals on the
 * (locked) cached balance — as ONE statement of data-modifying CTEs, so a posting is a single round trip. It is
 * postJournals' one-element call: the ledger's rows are written by one builder, for one journal or many.
 */
async function postJournal(trx: Trx, merchantId: string, j: JournalInput, raw: Posting) {
  return (await postJournals(trx, merchantId, [{ journal: j, posting: raw }]))[0]!;
}

// ---- earning ------------------------------------------------------------------------------------------------

export interface EarnInput {
  memberId: string;
  points: number;
  source: string;
  idempotencyKey: string;
  description: string;
  orderId?: string | null;
  earnedAt?: Date;
  pendingUntil?: Date | null;
  expiresAt?: Date | null;
  metadata?: Record<string, unknown>;
  kind?: "earn" | "adjust";
  reason?: string | null;
  note?: string | null;
  actor: Actor;
}

export interface EarnResult extends JournalResult {
  lotId: string | null;
  /** The lot this earning created, as written (null on a replay): what an API answer reports without reading it back. */
  lot: { points: number; pendingUntil: Date | null; releasedAt: Date | null } | null;
}

/**
 * Credits points as a new lot. An outstanding clawback debt is settled first from the new points (the lot
 * records that part as consumed). The lot is pending until `pendingUntil` (when in the future), else available.
 */
export async function earnPoints(trx: Trx, merchantId: string, input: EarnInput): Promise<EarnResult> {
  assertPositivePoints(input.points);
  const balance = await lockBalance(trx, merchantId, input.memberId);
  const prior = await replay(trx, merchantId, input.idempotencyKey, { memberId: input.memberId, points: input.points });
  if (prior) {
    const lot = await trx.selectFrom("point_lots").select("id").where("merchant_id", "=", merchantId).where("journal_id", "=", prior.journalId).executeTakeFirst();
    return { ...prior, lotId: lot?.id ?? null, lot: null };
  }
  return earnLocked(trx, merchantId, balance, input);
}

/** earnPoints for a caller that already holds the member's balance lock and checked idempotency. */
export async function earnLocked(trx: Trx, merchantId: string, balance: MemberBalance, input: EarnInput): Promise<EarnResult> {
  return (await earnManyLocked(trx, merchantId, new Map([[input.memberId, balance.clawback_debt]]), [input]))[0]!;
}

/**
 * earnLocked for many earnings at once (historical orders: one statement per few thousand). The caller holds the
 * balance lock of every member, checked idempotency and passes each member's clawback debt; a member's earnings
 * settle it in the order given, as the same calls of earnLocked one after another would.
 */
export async function earnManyLocked(trx: Trx, merchantId: string, debts: ReadonlyMap<string, number>, inputs: readonly EarnInput[]): Promise<EarnResult[]> {
  const at = now();
  const lotIds = inputs.length === 1 ? [newId("lot")] : newIds("lot", inputs.length);
  const debt = new Map(debts);
  const earnings = inputs.map((input, i) => {
    const owed = debt.get(input.memberId);
    if (owed === undefined) throw new Error(`earnManyLocked: no clawback debt given for member ${input.memberId}`);
    const posting = earnPosting({
      lotId: lotIds[i]!,
      points: input.points,
      debt: owed,
      at,
      source: input.source,
      orderId: input.orderId,
      earnedAt: input.earnedAt,
      pendingUntil: input.pendingUntil,
      expiresAt: input.expiresAt,
    });
    const settle = posting.settledDebt;
    if (settle > 0) debt.set(input.memberId, owed - settle);
    const journal: JournalInput = {
      kind: input.kind ?? "earn",
      source: input.source,
      memberId: input.memberId,
      idempotencyKey: input.idempotencyKey,
      description: input.description,
      orderId: input.orderId,
      reason: input.reason,
      note: input.note,
      metadata: settle > 0 ? { ...input.metadata, settledDebt: settle } : (input.metadata ?? {}),
      actor: input.actor,
      effectiveAt: input.earnedAt,
    };
    return { journal, posting };
  });
  const posted = await postJournals(trx, merchantId, earnings);
  return earnings.map(({ posting }, i) => {
    const lot = posting.newLot ? { points: posting.newLot.points, pendingUntil: posting.newLot.pendingUntil, releasedAt: posting.newLot.releasedAt } : null;
    return { ...posted[i]!, lotId: lotIds[i]!, lot, replayed: false };
  });
}

/**
 * earnPoints for many earnings at once (the demo seed's referral payouts): the same ledger as calling earnPoints on
 * each in the order given — the members' balances locked (created where missing) in one statement, a key used
 * before replayed as earnPoints replays it (the same checks), the new ones posted by earnManyLocked. The same new key
 * twice in one call is refused (postJournals) where one by one the second would replay the first.
 */
export async function earnPointsMany(trx: Trx, merchantId: string, inputs: readonly EarnInput[]): Promise<EarnResult[]> {
  if (inputs.length === 0) return [];
  for (const input of inputs) assertPositivePoints(input.points);
  const debts = await lockBalances(trx, merchantId, [...new Set(inputs.map((i) => i.memberId))].sort());
  const keys = inputs.map((i) => i.idempotencyKey);
  const priors = await trx
    .selectFrom("ledger_journals as j")
    .leftJoin("point_lots as l", (join) => join.onRef("l.merchant_id", "=", "j.merchant_id").onRef("l.journal_id", "=", "j.id"))
    .select(["j.id", "j.idempotency_key", "j.member_id", "j.points", "l.id as lot_id"])
    .where("j.merchant_id", "=", merchantId)
    .where(sql<boolean>`j.idempotency_key = any(${keys}::text[])`)
    .execute();
  const prior = new Map(priors.map((p) => [p.idempotency_key, p]));
  const fresh: EarnInput[] = [];
  for (const input of inputs) {
    const p = prior.get(input.idempotencyKey);
    if (!p) fresh.push(input);
    else assertSameRequest(p, { memberId: input.memberId, points: input.points });
  }
  const earned = await earnManyLocked(trx, merchantId, debts, fresh);
  let k = 0;
  return inputs.map((input) => {
    const p = prior.get(input.idempotencyKey);
    return p ? { journalId: p.id, points: p.points, replayed: true, lotId: p.lot_id, lot: null } : earned[k++]!;
  });
}

/**
 * lockBalance for many members (pass them sorted: concurrent batches then lock in one order): their balance rows
 * locked, created where missing; returns each one's clawback debt.
 */
export async function lockBalances(trx: Trx, merchantId: string, memberIds: readonly string[]): Promise<Map<string, number>> {
  const locked = await trx
    .selectFrom("member_balances")
    .select(["member_id", "clawback_debt"])
    .where("merchant_id", "=", merchantId)
    .where(sql<boolean>`member_id = any(${memberIds}::text[])`)
    .orderBy("member_id")
    .forUpdate()
    .execute();
  const debts = new Map(locked.map((r) => [r.member_id, r.clawback_debt]));
  const missing = memberIds.filter((m) => !debts.has(m));
  if (missing.length === 0) return debts;
  // A concurrent first write may win a row: `on conflict do update` then waits for it and locks it, as lockBalance.
  try {
    const created = await sql<{ member_id: string; clawback_debt: string }>`insert into member_balances (merchant_id, member_id, updated_at)
      select ${merchantId}, u.member_id, ${now()} from unnest(${missing}::text[]) as u(member_id) order by u.member_id
      on conflict (merchant_id, member_id) do update set updated_at = member_balances.updated_at
      returning member_id, clawback_debt`.execute(trx);
    for (const r of created.rows) debts.set(r.member_id, Number(r.clawback_debt));
  } catch (err) {
    if ((err as { code?: string }).code === "23503") throw new DomainError("not_found", "Member not found", { field: "member" });
    throw err;
  }
  return debts;
}

// ---- spending -------------------------------------------------------------------------------------------------

export interface SpendInput {
  memberId: string;
  points: number;
  idempotencyKey: string;
  description: string;
  /** "spend" (rewards, checkout, API) or "adjustment" (a manual negative adjustment). */
  source?: "spend" | "adjustment";
  reason?: string | null;
  note?: string | null;
  metadata?: Record<string, unknown>;
  actor: Actor;
}

export interface SpendResult extends JournalResult {
  balance: { available: number; pending: number };
}

/**
 * The one debit path (rewards, checkout discounts, API spends, negative adjustments): takes points from the
 * member's available lots, oldest first, recording each lot's share. 409 `insufficient_points` when the
 * available balance is short — checked under the balance lock, so parallel spends can never overdraw.
 */
export async function spendPoints(trx: Trx, merchantId: string, input: SpendInput): Promise<SpendResult> {
  assertPositivePoints(input.points);
  const balance = await lockBalance(trx, merchantId, input.memberId);
  const kind: JournalKind = input.source === "adjustment" ? "adjust" : "spend";
  const prior = await replay(trx, merchantId, input.idempotencyKey, { memberId: input.memberId, kind, points: -input.points });
  if (prior) return { ...prior, balance: { available: balance.available, pending: balance.pending } };
  // Refused before reading the lots: most refusals (parallel spends racing for one balance) stop here.
  if (balance.available < input.points) throw insufficientPoints(balance.available, input.points);

  const lots = await trx
    .selectFrom("point_lots")
    .select(["id", "remaining", "released_at"])
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", input.memberId)
    .where("remaining", ">", 0)
    .where("released_at", "is not", null)
    .orderBy("earned_at")
    .orderBy("id")
    .execute();
  const posting = spendPosting({
    points: input.points,
    available: balance.available,
    lots: lots.map((l) => ({ id: l.id, remaining: l.remaining, releasedAt: l.released_at })),
    kind,
  });
  const posted = await postJournal(
    trx,
    merchantId,
    {
      kind,
      source: input.source ?? "spend",
      memberId: input.memberId,
      idempotencyKey: input.idempotencyKey,
      description: input.description,
      reason: input.reason,
      note: input.note,
      metadata: input.metadata,
      actor: input.actor,
    },
    posting,
  );
  return {
    ...posted,
    replayed: false,
    balance: { available: balance.available - input.points, pending: balance.pending },
  };
}

// ---- adjustments and clawback ---------------------------------------------------------------------------------

export interface AdjustInput {
  memberId: string;
  /** Signed, non-zero. */
  points: number;
  reason: string;
  note?: string | null;
  idempotencyKey: string;
  expiresAt?: Date | null;
  actor: Actor;
}

/**
 * A manual correction by staff or the API, with actor, reason and note on the journal and in the audit log.
 * Positive: a new available lot. Negative: through the spend path (never below zero; 409 otherwise).
 */
export async function adjustPoints(trx: Trx, merchantId: string, input: AdjustInput): Promise<JournalResult> {
  if (!Number.isSafeInteger(input.points) || input.points === 0) {
    throw new DomainError("validation_failed", "Points must be a non-zero whole number", { field: "points" });
  }
  const description = `Adjustment: ${input.reason}`;
  let result: JournalResult;
  if (input.points > 0) {
    result = await earnPoints(trx, merchantId, {
      memberId: input.memberId,
      points: input.points,
      source: "adjustment",
      kind: "adjust",
      idempotencyKey: input.idempotencyKey,
      description,
      reason: input.reason,
      note: input.note,
      // Unless the caller decides, credited points follow the merchant's expiry policy like earned ones.
      expiresAt: input.expiresAt !== undefined ? input.expiresAt : lotExpiresAt(await getEarningRules(trx, merchantId), now()),
      actor: input.actor,
    });
  } else {
    result = await spendPoints(trx, merchantId, {
      memberId: input.memberId,
      points: -input.points,
      source: "adjustment",
      idempotencyKey: input.idempotencyKey,
      description,
      reason: input.reason,
      note: input.note,
      actor: input.actor,
    });
  }
  if (!result.replayed) {
    await recordAudit(trx, merchantId, input.actor, "points.adjusted", { type: "member", id: input.memberId }, {
      after: { points: input.points, reason: input.reason, note: input.note ?? null, journalId: result.journalId },
    });
  }
  return result;
}

/** Writes off a member's clawback debt (the merchant's decision, audited). 409 `no_clawback_debt` when there is none. */
export async function forgiveClawback(
  trx: Trx,
  merchantId: string,
  input: { memberId: string; idempotencyKey: string; note?: string | null; actor: Actor },
): Promise<JournalResult> {
  const balance = await lockBalance(trx, merchantId, input.memberId);
  const prior = await replay(trx, merchantId, input.idempotencyKey, { memberId: input.memberId, kind: "forgive" });
  if (prior) return prior;
  const debt = balance.clawback_debt;
  const posting = forgivePosting({ debt });
  const posted = await postJournal(
    trx,
    merchantId,
    {
      kind: "forgive",
      source: "forgive",
      memberId: input.memberId,
      idempotencyKey: input.idempotencyKey,
      description: "Points owed after a refund were forgiven",
      note: input.note,
      actor: input.actor,
    },
    posting,
  );
  await recordAudit(trx, merchantId, input.actor, "points.clawback_forgiven", { type: "member", id: input.memberId }, {
    before: { clawbackDebt: debt },
    after: { clawbackDebt: 0, journalId: posted.journalId, note: input.note ?? null },
  });
  return { ...posted, replayed: false };
}

// ---- reversals and restores (refunds, disputes) ------------------------------------------------------------

const lotState = (lot: PointLot): LotState => ({
  id: lot.id,
  points: lot.points,
  remaining: lot.remaining,
  consumed: lot.consumed,
  expired: lot.expired,
  reversed: lot.reversed,
  releasedAt: lot.released_at,
});

/**
 * Moves an order's earn lot to the reversal its current state calls for (`reversalTarget`: the refunded share, or
 * everything while a dispute's funds are withdrawn) by posting the difference — a reversal (`reversalPosting`:
 * unspent, then expired, then debt) or a restore (`restorePosting`: debt paid first). Replays are no-ops.
 * Caller holds the member's balance lock.
 */
export async function syncOrderReversal(
  trx: Trx,
  merchantId: string,
  order: { id: string; member_id: string; external_order_id: string; amount_minor: number; refunded_minor: number; dispute_status: string },
  causeKey: string,
  source: "refund" | "dispute",
  actor: Actor,
): Promise<{ pointsReversed: number; pointsRestored: number; journalId: string | null }> {
  const lot = await trx
    .selectFrom("point_lots")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("order_id", "=", order.id)
    .where("source", "=", "order")
    .executeTakeFirst();
  const none = { pointsReversed: 0, pointsRestored: 0, journalId: null };
  if (!lot) return none;

  const target = reversalTarget({
    lotPoints: lot.points,
    amountMinor: order.amount_minor,
    refundedMinor: order.refunded_minor,
    disputeStatus: order.dispute_status,
  });
  // Already there: no journal, and no need to look up the key or the balance.
  if (target === lot.reversed) return none;
  const key = `${causeKey}:${order.id}`;
  const prior = await findJournalByKey(trx, merchantId, key);
  if (prior) return { pointsReversed: Math.max(0, -prior.points), pointsRestored: Math.max(0, prior.points), journalId: prior.id };

  const balance = await trx
    .selectFrom("member_balances")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", order.member_id)
    .executeTakeFirstOrThrow();
  const move = orderReversalPosting({ lot: lotState(lot), target, debt: balance.clawback_debt });
  if (!move) return none;
  const label = `order #${order.external_order_id}`;
  const journal = {
    source,
    memberId: order.member_id,
    idempotencyKey: key,
    orderId: order.id,
    reversesJournalId: lot.journal_id,
    actor,
  };

  if (move.kind === "reverse") {
    const p = move.posting;
    const posted = await postJournal(
      trx,
      merchantId,
      {
        ...journal,
        kind: "reverse",
        description: source === "dispute" ? `Payment for ${label} disputed` : `${cap(label)} refunded`,
        metadata: {
          target,
          fromUnspent: p.fromUnspent,
          fromExpired: p.fromExpired,
          becameDebt: p.becameDebt,
          refundedMinor: order.refunded_minor,
          dispute: order.dispute_status,
        },
      },
      p,
    );
    return { pointsReversed: target - lot.reversed, pointsRestored: 0, journalId: posted.journalId };
  }

  const posted = await postJournal(
    trx,
    merchantId,
    { ...journal, kind: "restore", description: `Points for ${label} restored`, metadata: { target, settledDebt: move.posting.settledDebt } },
    move.posting,
  );
  return { pointsReversed: 0, pointsRestored: lot.reversed - target, journalId: posted.journalId };
}

/**
 * Reverses what is left of one earned lot whose cause was undone (a referral reward voided inside its hold
 * period) with the same split as an order refund (`reversalPosting`). Idempotent by key; null when nothing is left
 * to reverse. Locks the member's balance.
 */
export async function reverseLot(
  trx: Trx,
  merchantId: string,
  input: { lotId: string; idempotencyKey: string; description: string; source: string; actor: Actor },
): Promise<JournalResult | null> {
  const peek = await trx.selectFrom("point_lots").select("member_id").where("merchant_id", "=", merchantId).where("id", "=", input.lotId).executeTakeFirst();
  if (!peek) throw new DomainError("not_found", "Lot not found");
  await lockBalance(trx, merchantId, peek.member_id);
  const prior = await replay(trx, merchantId, input.idempotencyKey, { memberId: peek.member_id, kind: "reverse" });
  if (prior) return prior;
  const lot = await trx.selectFrom("point_lots").selectAll().where("merchant_id", "=", merchantId).where("id", "=", input.lotId).executeTakeFirstOrThrow();
  const left = lot.points - lot.reversed;
  if (left <= 0) return null;
  const posting = reversalPosting({ lot: lotState(lot), points: left });
  const posted = await postJournal(
    trx,
    merchantId,
    {
      kind: "reverse",
      source: input.source,
      memberId: lot.member_id,
      idempotencyKey: input.idempotencyKey,
      description: input.description,
      reversesJournalId: lot.journal_id,
      metadata: { fromUnspent: posting.fromUnspent, fromExpired: posting.fromExpired, becameDebt: posting.becameDebt },
      actor: input.actor,
    },
    posting,
  );
  return { ...posted, replayed: false };
}

// ---- releasing and expiring --------------------------------------------------------------------------------

/** Makes a member's pending lots whose return window has passed available. Idempotent: a released lot is skipped. */
export async function releaseDueLots(trx: Trx, merchantId: string, memberId: string, at: Date = now()): Promise<number> {
  await lockBalance(trx, merchantId, memberId);
  const due = await trx
    .selectFrom("point_lots")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .where("released_at", "is", null)
    .where("pending_until", "<=", at)
    .orderBy("earned_at")
    .execute();
  let released = 0;
  for (const lot of due) {
    const posting = releasePosting({ lot: { id: lot.id, remaining: lot.remaining }, at });
    if (posting.entries.length > 0) {
      await postJournal(
        trx,
        merchantId,
        {
          kind: "release",
          source: "release",
          memberId,
          idempotencyKey: `release:${lot.id}`,
          description: "Points became available",
          orderId: lot.order_id,
          reversesJournalId: null,
          metadata: { lotId: lot.id },
          actor: { type: "system", id: "ledger" },
        },
        posting,
      );
      released += posting.released;
    } else {
      // Nothing left to move (spent on debt or reversed): no journal, the lot only records its release.
      await trx.updateTable("point_lots").set({ released_at: at }).where("merchant_id", "=", merchantId).where("id", "=", lot.id).execute();
    }
  }
  return released;
}

/**
 * Expires what is due: lots past their `expires_at`, and — when `inactiveSince` is given (inactivity policy, the
 * member's last activity is older than the window) — every open lot. Idempotent: expired lots have nothing left.
 */
export async function expireDueLots(
  trx: Trx,
  merchantId: string,
  memberId: string,
  opts: { at?: Date; inactivityDeadline?: Date | null } = {},
): Promise<number> {
  const at = opts.at ?? now();
  const balance = await lockBalance(trx, merchantId, memberId);
  const inactive = inactiveSince(balance.last_activity_at, opts.inactivityDeadline);
  let q = trx
    .selectFrom("point_lots")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .where("remaining", ">", 0);
  if (!inactive) q = q.where("expires_at", "<=", at);
  const due: PointLot[] = await q.orderBy("earned_at").execute();
  const posting = expiryPosting({ lots: due.map(lotState), at });
  if (!posting) return 0;
  await postJournal(
    trx,
    merchantId,
    {
      kind: "expire",
      source: "expiry",
      memberId,
      // Keyed by the exact lots and their state, so a re-run finds nothing new and a later expiry gets a new key.
      idempotencyKey: `expire:${memberId}:${createHash("sha256").update(due.map((l) => `${l.id}/${l.expired}/${l.remaining}`).join(",")).digest("hex")}`,
      description: inactive ? "Points expired after a period without activity" : "Points expired",
      metadata: { lots: posting.lots, inactivity: inactive },
      actor: { type: "system", id: "ledger" },
    },
    posting,
  );
  return posting.total;
}

// ---- helpers -------------------------------------------------------------------------------------------------

function assertPositivePoints(points: number) {
  if (!Number.isSafeInteger(points) || points <= 0) {
    throw new DomainError("validation_failed", "Points must be a positive whole number", { field: "points" });
  }
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
