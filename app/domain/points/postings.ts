import { DomainError } from "~/lib/errors";
import type { AllocationKind, LedgerAccount } from "~db/schema";

/**
 * The ledger's posting rules as pure functions: given plain data (the member's lots, balance, debt, amounts,
 * timestamps) each returns the entries, lot changes and allocations one journal writes. ledger.server.ts only locks,
 * reads, replays, calls one of these and writes what it returns — so the rules are unit-tested without a database.
 * Points are integers; the entries of every posting sum to zero; zero amounts are dropped (nothing to record).
 */

export interface Entry {
  account: LedgerAccount;
  lotId?: string | null;
  amount: number;
}

/** Increments to a lot's cached breakdown (points = remaining + consumed + expired + reversed stays true). */
export interface LotChange {
  lotId: string;
  remaining?: number;
  consumed?: number;
  expired?: number;
  reversed?: number;
  releasedAt?: Date;
  expiredAt?: Date;
}

export interface Allocation {
  lotId: string;
  kind: AllocationKind;
  points: number;
}

export interface NewLot {
  id: string;
  source: string;
  orderId: string | null;
  points: number;
  remaining: number;
  consumed: number;
  earnedAt: Date;
  pendingUntil: Date | null;
  releasedAt: Date | null;
  expiresAt: Date | null;
}

export interface Posting {
  entries: Entry[];
  lotChanges: LotChange[];
  allocations: Allocation[];
  newLot?: NewLot;
  /** Added to the member's lifetime totals. */
  earned?: number;
  redeemed?: number;
  /** Counts as the member's activity (the inactivity-expiry clock restarts). */
  activity?: boolean;
}

/** A lot as the posting rules see it (a `point_lots` row's cached breakdown). */
export interface LotState {
  id: string;
  points: number;
  remaining: number;
  consumed: number;
  expired: number;
  reversed: number;
  /** null while the lot is pending (its points sit in member_pending). */
  releasedAt: Date | null;
}

export const insufficientPoints = (available: number, requested: number) =>
  new DomainError("insufficient_points", `The member has ${available} points available; ${requested} were requested`, { field: "points" });

/** Where a lot's live points are: pending until released, then available. */
export const liveAccount = (lot: { releasedAt: Date | null }): LedgerAccount => (lot.releasedAt ? "member_available" : "member_pending");

const MEMBER_ACCOUNTS: ReadonlySet<LedgerAccount> = new Set(["member_available", "member_pending", "member_clawback"]);
export const isMemberAccount = (account: LedgerAccount) => MEMBER_ACCOUNTS.has(account);

/**
 * What a journal's entries change on the member's cached balance. `clawback` is the member_clawback entries' sum
 * (negative when debt grows); `net` is the journal's `points`: available + pending − new debt.
 */
export function memberChange(entries: readonly Entry[]) {
  let available = 0;
  let pending = 0;
  let clawback = 0;
  for (const e of entries) {
    if (e.account === "member_available") available += e.amount;
    else if (e.account === "member_pending") pending += e.amount;
    else if (e.account === "member_clawback") clawback += e.amount;
  }
  return { available, pending, clawback, net: available + pending + clawback };
}

/** Drops zero entries and allocations and refuses what the database would refuse at commit anyway. */
export function checkedPosting<P extends Posting>(p: P): P {
  const entries = p.entries.filter((e) => e.amount !== 0);
  for (const e of entries) if (!Number.isSafeInteger(e.amount)) throw new Error(`non-integer ledger amount ${e.amount}`);
  const sum = entries.reduce((s, e) => s + e.amount, 0);
  if (sum !== 0) throw new Error(`unbalanced journal (${sum})`);
  const allocations = p.allocations.filter((a) => a.points !== 0);
  for (const a of allocations) if (!Number.isSafeInteger(a.points) || a.points < 0) throw new Error(`bad allocation ${a.points} on ${a.lotId}`);
  return { ...p, entries, allocations };
}

function positive(points: number, what: string) {
  if (!Number.isSafeInteger(points) || points <= 0) throw new RangeError(`${what} must be a positive whole number of points, got ${points}`);
}

// ---- earn ---------------------------------------------------------------------------------------------------

export interface EarnPostingInput {
  lotId: string;
  points: number;
  /** The member's clawback debt now: settled first from the new points. */
  debt: number;
  at: Date;
  source: string;
  orderId?: string | null;
  earnedAt?: Date;
  pendingUntil?: Date | null;
  expiresAt?: Date | null;
}

/**
 * Credits points as a new lot. Outstanding clawback debt is paid from them first (that part is recorded as consumed
 * from the lot); the rest is pending while `pendingUntil` is in the future, else available at once.
 */
export function earnPosting(input: EarnPostingInput): Posting & { settledDebt: number } {
  positive(input.points, "An earning");
  const settledDebt = Math.min(Math.max(input.debt, 0), input.points);
  const pending = input.pendingUntil != null && input.pendingUntil > input.at;
  const live = input.points - settledDebt;
  return {
    ...checkedPosting({
      entries: [
        { account: "merchant_issued", amount: -input.points },
        { account: "member_clawback", amount: settledDebt },
        { account: pending ? "member_pending" : "member_available", lotId: input.lotId, amount: live },
      ],
      lotChanges: [],
      allocations: [{ lotId: input.lotId, kind: "consume", points: settledDebt }],
      newLot: {
        id: input.lotId,
        source: input.source,
        orderId: input.orderId ?? null,
        points: input.points,
        remaining: live,
        consumed: settledDebt,
        earnedAt: input.earnedAt ?? input.at,
        // Stored as given (a past date too): it records when the return window closed.
        pendingUntil: input.pendingUntil ?? null,
        releasedAt: pending ? null : input.at,
        expiresAt: input.expiresAt ?? null,
      },
      earned: input.points,
      activity: true,
    }),
    settledDebt,
  };
}

// ---- spend --------------------------------------------------------------------------------------------------

export interface SpendPostingInput {
  points: number;
  /** The member's cached available balance. */
  available: number;
  /** The member's lots, oldest first (earned_at, id); pending and used-up lots are skipped. */
  lots: readonly Pick<LotState, "id" | "remaining" | "releasedAt">[];
  /** "spend" counts as redeemed; "adjust" (a negative manual adjustment) goes to merchant_adjusted. */
  kind: "spend" | "adjust";
}

/**
 * Takes points from the member's available lots first in, first out. 409 `insufficient_points` when the available
 * balance is short; an Error when the cached balance says enough but the lots do not (refuse rather than write a
 * wrong ledger — reconcile reports the mismatch).
 */
export function spendPosting(input: SpendPostingInput): Posting & { takes: { lotId: string; points: number }[] } {
  positive(input.points, "A spend");
  if (input.available < input.points) throw insufficientPoints(input.available, input.points);
  const takes: { lotId: string; points: number }[] = [];
  let left = input.points;
  for (const lot of input.lots) {
    if (left === 0) break;
    if (lot.remaining <= 0 || !lot.releasedAt) continue;
    const take = Math.min(lot.remaining, left);
    takes.push({ lotId: lot.id, points: take });
    left -= take;
  }
  if (left > 0) throw new Error(`ledger cache mismatch: lots short by ${left}`);
  return {
    ...checkedPosting({
      entries: [
        ...takes.map((t): Entry => ({ account: "member_available", lotId: t.lotId, amount: -t.points })),
        { account: input.kind === "adjust" ? "merchant_adjusted" : "merchant_redeemed", amount: input.points },
      ],
      lotChanges: takes.map((t) => ({ lotId: t.lotId, remaining: -t.points, consumed: t.points })),
      allocations: takes.map((t) => ({ lotId: t.lotId, kind: "consume" as const, points: t.points })),
      redeemed: input.kind === "spend" ? input.points : 0,
      activity: true,
    }),
    takes,
  };
}

// ---- reversal and restore (refunds, disputes, voided rewards) --------------------------------------------------

/**
 * Takes `points` back from one earned lot: its unspent points first, then its already-expired points (the member
 * had lost those anyway), and only then points already spent — those become clawback debt the member owes.
 * The one rule for order refunds and disputes and for voided lots alike.
 */
export function reversalPosting(input: { lot: LotState; points: number }): Posting & { fromUnspent: number; fromExpired: number; becameDebt: number } {
  const { lot, points } = input;
  positive(points, "A reversal");
  const fromUnspent = Math.min(points, Math.max(lot.remaining, 0));
  const fromExpired = Math.min(points - fromUnspent, Math.max(lot.expired, 0));
  const becameDebt = points - fromUnspent - fromExpired;
  // Never reverse more than the lot earned (reliability.md: reversals never exceed what was earned).
  if (becameDebt > lot.consumed) throw new Error(`reversal of ${points} exceeds what is left of lot ${lot.id}`);
  return {
    ...checkedPosting({
      entries: [
        { account: "merchant_issued", amount: points },
        { account: liveAccount(lot), lotId: lot.id, amount: -fromUnspent },
        { account: "merchant_expired", amount: -fromExpired },
        { account: "member_clawback", amount: -becameDebt },
      ],
      lotChanges: [{ lotId: lot.id, remaining: -fromUnspent, expired: -fromExpired, consumed: -becameDebt, reversed: points }],
      allocations: [
        { lotId: lot.id, kind: "reverse_remaining", points: fromUnspent },
        { lotId: lot.id, kind: "reverse_expired", points: fromExpired },
        { lotId: lot.id, kind: "reverse_consumed", points: becameDebt },
      ],
    }),
    fromUnspent,
    fromExpired,
    becameDebt,
  };
}

/**
 * Gives back `points` of a lot's earlier reversal (a dispute won, a refund lowered): the member's clawback debt is
 * paid first, the rest returns to the lot as live points.
 */
export function restorePosting(input: { lot: LotState; points: number; debt: number }): Posting & { settledDebt: number } {
  const { lot, points } = input;
  positive(points, "A restore");
  if (points > lot.reversed) throw new Error(`restore of ${points} exceeds the ${lot.reversed} reversed on lot ${lot.id}`);
  const settledDebt = Math.min(Math.max(input.debt, 0), points);
  return {
    ...checkedPosting({
      entries: [
        { account: "merchant_issued", amount: -points },
        { account: "member_clawback", amount: settledDebt },
        { account: liveAccount(lot), lotId: lot.id, amount: points - settledDebt },
      ],
      lotChanges: [{ lotId: lot.id, remaining: points - settledDebt, consumed: settledDebt, reversed: -points }],
      allocations: [
        { lotId: lot.id, kind: "restore_consumed", points: settledDebt },
        { lotId: lot.id, kind: "restore_remaining", points: points - settledDebt },
      ],
    }),
    settledDebt,
  };
}

/**
 * How many of an order lot's points should stand reversed: everything while a dispute's funds are withdrawn, else
 * in proportion to the cumulative refunded amount, rounded down (so a full refund reverses exactly what was earned).
 */
export function reversalTarget(input: { lotPoints: number; amountMinor: number; refundedMinor: number; disputeStatus: string }): number {
  if (input.disputeStatus === "withdrawn") return input.lotPoints;
  if (input.amountMinor === 0) return 0;
  return Number((BigInt(input.lotPoints) * BigInt(input.refundedMinor)) / BigInt(input.amountMinor));
}

export type OrderReversalMove =
  | { kind: "reverse"; posting: ReturnType<typeof reversalPosting> }
  | { kind: "restore"; posting: ReturnType<typeof restorePosting> };

/**
 * Moves an order's lot from what is reversed now to `target`: reverses the difference or restores it. Posting only
 * the difference makes every delivery order of refunds and disputes converge on one ledger; null when already there.
 */
export function orderReversalPosting(input: { lot: LotState; target: number; debt: number }): OrderReversalMove | null {
  const diff = input.target - input.lot.reversed;
  if (diff > 0) return { kind: "reverse", posting: reversalPosting({ lot: input.lot, points: diff }) };
  if (diff < 0) return { kind: "restore", posting: restorePosting({ lot: input.lot, points: -diff, debt: input.debt }) };
  return null;
}

// ---- forgiving debt -----------------------------------------------------------------------------------------

/** Writes off the member's whole clawback debt; 409 `no_clawback_debt` when there is none. */
export function forgivePosting(input: { debt: number }): Posting {
  if (input.debt <= 0) throw new DomainError("no_clawback_debt", "This member owes no points");
  return checkedPosting({
    entries: [
      { account: "member_clawback", amount: input.debt },
      { account: "merchant_forgiven", amount: -input.debt },
    ],
    lotChanges: [],
    allocations: [],
  });
}

// ---- release and expiry -------------------------------------------------------------------------------------

/**
 * Makes a pending lot available. A lot with nothing left (spent on debt, reversed) only gets its release date:
 * no entries, so the caller writes no journal for it.
 */
export function releasePosting(input: { lot: Pick<LotState, "id" | "remaining">; at: Date }): Posting & { released: number } {
  const released = Math.max(input.lot.remaining, 0);
  return {
    ...checkedPosting({
      entries: [
        { account: "member_pending", lotId: input.lot.id, amount: -released },
        { account: "member_available", lotId: input.lot.id, amount: released },
      ],
      lotChanges: [{ lotId: input.lot.id, releasedAt: input.at }],
      allocations: [],
    }),
    released,
  };
}

/**
 * True when the inactivity policy expires everything: the member's last activity is at or before the deadline.
 * A member who never had activity has nothing to expire this way.
 */
export const inactiveSince = (lastActivityAt: Date | null, deadline: Date | null | undefined) =>
  deadline != null && lastActivityAt !== null && lastActivityAt <= deadline;

/**
 * Expires what is left of the given lots (the caller chose which are due) into merchant_expired, in one journal.
 * Lots with nothing left are skipped; null when nothing remains to expire.
 */
export function expiryPosting(input: { lots: readonly Pick<LotState, "id" | "remaining" | "releasedAt">[]; at: Date }): (Posting & { total: number; lots: { lotId: string; points: number }[] }) | null {
  const due = input.lots.filter((l) => l.remaining > 0);
  if (due.length === 0) return null;
  const total = due.reduce((s, l) => s + l.remaining, 0);
  return {
    ...checkedPosting({
      entries: [
        ...due.map((l): Entry => ({ account: liveAccount(l), lotId: l.id, amount: -l.remaining })),
        { account: "merchant_expired", amount: total },
      ],
      lotChanges: due.map((l) => ({ lotId: l.id, remaining: -l.remaining, expired: l.remaining, expiredAt: input.at })),
      allocations: due.map((l) => ({ lotId: l.id, kind: "expire" as const, points: l.remaining })),
    }),
    total,
    lots: due.map((l) => ({ lotId: l.id, points: l.remaining })),
  };
}
