import { describe, expect, it } from "vitest";
import { DomainError } from "~/lib/errors";
import { thrown, withHttpStatus } from "../../../tests/support/errors";
import {
  checkedPosting,
  earnPosting,
  expiryPosting,
  forgivePosting,
  inactiveSince,
  memberChange,
  orderReversalPosting,
  releasePosting,
  restorePosting,
  reversalPosting,
  reversalTarget,
  spendPosting,
  type LotState,
  type Posting,
} from "./postings";

const AT = new Date("2026-03-10T12:00:00Z");
const LATER = new Date("2026-04-10T12:00:00Z");
const EARLIER = new Date("2026-02-10T12:00:00Z");

const lot = (patch: Partial<LotState> = {}): LotState => ({
  id: "lot_a",
  points: 100,
  remaining: 100,
  consumed: 0,
  expired: 0,
  reversed: 0,
  releasedAt: EARLIER,
  ...patch,
});

/** Every posting: non-zero integer entries that sum to zero, positive integer allocations. */
function expectWellFormed(p: Posting) {
  expect(p.entries.reduce((s, e) => s + e.amount, 0)).toBe(0);
  for (const e of p.entries) {
    expect(e.amount).not.toBe(0);
    expect(Number.isSafeInteger(e.amount)).toBe(true);
  }
  for (const a of p.allocations) {
    expect(a.points).toBeGreaterThan(0);
    expect(Number.isSafeInteger(a.points)).toBe(true);
  }
}

/** Applies a posting's lot changes the way the SQL does, and checks the lot still adds up. */
function applied(l: LotState, p: Posting): LotState {
  const out = { ...l };
  for (const c of p.lotChanges.filter((c) => c.lotId === l.id)) {
    out.remaining += c.remaining ?? 0;
    out.consumed += c.consumed ?? 0;
    out.expired += c.expired ?? 0;
    out.reversed += c.reversed ?? 0;
    out.releasedAt = c.releasedAt ?? out.releasedAt;
  }
  expect(out.remaining + out.consumed + out.expired + out.reversed).toBe(out.points);
  for (const k of ["remaining", "consumed", "expired", "reversed"] as const) expect(out[k]).toBeGreaterThanOrEqual(0);
  return out;
}

const byAccount = (p: Posting) => Object.fromEntries(p.entries.map((e) => [e.account, e.amount]));

describe("earnPosting", () => {
  it.each([
    // points, debt, pendingUntil, live account, live, settled
    [100, 0, null, "member_available", 100, 0],
    [100, 0, LATER, "member_pending", 100, 0],
    [100, 0, EARLIER, "member_available", 100, 0], // a return window already over: available at once
    [100, 30, null, "member_available", 70, 30],
    [100, 30, LATER, "member_pending", 70, 30],
    [100, 100, null, null, 0, 100],
    [100, 250, null, null, 0, 100], // more debt than points: the rest stays owed
    [1, 0, null, "member_available", 1, 0],
  ] as const)("%i points with %i debt, pending until %s → %s +%i, %i settled", (points, debt, pendingUntil, account, live, settled) => {
    const p = earnPosting({ lotId: "lot_n", points, debt, at: AT, source: "order", orderId: "ord_1", pendingUntil });
    expectWellFormed(p);
    expect(p.settledDebt).toBe(settled);
    expect(byAccount(p).merchant_issued).toBe(-points);
    expect(byAccount(p).member_clawback).toBe(settled || undefined);
    if (account) expect(p.entries.find((e) => e.account === account)).toEqual({ account, lotId: "lot_n", amount: live });
    else expect(p.entries.some((e) => e.lotId)).toBe(false);
    expect(p.allocations).toEqual(settled ? [{ lotId: "lot_n", kind: "consume", points: settled }] : []);
    expect(p.newLot).toEqual({
      id: "lot_n",
      source: "order",
      orderId: "ord_1",
      points,
      remaining: live,
      consumed: settled,
      earnedAt: AT,
      pendingUntil,
      releasedAt: pendingUntil && pendingUntil > AT ? null : AT,
      expiresAt: null,
    });
    expect(memberChange(p.entries).net).toBe(points);
    expect(p).toMatchObject({ earned: points, activity: true, lotChanges: [] });
  });

  it("keeps the earned date and expiry it is given", () => {
    const p = earnPosting({ lotId: "lot_n", points: 5, debt: 0, at: AT, source: "event", earnedAt: EARLIER, expiresAt: LATER });
    expect(p.newLot).toMatchObject({ earnedAt: EARLIER, expiresAt: LATER, orderId: null, pendingUntil: null });
  });

  it.each([0, -5, 1.5, Number.NaN])("refuses %s points", (points) => {
    expect(() => earnPosting({ lotId: "lot_n", points, debt: 0, at: AT, source: "order" })).toThrow(RangeError);
  });
});

describe("spendPosting: first in, first out", () => {
  const lots = [
    { id: "lot_1", remaining: 30, releasedAt: EARLIER },
    { id: "lot_2", remaining: 50, releasedAt: EARLIER },
    { id: "lot_3", remaining: 40, releasedAt: EARLIER },
  ];
  it.each([
    // points, takes
    [30, [["lot_1", 30]]],
    [10, [["lot_1", 10]]],
    [60, [["lot_1", 30], ["lot_2", 30]]],
    [80, [["lot_1", 30], ["lot_2", 50]]],
    [120, [["lot_1", 30], ["lot_2", 50], ["lot_3", 40]]],
  ] as const)("spending %i takes %j", (points, takes) => {
    const p = spendPosting({ points, available: 120, lots, kind: "spend" });
    expectWellFormed(p);
    expect(p.takes).toEqual(takes.map(([lotId, n]) => ({ lotId, points: n })));
    expect(p.entries).toEqual([
      ...takes.map(([lotId, n]) => ({ account: "member_available", lotId, amount: -n })),
      { account: "merchant_redeemed", amount: points },
    ]);
    expect(p.lotChanges).toEqual(takes.map(([lotId, n]) => ({ lotId, remaining: -n, consumed: n })));
    expect(p.allocations).toEqual(takes.map(([lotId, n]) => ({ lotId, kind: "consume", points: n })));
    expect(p).toMatchObject({ redeemed: points, activity: true });
    expect(memberChange(p.entries).net).toBe(-points);
  });

  it("skips used-up (expired, spent) and pending lots", () => {
    const p = spendPosting({
      points: 25,
      available: 25,
      lots: [
        { id: "lot_expired", remaining: 0, releasedAt: EARLIER },
        { id: "lot_pending", remaining: 50, releasedAt: null },
        { id: "lot_open", remaining: 25, releasedAt: EARLIER },
      ],
      kind: "spend",
    });
    expect(p.takes).toEqual([{ lotId: "lot_open", points: 25 }]);
  });

  it("a negative adjustment goes to merchant_adjusted and is not counted as redeemed", () => {
    const p = spendPosting({ points: 10, available: 120, lots, kind: "adjust" });
    expectWellFormed(p);
    expect(byAccount(p).merchant_adjusted).toBe(10);
    expect(byAccount(p).merchant_redeemed).toBeUndefined();
    expect(p.redeemed).toBe(0);
  });

  it("refuses more than the available balance with insufficient_points", () => {
    const err = (() => {
      try {
        spendPosting({ points: 121, available: 120, lots, kind: "spend" });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DomainError);
    expect(withHttpStatus(err)).toMatchObject({ code: "insufficient_points", status: 409, field: "points" });
  });

  it("refuses to write when the cached balance and the lots disagree", () => {
    expect(() => spendPosting({ points: 130, available: 200, lots, kind: "spend" })).toThrow(/lots short by 10/);
  });

  it.each([0, -1, 2.5])("refuses %s points", (points) => {
    expect(() => spendPosting({ points, available: 120, lots, kind: "spend" })).toThrow(RangeError);
  });
});

describe("reversalPosting: unspent → expired → debt", () => {
  it.each([
    // lot state, points reversed, from unspent, from expired, became debt
    [{ remaining: 100 }, 40, 40, 0, 0],
    [{ remaining: 100 }, 100, 100, 0, 0],
    [{ remaining: 30, consumed: 70 }, 30, 30, 0, 0],
    [{ remaining: 30, consumed: 70 }, 50, 30, 0, 20],
    [{ remaining: 30, expired: 20, consumed: 50 }, 40, 30, 10, 0],
    [{ remaining: 30, expired: 20, consumed: 50 }, 100, 30, 20, 50],
    [{ remaining: 0, expired: 100 }, 60, 0, 60, 0],
    [{ remaining: 0, consumed: 100 }, 60, 0, 0, 60],
    [{ remaining: 10, consumed: 65, reversed: 25 }, 75, 10, 0, 65], // the rest after a partial refund
  ] as const)("lot %j, reversing %i → %i unspent, %i expired, %i debt", (state, points, fromUnspent, fromExpired, becameDebt) => {
    const before = lot(state);
    const p = reversalPosting({ lot: before, points });
    expectWellFormed(p);
    expect(p).toMatchObject({ fromUnspent, fromExpired, becameDebt });
    expect(byAccount(p)).toEqual(
      Object.fromEntries(
        [
          ["merchant_issued", points],
          ["member_available", -fromUnspent],
          ["merchant_expired", -fromExpired],
          ["member_clawback", -becameDebt],
        ].filter(([, n]) => n !== 0),
      ),
    );
    expect(p.allocations).toEqual(
      [
        { lotId: "lot_a", kind: "reverse_remaining", points: fromUnspent },
        { lotId: "lot_a", kind: "reverse_expired", points: fromExpired },
        { lotId: "lot_a", kind: "reverse_consumed", points: becameDebt },
      ].filter((a) => a.points > 0),
    );
    const after = applied(before, p);
    expect(after.reversed).toBe(before.reversed + points);
    expect(memberChange(p.entries).net).toBe(0 - fromUnspent - becameDebt);
  });

  it("takes a pending lot's unspent points from member_pending", () => {
    const p = reversalPosting({ lot: lot({ releasedAt: null }), points: 10 });
    expect(p.entries).toContainEqual({ account: "member_pending", lotId: "lot_a", amount: -10 });
  });

  it("never reverses more than the lot has left", () => {
    expect(() => reversalPosting({ lot: lot({ remaining: 50, reversed: 50 }), points: 51 })).toThrow(/exceeds/);
  });

  it.each([0, -3, 0.5])("refuses %s points", (points) => {
    expect(() => reversalPosting({ lot: lot(), points })).toThrow(RangeError);
  });
});

describe("restorePosting: debt first, then back to the lot", () => {
  it.each([
    // points restored, member debt, settled, back to the lot
    [40, 0, 0, 40],
    [40, 25, 25, 15],
    [40, 40, 40, 0],
    [40, 90, 40, 0],
  ] as const)("restoring %i with %i debt settles %i and returns %i", (points, debt, settled, live) => {
    const before = lot({ remaining: 0, consumed: 60, reversed: 40 });
    const p = restorePosting({ lot: before, points, debt });
    expectWellFormed(p);
    expect(p.settledDebt).toBe(settled);
    expect(byAccount(p)).toEqual(
      Object.fromEntries(
        [
          ["merchant_issued", -points],
          ["member_clawback", settled],
          ["member_available", live],
        ].filter(([, n]) => n !== 0),
      ),
    );
    const after = applied(before, p);
    expect(after).toMatchObject({ remaining: live, consumed: 60 + settled, reversed: 40 - points });
  });

  it("restores into member_pending while the lot is pending", () => {
    const p = restorePosting({ lot: lot({ remaining: 50, reversed: 50, releasedAt: null }), points: 50, debt: 0 });
    expect(p.entries).toContainEqual({ account: "member_pending", lotId: "lot_a", amount: 50 });
  });

  it("never restores more than was reversed", () => {
    expect(() => restorePosting({ lot: lot({ remaining: 70, reversed: 30 }), points: 31, debt: 0 })).toThrow(/exceeds/);
  });

  it("a restore after a reversal of spent points puts lot and member back where they were", () => {
    // 100 earned, 80 spent; a dispute reverses all (20 unspent, 80 become debt), then the dispute is won.
    const spent = lot({ remaining: 20, consumed: 80 });
    const reversal = reversalPosting({ lot: spent, points: 100 });
    expect(reversal).toMatchObject({ fromUnspent: 20, fromExpired: 0, becameDebt: 80 });
    const reversed = applied(spent, reversal);
    const debt = -memberChange(reversal.entries).clawback;
    expect(debt).toBe(80);
    const restore = restorePosting({ lot: reversed, points: 100, debt });
    expect(restore.settledDebt).toBe(80);
    expect(applied(reversed, restore)).toEqual(spent);
    const total = [...reversal.entries, ...restore.entries].reduce<Record<string, number>>((s, e) => ({ ...s, [e.account]: (s[e.account] ?? 0) + e.amount }), {});
    expect(total).toEqual({ merchant_issued: 0, member_available: 0, member_clawback: 0 });
  });
});

describe("reversalTarget", () => {
  it.each([
    // lot points, order amount, refunded, dispute, target
    [100, 10_000, 0, "none", 0],
    [100, 10_000, 2_500, "none", 25],
    [99, 10_000, 3_333, "none", 32], // rounded down
    [100, 10_000, 9_999, "none", 99],
    [100, 10_000, 10_000, "none", 100], // a full refund reverses exactly what was earned
    [100, 10_000, 0, "withdrawn", 100],
    [100, 10_000, 2_500, "reinstated", 25],
    [100, 0, 0, "none", 0],
    [9_000_000, 900_000_000_000, 899_999_999_999, "none", 8_999_999], // beyond float precision in the product
  ] as const)("%i points, %i refunded of %i (%s) → %i", (lotPoints, amountMinor, refundedMinor, disputeStatus, target) => {
    expect(reversalTarget({ lotPoints, amountMinor, refundedMinor, disputeStatus })).toBe(target);
  });
});

describe("orderReversalPosting: moves the lot to its target", () => {
  it.each([
    // lot state, target, debt, kind, points
    [{ remaining: 100 }, 25, 0, "reverse", 25],
    [{ remaining: 75, reversed: 25 }, 100, 0, "reverse", 75],
    [{ remaining: 0, reversed: 100 }, 0, 0, "restore", 100],
    [{ remaining: 0, consumed: 60, reversed: 40 }, 10, 40, "restore", 30],
    [{ remaining: 75, reversed: 25 }, 25, 0, null, 0],
    [{ remaining: 100 }, 0, 0, null, 0],
  ] as const)("lot %j to target %i (debt %i) → %s %i", (state, target, debt, kind, points) => {
    const before = lot(state);
    const move = orderReversalPosting({ lot: before, target, debt });
    if (kind === null) {
      expect(move).toBeNull();
      return;
    }
    expect(move?.kind).toBe(kind);
    expectWellFormed(move!.posting);
    expect(Math.abs(byAccount(move!.posting).merchant_issued!)).toBe(points);
    expect(applied(before, move!.posting).reversed).toBe(target);
  });
});

describe("forgivePosting", () => {
  it("writes the whole debt off to merchant_forgiven", () => {
    const p = forgivePosting({ debt: 45 });
    expectWellFormed(p);
    expect(p.entries).toEqual([
      { account: "member_clawback", amount: 45 },
      { account: "merchant_forgiven", amount: -45 },
    ]);
    expect(memberChange(p.entries).net).toBe(45);
  });

  it("refuses when nothing is owed", () => {
    expect(withHttpStatus(thrown(() => forgivePosting({ debt: 0 })))).toMatchObject({ code: "no_clawback_debt", status: 409 });
  });
});

describe("releasePosting", () => {
  it.each([
    // remaining, released, entries
    [40, 40, 2],
    [0, 0, 0], // spent on debt or reversed: the lot only records its release, no journal
  ] as const)("a pending lot with %i left releases %i", (remaining, released, entryCount) => {
    const p = releasePosting({ lot: { id: "lot_a", remaining }, at: AT });
    expectWellFormed(p);
    expect(p.released).toBe(released);
    expect(p.entries).toHaveLength(entryCount);
    if (released) {
      expect(p.entries).toEqual([
        { account: "member_pending", lotId: "lot_a", amount: -released },
        { account: "member_available", lotId: "lot_a", amount: released },
      ]);
    }
    expect(p.lotChanges).toEqual([{ lotId: "lot_a", releasedAt: AT }]);
    expect(memberChange(p.entries).net).toBe(0);
  });
});

describe("expiryPosting", () => {
  it("expires what is left of each lot from the account it sits in, skipping used-up lots", () => {
    const p = expiryPosting({
      at: AT,
      lots: [
        { id: "lot_1", remaining: 30, releasedAt: EARLIER },
        { id: "lot_2", remaining: 0, releasedAt: EARLIER },
        { id: "lot_3", remaining: 12, releasedAt: null },
      ],
    });
    expect(p).not.toBeNull();
    expectWellFormed(p!);
    expect(p!.total).toBe(42);
    expect(p!.lots).toEqual([
      { lotId: "lot_1", points: 30 },
      { lotId: "lot_3", points: 12 },
    ]);
    expect(p!.entries).toEqual([
      { account: "member_available", lotId: "lot_1", amount: -30 },
      { account: "member_pending", lotId: "lot_3", amount: -12 },
      { account: "merchant_expired", amount: 42 },
    ]);
    expect(p!.lotChanges).toEqual([
      { lotId: "lot_1", remaining: -30, expired: 30, expiredAt: AT },
      { lotId: "lot_3", remaining: -12, expired: 12, expiredAt: AT },
    ]);
    expect(p!.allocations).toEqual([
      { lotId: "lot_1", kind: "expire", points: 30 },
      { lotId: "lot_3", kind: "expire", points: 12 },
    ]);
    const expired = applied(lot({ id: "lot_1", points: 50, remaining: 30, consumed: 20 }), p!);
    expect(expired).toMatchObject({ remaining: 0, expired: 30 });
  });

  it.each([[[]], [[{ id: "lot_1", remaining: 0, releasedAt: EARLIER }]]])("nothing left to expire → null (%j)", (lots) => {
    expect(expiryPosting({ lots, at: AT })).toBeNull();
  });

  it.each([
    // last activity, deadline, inactive
    [EARLIER, AT, true],
    [AT, AT, true],
    [LATER, AT, false],
    [null, AT, false], // never active: nothing to expire for inactivity
    [EARLIER, null, false], // no inactivity policy
    [EARLIER, undefined, false],
  ] as const)("inactiveSince, case %#", (last, deadline, inactive) => {
    expect(inactiveSince(last, deadline)).toBe(inactive);
  });
});

describe("checkedPosting", () => {
  it("drops zero entries and allocations", () => {
    const p = checkedPosting({
      entries: [
        { account: "merchant_issued", amount: -5 },
        { account: "member_clawback", amount: 0 },
        { account: "member_available", amount: 5 },
      ],
      lotChanges: [],
      allocations: [{ lotId: "lot_a", kind: "consume", points: 0 }],
    });
    expect(p.entries).toHaveLength(2);
    expect(p.allocations).toEqual([]);
  });

  it.each([
    [[{ account: "merchant_issued", amount: -5 }, { account: "member_available", amount: 4 }], /unbalanced/],
    [[{ account: "merchant_issued", amount: -0.5 }, { account: "member_available", amount: 0.5 }], /non-integer/],
  ] as const)("refuses %j", (entries, message) => {
    expect(() => checkedPosting({ entries: [...entries], lotChanges: [], allocations: [] })).toThrow(message);
  });

  it("refuses negative allocations", () => {
    expect(() => checkedPosting({ entries: [], lotChanges: [], allocations: [{ lotId: "lot_a", kind: "consume", points: -1 }] })).toThrow(/allocation/);
  });
});
