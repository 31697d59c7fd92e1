import { sql } from "kysely";
import type { Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { DomainError } from "~/lib/errors";
import { minorDigits } from "~/lib/money";
import { earnManyLocked, lockBalances, type EarnInput } from "~/domain/points/ledger.server";
import { capWindowStarts, orderPoints, type EarnedSoFar, type EarningRules } from "~/domain/points/rules";
import { parseStoredRules } from "~/domain/points/rules.server";
import type { Order } from "~db/schema";
import { orderEarning, pointsOrRefuse } from "./earning.server";
import { seam } from "./programs.server";
import { earnRecordedOrder, purchaseCurrencyRule } from "./purchase.server";

/**
 * Historical orders earned set-based (the CSV import's `--award-points` and the demo seed): the same ledger as
 * `earnRecordedOrder` called on each order in the given order (journals with their points, keys, descriptions and
 * breakdown; entries; lots with their pending and expiry dates; balances and lifetime totals), computed in memory per
 * member with the pure rules (`orderPoints`, `capWindowStarts`, `pendingUntil`, `lotExpiresAt`), and posted by the
 * ledger's own bulk path (`earnManyLocked` → `postJournals`, the code `earnLocked` → `postJournal` runs for one): the
 * batch's balances locked in one statement, then journals, entries, lots and the balances (summed per member) in one
 * statement per 5,000 journals, with postJournal's checks.
 *
 * Members whose orders need per-order work go through `earnRecordedOrder` one by one (`fallback` in the result):
 *  - tiers matter for them (the merchant has tiers, or the member still holds a tier or pin): an upgrade in the middle
 *    of the batch changes the multiplier of the next order, and the tiers program re-evaluates after every order;
 *  - a claimed points-multiplier offer runs at some point between the batch's first and last order;
 *  - they owe a clawback debt (each earning settles part of it);
 *  - one of their orders already carries a refund or dispute fact (the earning is followed by a catch-up reversal);
 *  - the loyalty holdout is active and they have no arm yet (the first sight assigns one, at random, in the database).
 * Held-out members (control arm) and deleted members earn nothing, as one by one; their balance row is created all
 * the same (the one-by-one path's lock creates it).
 *
 * The event seam: one by one, each order publishes `orderRecorded` under the import policy. For the members earned
 * here the handlers have nothing to do — referrals never qualify an imported order (PURCHASE_POLICY.import), and tiers
 * are not relevant to them (else they fell back) — so nothing is published. That holds only for the programs this
 * path knows (`KNOWN`): when another program registers on the seam with an `orderRecorded` handler or an earning
 * contribution, the whole batch falls back until this function learns what that program needs.
 *
 * Orders are earned in the order given per member (pass them oldest first, as for `earnRecordedOrder`): caps count
 * what the member's earlier orders earned; a first order is the member's earliest by (occurred_at, id) among all
 * their orders in the database, exactly as the one-by-one context statement decides it.
 */

/** The programs whose part in an imported order this path reproduces (see above). */
const KNOWN = { orderRecorded: new Set(["tiers", "referrals"]), earning: new Set(["holdout", "offers", "tiers", "referrals"]) };

export interface HistoricalEarning {
  /** Points earned by all the orders. */
  points: number;
  /** Orders earned one by one (members that fell back). */
  fallback: number;
}

interface MemberFacts {
  member_id: string;
  status: string;
  tiers: boolean;
  multiplier: boolean;
  arm_known: boolean;
  control: boolean;
  first_order_id: string | null;
}

export async function earnRecordedOrders(trx: Trx, merchantId: string, orders: readonly Order[], actor: Actor): Promise<HistoricalEarning> {
  if (orders.length === 0) return { points: 0, fallback: 0 };
  if (!seamIsKnown()) return oneByOne(trx, merchantId, orders, actor);

  const memberIds = [...new Set(orders.map((o) => o.member_id))].sort();
  // The balance locks first, in one order (as concurrent batches take them), created where missing as lockBalance does.
  const debts = await lockBalances(trx, merchantId, memberIds);
  const merchant = await trx
    .selectFrom("merchants")
    .leftJoin("earning_rules as r", "r.merchant_id", "merchants.id")
    .select(["merchants.currency", "merchants.timezone", "r.rules"])
    .where("merchants.id", "=", merchantId)
    .executeTakeFirstOrThrow();
  for (const o of orders) purchaseCurrencyRule("import", o.currency, merchant.currency);
  const rules = parseStoredRules(merchantId, merchant.rules);

  let from = orders[0]!.occurred_at;
  let to = from;
  for (const o of orders) {
    if (o.occurred_at < from) from = o.occurred_at;
    if (o.occurred_at > to) to = o.occurred_at;
  }
  const facts = new Map((await readMemberFacts(trx, merchantId, memberIds, from, to, rules.bonuses.firstOrder !== 0)).map((f) => [f.member_id, f]));
  const withFacts = new Set(orders.filter((o) => o.refunded_minor > 0 || o.dispute_status !== "none").map((o) => o.member_id));

  const byMember = new Map<string, Order[]>();
  const fallbackOrders: Order[] = [];
  for (const o of orders) {
    const f = facts.get(o.member_id);
    if (!f) throw new DomainError("not_found", "Member not found", { field: "member" });
    if (f.tiers || f.multiplier || (debts.get(o.member_id) ?? 0) > 0 || withFacts.has(o.member_id) || !f.arm_known) {
      fallbackOrders.push(o);
      continue;
    }
    if (f.control || f.status === "deleted") continue;
    const list = byMember.get(o.member_id);
    if (list) list.push(o);
    else byMember.set(o.member_id, [o]);
  }

  const hasCaps = rules.caps.perDay !== null || rules.caps.perMonth !== null || rules.caps.lifetime !== null;
  const earlierLots = hasCaps ? await readCapLots(trx, merchantId, [...byMember.keys()]) : new Map<string, CapLot[]>();
  const windows = new CapWindows(merchant.timezone);
  const w = new BulkWrite(actor);
  let points = 0;
  for (const [memberId, list] of byMember) {
    const lots = earlierLots.get(memberId) ?? [];
    const firstOrderId = facts.get(memberId)!.first_order_id;
    for (const o of list) {
      const breakdown = pointsOrRefuse(() =>
        orderPoints(rules, {
          amountMinor: o.amount_minor,
          currencyDigits: minorDigits(o.currency),
          occurredAt: o.occurred_at,
          isFirstOrder: o.id === firstOrderId,
          tierPercent: 100,
          earnedSoFar: hasCaps ? soFar(lots, windows.at(o.occurred_at)) : { day: 0, month: 0, lifetime: 0 },
        }),
      );
      if (breakdown.points <= 0) continue;
      w.earn(o, breakdown.points, { breakdown }, rules);
      if (hasCaps) lots.push({ earnedAt: o.occurred_at.getTime(), points: breakdown.points });
      points += breakdown.points;
    }
  }
  await w.flush(trx, merchantId);

  const fallback = await oneByOne(trx, merchantId, fallbackOrders, actor);
  return { points: points + fallback.points, fallback: fallback.fallback };
}

async function oneByOne(trx: Trx, merchantId: string, orders: readonly Order[], actor: Actor): Promise<HistoricalEarning> {
  let points = 0;
  for (const o of orders) points += await earnRecordedOrder(trx, merchantId, o, actor);
  return { points, fallback: orders.length };
}

function seamIsKnown(): boolean {
  return seam.programs.every((p) => (!p.on?.orderRecorded || KNOWN.orderRecorded.has(p.name)) && (!p.earning || KNOWN.earning.has(p.name)));
}

/**
 * What decides, per member, whether this path can earn their orders (see the function's comment) and their first
 * order. The programs' facts mirror their earning columns: tiersRelevantSql (tiers), offerEarningPercentSql over the
 * batch's span (offers), programHoldoutSql / heldOutFromRow (the loyalty holdout).
 */
async function readMemberFacts(trx: Trx, merchantId: string, memberIds: string[], from: Date, to: Date, firstOrders: boolean): Promise<MemberFacts[]> {
  // The first order only matters to a first-order bonus; read per member from orders_member_idx (the first of its
  // (occurred_at) ties by id), not by sorting all of the batch's members' orders, which grow with their history.
  const firsts = firstOrders
    ? sql`left join lateral (select o.id from orders o where o.merchant_id = mem.merchant_id and o.member_id = mem.id
        order by o.occurred_at, o.id limit 1) f on true`
    : sql`left join (select null::text as id) f on true`;
  const res = await sql<MemberFacts>`
    with hx as (select id, status from experiments where merchant_id = ${merchantId} and kind = 'loyalty_program')
    select mem.id as member_id, mem.status,
      (exists (select 1 from tiers where merchant_id = ${merchantId})
        or exists (select 1 from member_tiers mt where mt.merchant_id = ${merchantId} and mt.member_id = mem.id
                   and (mt.tier_id is not null or mt.pin_tier_id is not null))) as tiers,
      exists (select 1 from offer_claims c where c.merchant_id = ${merchantId} and c.member_id = mem.id and c.multiplier_percent is not null
              and c.claimed_at <= ${to} and c.multiplier_until > ${from}) as multiplier,
      (not exists (select 1 from hx where hx.status = 'active') or a.arm is not null) as arm_known,
      coalesce(exists (select 1 from hx where hx.status = 'active') and r.is_control, false) as control,
      f.id as first_order_id
    from members mem
    left join experiment_assignments a on a.merchant_id = mem.merchant_id and a.member_id = mem.id and a.experiment_id = (select id from hx)
    left join experiment_arms r on r.merchant_id = a.merchant_id and r.experiment_id = a.experiment_id and r.arm = a.arm
    ${firsts}
    where mem.merchant_id = ${merchantId} and mem.id = any(${memberIds}::text[])`.execute(trx);
  return res.rows;
}

interface CapLot {
  earnedAt: number;
  points: number;
}

/** The lots the caps count (orders and custom events), per member: what `earnedSoFar` sums one by one. */
async function readCapLots(trx: Trx, merchantId: string, memberIds: string[]): Promise<Map<string, CapLot[]>> {
  const out = new Map<string, CapLot[]>();
  if (memberIds.length === 0) return out;
  const rows = await trx
    .selectFrom("point_lots")
    .select(["member_id", "earned_at", "points"])
    .where("merchant_id", "=", merchantId)
    .where(sql<boolean>`member_id = any(${memberIds}::text[])`)
    .where("source", "in", ["order", "event"])
    .execute();
  for (const r of rows) {
    const lot = { earnedAt: r.earned_at.getTime(), points: r.points };
    const list = out.get(r.member_id);
    if (list) list.push(lot);
    else out.set(r.member_id, [lot]);
  }
  return out;
}

/**
 * `capWindowStarts` per instant, remembered: a batch's orders share few instants (an imported date is midnight in the
 * merchant's zone) and the zone arithmetic was most of the node time of earning a batch.
 */
class CapWindows {
  private seen = new Map<number, { day0: number; month0: number }>();

  constructor(private readonly timezone: string) {}

  at(at: Date): { day0: number; month0: number } {
    const key = at.getTime();
    let w = this.seen.get(key);
    if (!w) {
      const { dayStart, monthStart } = capWindowStarts(at, this.timezone);
      w = { day0: dayStart.getTime(), month0: monthStart.getTime() };
      this.seen.set(key, w);
    }
    return w;
  }
}

/** As `earnedSoFar`: every lot earned from the start of the order's local day / month on (later ones too), and ever. */
function soFar(lots: readonly CapLot[], { day0, month0 }: { day0: number; month0: number }): EarnedSoFar {
  const s = { day: 0, month: 0, lifetime: 0 };
  for (const l of lots) {
    s.lifetime += l.points;
    if (l.earnedAt >= month0) s.month += l.points;
    if (l.earnedAt >= day0) s.day += l.points;
  }
  return s;
}

/** The earnings of the batch, as earnLocked would post them one by one, posted together by the ledger. */
class BulkWrite {
  private inputs: EarnInput[] = [];

  constructor(private readonly actor: Actor) {}

  earn(order: Order, points: number, metadata: Record<string, unknown>, rules: EarningRules) {
    this.inputs.push(orderEarning(order, points, rules, metadata, this.actor));
  }

  async flush(trx: Trx, merchantId: string) {
    // No member here owes a debt (those fell back), so every earning starts from none.
    const debts = new Map(this.inputs.map((i) => [i.memberId, 0]));
    await earnManyLocked(trx, merchantId, debts, this.inputs);
  }
}
