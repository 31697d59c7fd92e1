import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { DomainError } from "~/lib/errors";
import { newId } from "~/lib/ids";
import { minorDigits } from "~/lib/money";
import { earnPosting, isMemberAccount, memberChange } from "~/domain/points/postings";
import { capWindowStarts, lotExpiresAt, orderPoints, pendingUntil, type EarnedSoFar, type EarningRules } from "~/domain/points/rules";
import { parseStoredRules } from "~/domain/points/rules.server";
import type { MemberBalance, Order } from "~db/schema";
import { pointsOrRefuse } from "./earning.server";
import { seam } from "./programs.server";
import { earnRecordedOrder, purchaseCurrencyRule } from "./purchase.server";

/**
 * Historical orders earned set-based (the CSV import's `--award-points` and the demo seed): the same ledger as
 * `earnRecordedOrder` called on each order in the given order (journals with their points, keys, descriptions and
 * breakdown; entries; lots with their pending and expiry dates; balances and lifetime totals), computed in memory per
 * member with the pure rules (`orderPoints`, `capWindowStarts`, `pendingUntil`, `lotExpiresAt`) and postings
 * (`earnPosting`), and written in a few bulk statements: the balances of the batch's members locked in one, journals,
 * entries and lots in one per chunk, the balances updated once per member.
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

/** Journals per write statement (each column is one array parameter, so this only bounds a statement's size). */
const CHUNK = 5000;

export interface HistoricalEarning {
  /** Points earned by all the orders. */
  points: number;
  /** Orders earned one by one (members that fell back). */
  fallback: number;
}

interface MemberFacts {
  member_id: string;
  status: string;
  debt: string;
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
  await lockBalances(trx, merchantId, memberIds);
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
  const facts = new Map((await readMemberFacts(trx, merchantId, memberIds, from, to)).map((f) => [f.member_id, f]));
  const withFacts = new Set(orders.filter((o) => o.refunded_minor > 0 || o.dispute_status !== "none").map((o) => o.member_id));

  const byMember = new Map<string, Order[]>();
  const fallbackOrders: Order[] = [];
  for (const o of orders) {
    const f = facts.get(o.member_id);
    if (!f) throw new DomainError("not_found", "Member not found", { field: "member" });
    if (f.tiers || f.multiplier || Number(f.debt) > 0 || withFacts.has(o.member_id) || !f.arm_known) {
      fallbackOrders.push(o);
      continue;
    }
    if (f.control || f.status === "deleted") continue;
    const list = byMember.get(o.member_id);
    if (list) list.push(o);
    else byMember.set(o.member_id, [o]);
  }

  const at = now();
  const hasCaps = rules.caps.perDay !== null || rules.caps.perMonth !== null || rules.caps.lifetime !== null;
  const earlierLots = hasCaps ? await readCapLots(trx, merchantId, [...byMember.keys()]) : new Map<string, CapLot[]>();
  const w = new BulkWrite(merchantId, actor, at);
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
          earnedSoFar: hasCaps ? soFar(lots, o.occurred_at, merchant.timezone) : { day: 0, month: 0, lifetime: 0 },
        }),
      );
      if (breakdown.points <= 0) continue;
      w.earn(o, breakdown.points, { breakdown }, rules);
      if (hasCaps) lots.push({ earnedAt: o.occurred_at.getTime(), points: breakdown.points });
      points += breakdown.points;
    }
  }
  await w.flush(trx);

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

async function lockBalances(trx: Trx, merchantId: string, memberIds: string[]): Promise<void> {
  const locked = await trx
    .selectFrom("member_balances")
    .select("member_id")
    .where("merchant_id", "=", merchantId)
    .where(sql<boolean>`member_id = any(${memberIds}::text[])`)
    .orderBy("member_id")
    .forUpdate()
    .execute();
  const have = new Set(locked.map((r) => r.member_id));
  const missing = memberIds.filter((m) => !have.has(m));
  if (missing.length === 0) return;
  // A concurrent first write may win a row: `on conflict do update` then waits for it and locks it, as lockBalance.
  try {
    await sql`insert into member_balances (merchant_id, member_id, updated_at)
      select ${merchantId}, u.member_id, ${now()} from unnest(${missing}::text[]) as u(member_id) order by u.member_id
      on conflict (merchant_id, member_id) do update set updated_at = member_balances.updated_at`.execute(trx);
  } catch (err) {
    if ((err as { code?: string }).code === "23503") throw new DomainError("not_found", "Member not found", { field: "member" });
    throw err;
  }
}

/**
 * What decides, per member, whether this path can earn their orders (see the function's comment) and their first
 * order. The programs' facts mirror their earning columns: tiersRelevantSql (tiers), offerEarningPercentSql over the
 * batch's span (offers), programHoldoutSql / heldOutFromRow (the loyalty holdout).
 */
async function readMemberFacts(trx: Trx, merchantId: string, memberIds: string[], from: Date, to: Date): Promise<MemberFacts[]> {
  const res = await sql<MemberFacts>`
    with hx as (select id, status from experiments where merchant_id = ${merchantId} and kind = 'loyalty_program'),
    firsts as (
      select distinct on (o.member_id) o.member_id, o.id from orders o
      where o.merchant_id = ${merchantId} and o.member_id = any(${memberIds}::text[])
      order by o.member_id, o.occurred_at, o.id)
    select mem.id as member_id, mem.status, coalesce(b.clawback_debt, 0) as debt,
      (exists (select 1 from tiers where merchant_id = ${merchantId})
        or exists (select 1 from member_tiers mt where mt.merchant_id = ${merchantId} and mt.member_id = mem.id
                   and (mt.tier_id is not null or mt.pin_tier_id is not null))) as tiers,
      exists (select 1 from offer_claims c where c.merchant_id = ${merchantId} and c.member_id = mem.id and c.multiplier_percent is not null
              and c.claimed_at <= ${to} and c.multiplier_until > ${from}) as multiplier,
      (not exists (select 1 from hx where hx.status = 'active') or a.arm is not null) as arm_known,
      coalesce(exists (select 1 from hx where hx.status = 'active') and r.is_control, false) as control,
      f.id as first_order_id
    from members mem
    left join member_balances b on b.merchant_id = mem.merchant_id and b.member_id = mem.id
    left join experiment_assignments a on a.merchant_id = mem.merchant_id and a.member_id = mem.id and a.experiment_id = (select id from hx)
    left join experiment_arms r on r.merchant_id = a.merchant_id and r.experiment_id = a.experiment_id and r.arm = a.arm
    left join firsts f on f.member_id = mem.id
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

/** As `earnedSoFar`: every lot earned from the start of the order's local day / month on (later ones too), and ever. */
function soFar(lots: readonly CapLot[], at: Date, timezone: string): EarnedSoFar {
  const { dayStart, monthStart } = capWindowStarts(at, timezone);
  const day0 = dayStart.getTime();
  const month0 = monthStart.getTime();
  const s = { day: 0, month: 0, lifetime: 0 };
  for (const l of lots) {
    s.lifetime += l.points;
    if (l.earnedAt >= month0) s.month += l.points;
    if (l.earnedAt >= day0) s.day += l.points;
  }
  return s;
}

/** The rows `earnLocked` + `postJournal` write for each earning, collected and written in bulk. */
class BulkWrite {
  private journals: { id: string; memberId: string; key: string; orderId: string; description: string; points: number; metadata: string; effectiveAt: Date }[] = [];
  private entries: { journalId: string; seq: number; account: string; memberId: string | null; lotId: string | null; amount: number }[] = [];
  private lots: { id: string; memberId: string; journalId: string; orderId: string; points: number; remaining: number; consumed: number; earnedAt: Date; pendingUntil: Date | null; releasedAt: Date | null; expiresAt: Date | null }[] = [];
  private balances = new Map<string, Pick<MemberBalance, "available" | "pending" | "lifetime_earned">>();

  constructor(
    private readonly merchantId: string,
    private readonly actor: Actor,
    private readonly at: Date,
  ) {}

  earn(order: Order, points: number, metadata: Record<string, unknown>, rules: EarningRules) {
    const journalId = newId("journal");
    const lotId = newId("lot");
    // No debt here (members with one fell back): nothing is settled, the metadata has no settledDebt.
    const posting = earnPosting({
      lotId,
      points,
      debt: 0,
      at: this.at,
      source: "order",
      orderId: order.id,
      earnedAt: order.occurred_at,
      pendingUntil: pendingUntil(rules, order.occurred_at),
      expiresAt: lotExpiresAt(rules, order.occurred_at),
    });
    const change = memberChange(posting.entries);
    this.journals.push({
      id: journalId,
      memberId: order.member_id,
      key: `order:${order.id}`,
      orderId: order.id,
      description: `Points for order #${order.external_order_id}`.slice(0, 500),
      points: change.net,
      metadata: JSON.stringify(metadata),
      effectiveAt: order.occurred_at,
    });
    posting.entries.forEach((e, seq) =>
      this.entries.push({ journalId, seq, account: e.account, memberId: isMemberAccount(e.account) ? order.member_id : null, lotId: e.lotId ?? null, amount: e.amount }),
    );
    const lot = posting.newLot!;
    this.lots.push({
      id: lot.id,
      memberId: order.member_id,
      journalId,
      orderId: order.id,
      points: lot.points,
      remaining: lot.remaining,
      consumed: lot.consumed,
      earnedAt: lot.earnedAt,
      pendingUntil: lot.pendingUntil,
      releasedAt: lot.releasedAt,
      expiresAt: lot.expiresAt,
    });
    const b = this.balances.get(order.member_id) ?? { available: 0, pending: 0, lifetime_earned: 0 };
    b.available += change.available;
    b.pending += change.pending;
    b.lifetime_earned += posting.earned ?? 0;
    this.balances.set(order.member_id, b);
  }

  async flush(trx: Trx) {
    const { merchantId, at } = this;
    for (let i = 0; i < this.journals.length; i += CHUNK) {
      const js = this.journals.slice(i, i + CHUNK);
      const ids = new Set(js.map((j) => j.id));
      const es = this.entries.filter((e) => ids.has(e.journalId));
      const ls = this.lots.filter((l) => ids.has(l.journalId));
      await sql`with j as (
          insert into ledger_journals (merchant_id, id, kind, source, member_id, idempotency_key, order_id, reverses_journal_id,
            description, points, reason, note, metadata, actor_type, actor_id, effective_at, created_at)
          select ${merchantId}, u.id, 'earn', 'order', u.member_id, u.key, u.order_id, null, u.description, u.points, null, null,
            u.metadata::jsonb, ${this.actor.type}, ${this.actor.id}, u.effective_at, ${at}
          from unnest(${js.map((j) => j.id)}::text[], ${js.map((j) => j.memberId)}::text[], ${js.map((j) => j.key)}::text[],
            ${js.map((j) => j.orderId)}::text[], ${js.map((j) => j.description)}::text[], ${js.map((j) => j.points)}::bigint[],
            ${js.map((j) => j.metadata)}::text[], ${js.map((j) => j.effectiveAt)}::timestamptz[])
            as u(id, member_id, key, order_id, description, points, metadata, effective_at)),
        e as (
          insert into ledger_entries (merchant_id, journal_id, seq, account, member_id, lot_id, amount, created_at)
          select ${merchantId}, u.journal_id, u.seq, u.account, u.member_id, u.lot_id, u.amount, ${at}
          from unnest(${es.map((e) => e.journalId)}::text[], ${es.map((e) => e.seq)}::smallint[], ${es.map((e) => e.account)}::text[],
            ${es.map((e) => e.memberId)}::text[], ${es.map((e) => e.lotId)}::text[], ${es.map((e) => e.amount)}::bigint[])
            as u(journal_id, seq, account, member_id, lot_id, amount))
        insert into point_lots (merchant_id, id, member_id, journal_id, source, order_id, points, remaining, consumed,
          earned_at, pending_until, released_at, expires_at, created_at)
        select ${merchantId}, u.id, u.member_id, u.journal_id, 'order', u.order_id, u.points, u.remaining, u.consumed,
          u.earned_at, u.pending_until, u.released_at, u.expires_at, ${at}
        from unnest(${ls.map((l) => l.id)}::text[], ${ls.map((l) => l.memberId)}::text[], ${ls.map((l) => l.journalId)}::text[],
          ${ls.map((l) => l.orderId)}::text[], ${ls.map((l) => l.points)}::bigint[], ${ls.map((l) => l.remaining)}::bigint[],
          ${ls.map((l) => l.consumed)}::bigint[], ${ls.map((l) => l.earnedAt)}::timestamptz[], ${ls.map((l) => l.pendingUntil)}::timestamptz[],
          ${ls.map((l) => l.releasedAt)}::timestamptz[], ${ls.map((l) => l.expiresAt)}::timestamptz[])
          as u(id, member_id, journal_id, order_id, points, remaining, consumed, earned_at, pending_until, released_at, expires_at)`.execute(trx);
    }
    if (this.balances.size === 0) return;
    const bs = [...this.balances];
    // Every earning is activity: the inactivity clock restarts (postJournal's `last_activity_at`).
    await sql`update member_balances b set
        available = b.available + u.available, pending = b.pending + u.pending,
        lifetime_earned = b.lifetime_earned + u.earned, last_activity_at = ${at}, updated_at = ${at}
      from unnest(${bs.map(([m]) => m)}::text[], ${bs.map(([, b]) => b.available)}::bigint[], ${bs.map(([, b]) => b.pending)}::bigint[],
        ${bs.map(([, b]) => b.lifetime_earned)}::bigint[]) as u(member_id, available, pending, earned)
      where b.merchant_id = ${merchantId} and b.member_id = u.member_id`.execute(trx);
  }
}
