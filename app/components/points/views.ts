import type { LedgerLine, MemberPointsBalance } from "~/domain/points/types";
import { availableOn, longDate, memberHistoryText, pendingByDay, pointsLabel, shortDate, signedPoints } from "~/domain/points/text";

/**
 * View models for the points screens, built by the loaders (server) in the merchant's time zone so the browser
 * shows exactly the text the server rendered. Inputs mirror app/domain/points/balance.server.ts.
 */

export type BalanceFacts = MemberPointsBalance;

export type LineFacts = Omit<LedgerLine, "seq" | "orderId" | "kind"> & { kind: string };

export interface RulesFacts {
  pendingDays: number;
  expiryMode: "never" | "after_earning" | "inactivity";
}

export interface BalanceView {
  available: number;
  pending: number;
  owed: number;
  /** "42 points" — "available on Dec 6 after the 14-day return window". */
  pendingLines: Array<{ points: string; when: string }>;
  /** "100 points expire on Dec 6, 2027." or null. */
  expiry: string | null;
  lifetimeEarned: number;
  lifetimeRedeemed: number;
  lastActivity: string | null;
}

export function balanceView(b: BalanceFacts, rules: RulesFacts, timeZone: string, at: Date): BalanceView {
  let expiry: string | null = null;
  if (b.expiringNext) {
    const when = longDate(b.expiringNext.at, timeZone);
    expiry =
      rules.expiryMode === "inactivity"
        ? `${pointsLabel(b.expiringNext.points)} expire on ${when} unless there is new activity on the account before then.`
        : `${pointsLabel(b.expiringNext.points)} ${b.expiringNext.points === 1 ? "expires" : "expire"} on ${when}.`;
  }
  return {
    available: b.available,
    pending: b.pending,
    owed: b.clawbackDebt,
    pendingLines: pendingByDay(b.pendingLots, timeZone).map((g) => ({ points: pointsLabel(g.points), when: availableOn(g.at, rules.pendingDays, timeZone, at) })),
    expiry,
    lifetimeEarned: b.lifetimeEarned,
    lifetimeRedeemed: b.lifetimeRedeemed,
    lastActivity: b.lastActivityAt ? longDate(b.lastActivityAt, timeZone) : null,
  };
}

export interface HistoryItem {
  id: string;
  date: string;
  iso: string;
  text: string;
  tone: "plus" | "minus" | "neutral";
}

/** A member's history line in plain words ("+42 points for order #1043"). */
export function historyItem(l: LineFacts, timeZone: string, at: Date): HistoryItem {
  return {
    id: l.journalId,
    date: shortDate(l.effectiveAt, timeZone, at),
    iso: l.effectiveAt.toISOString(),
    text: memberHistoryText(l),
    tone: l.kind === "release" || l.kind === "forgive" ? "neutral" : l.points > 0 ? "plus" : l.points < 0 ? "minus" : "neutral",
  };
}

export interface LedgerRow {
  id: string;
  at: string;
  iso: string;
  kind: string;
  description: string;
  reason: string | null;
  note: string | null;
  by: string;
  available: string;
  pending: string;
  owed: string;
  availableAfter: string;
  pendingAfter: string;
}

const change = (v: number) => (v === 0 ? "" : signedPoints(v));

/** A staff view of one journal: every account change and the running balances after it. */
export function ledgerRow(l: LineFacts, staffNames: Record<string, string>, formatDateTime: (d: Date) => string): LedgerRow {
  const by =
    l.actorType === "staff"
      ? (l.actorId && staffNames[l.actorId]) || "A former staff member"
      : l.actorType === "api_key"
        ? `API key${l.actorId ? ` ${l.actorId}` : ""}`
        : l.actorType === "member"
          ? "The member"
          : "Perennial";
  return {
    id: l.journalId,
    at: formatDateTime(l.effectiveAt),
    iso: l.effectiveAt.toISOString(),
    kind: l.kind,
    // An adjustment's description is "Adjustment: <reason>"; next to the kind "Adjusted" the reason says it all.
    description: l.kind === "adjust" && l.reason ? l.reason : l.description,
    reason: l.kind === "adjust" ? null : l.reason,
    note: l.note,
    by,
    available: change(l.availableChange),
    pending: change(l.pendingChange),
    owed: change(l.debtChange),
    availableAfter: l.availableAfter.toLocaleString("en-US"),
    pendingAfter: l.pendingAfter.toLocaleString("en-US"),
  };
}
