import type { RawBuilder } from "kysely";
import type { Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import type { Order } from "~db/schema";

/**
 * The in-transaction event seam (docs/architecture.md, "Events"). A flow does a business action (a purchase, a refund,
 * a sign-up) and publishes what happened; the programs (tiers, referrals, offers, the loyalty holdout) registered on
 * the seam react inside the same transaction, one after the other in the registration order, so what commits is what
 * happened — an upgrade commits with the order that caused it, or neither does. A handler's error rolls all of it back.
 *
 * Programs never call each other and the ledger never calls a program: a program exports its `ProgramRegistration`,
 * and `app/domain/flows/programs.server.ts` lists them in order. Outgoing webhooks and automated flows subscribe here too.
 *
 * Besides events, a program may contribute to the earning hot path, which must stay one context statement per order:
 * `earning.columns` are scalar SQL expressions the flow selects in that statement (prefixed with the program's name),
 * `earning.percent` turns them into the program's earning multiplier, `earning.holdsOut` can refuse the earning
 * (the loyalty holdout), and the handlers of `orderRecorded` receive the same row, so they need not read again.
 */

/** How the purchase came in; the flows' policy tables say what each channel does. */
export type PurchaseChannel = "api" | "stripe" | "import";

/** What one purchase's channel asks the programs to do (a row of PURCHASE_POLICY). */
export interface PurchaseEffects {
  /** The order may qualify the friend's referral. */
  qualifiesReferral: boolean;
}

export type DomainEvent =
  /** A new order was recorded (never for a replay of the same order). `earned` is what it earned now (0: none). */
  | { type: "orderRecorded"; order: Order; channel: PurchaseChannel; effects: PurchaseEffects; earned: number; at: Date }
  /** An order's refunded total grew (refund API, Stripe's cumulative amount); the ledger has already followed it. */
  | { type: "orderRefunded"; order: Order; pointsReversed: number; at: Date }
  /** A dispute's funds were withdrawn or reinstated; the ledger has already followed. */
  | { type: "orderDisputeChanged"; order: Order; status: "withdrawn" | "reinstated"; pointsReversed: number; pointsRestored: number; at: Date }
  /** Points were credited to a member other than for an order (bonuses, custom events, adjustments). */
  | { type: "pointsEarned"; memberId: string; points: number; source: string; journalId: string; at: Date }
  /** A member joined the program (after the enrolment flow's bonus and attribution). */
  | { type: "memberEnrolled"; memberId: string; channel: string; at: Date }
  /** A member's tier changed (published by the tiers program's handlers, for subscribers after it). */
  | { type: "tierChanged"; memberId: string; fromTierId: string | null; tierId: string | null; at: Date };

export type EventType = DomainEvent["type"];
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

/** What a handler gets besides the event: the transaction, the tenant, who acted, and a way to publish follow-ons. */
export interface EventContext {
  trx: Trx;
  merchantId: string;
  actor: Actor;
  /** The earning context row of this purchase, when the event comes from the earning path (see `earning`). */
  earningRow?: Record<string, unknown>;
  publish(event: DomainEvent): Promise<void>;
}

export type Handlers = { [T in EventType]?: (ctx: EventContext, event: EventOf<T>) => Promise<void> };

export interface EarningContribution {
  /** Scalar SQL expressions for the one earning context statement; selected as `<program>_<key>`. */
  columns(merchantId: string, memberId: string, at: Date): Record<string, RawBuilder<unknown>>;
  /** The program's earning multiplier in percent (100 = none), from its own columns. */
  percent?(row: Record<string, unknown>): number;
  /**
   * A lateral subquery joined into the statement (for contributions of several columns); its columns must carry the
   * program's own prefix. Callbacks read the whole row.
   */
  lateral?(merchantId: string, memberId: string, at: Date): RawBuilder<unknown>;
  /** True refuses the earning (the loyalty holdout). May write (an assignment on first sight). */
  holdsOut?(ctx: { trx: Trx; merchantId: string; memberId: string }, row: Record<string, unknown>): Promise<boolean>;
}

export interface ProgramRegistration {
  /** Short lower-case name; prefixes its earning columns. */
  name: string;
  earning?: EarningContribution;
  on?: Handlers;
}

/** The columns a program contributed, read back from the context row without its prefix. */
export function ownColumns(name: string, row: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!row) return {};
  const prefix = `${name}_`;
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) if (k.startsWith(prefix)) own[k.slice(prefix.length)] = v;
  return own;
}

export interface EventSeam {
  readonly programs: readonly ProgramRegistration[];
  /** Runs every handler of the event, in registration order, in the caller's transaction. */
  publish(base: Omit<EventContext, "publish">, event: DomainEvent): Promise<void>;
}

export function createEventSeam(programs: readonly ProgramRegistration[]): EventSeam {
  const names = new Set<string>();
  for (const p of programs) {
    if (names.has(p.name) || !/^[a-z]+$/.test(p.name)) throw new Error(`program names must be unique lower-case words: ${p.name}`);
    names.add(p.name);
  }
  const seam: EventSeam = {
    programs,
    async publish(base, event) {
      const ctx: EventContext = { ...base, publish: (next) => seam.publish(base, next) };
      for (const p of programs) {
        const handler = p.on?.[event.type] as ((c: EventContext, e: DomainEvent) => Promise<void>) | undefined;
        if (handler) await handler(ctx, event);
      }
    },
  };
  return seam;
}
