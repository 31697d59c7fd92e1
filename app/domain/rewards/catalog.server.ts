import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import type { Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { liabilityMinor } from "~/domain/points/rules";
import { getEarningRules } from "~/domain/points/rules.server";
import { DomainError } from "~/lib/errors";
import { isId, newId } from "~/lib/ids";
import type { Reward, RewardRedemption } from "~db/schema";
import { RewardInputSchema, type RewardInput } from "./schemas";

/** The catalog: staff edit it (audited), members browse it. All functions run inside the caller's tenant transaction. */

export async function listRewards(trx: Trx, merchantId: string, opts: { includeArchived?: boolean } = {}): Promise<Reward[]> {
  let q = trx.selectFrom("rewards").selectAll().where("merchant_id", "=", merchantId);
  if (!opts.includeArchived) q = q.where("status", "=", "active");
  return q.orderBy("points_cost").orderBy("id").execute();
}

export async function getReward(trx: Trx, merchantId: string, rewardId: string): Promise<Reward> {
  if (!isId("reward", rewardId)) throw new DomainError("not_found", "Reward not found", { field: "reward_id" });
  const r = await trx.selectFrom("rewards").selectAll().where("merchant_id", "=", merchantId).where("id", "=", rewardId).executeTakeFirst();
  if (!r) throw new DomainError("not_found", "Reward not found", { field: "reward_id" });
  return r;
}

function columns(input: RewardInput) {
  return {
    name: input.name,
    description: input.description,
    kind: input.kind,
    points_cost: input.pointsCost,
    discount_minor: input.discountMinor,
    percent_off: input.percentOff,
    min_order_minor: input.minOrderMinor,
    max_discount_minor: input.maxDiscountMinor,
    product_name: input.productName,
    cost_minor: input.costMinor,
    min_tier_id: input.minTierId,
    limit_count: input.limitCount,
    limit_period: input.limitPeriod,
    code_valid_days: input.codeValidDays,
    starts_at: input.startsAt,
    ends_at: input.endsAt,
  };
}

export async function createReward(trx: Trx, merchantId: string, raw: unknown, actor: Actor): Promise<Reward> {
  const input = RewardInputSchema.parse(raw);
  const row = await insertReward(trx, merchantId, input);
  await recordAudit(trx, merchantId, actor, "reward.created", { type: "reward", id: row.id }, { after: input });
  return row;
}

/** createReward without its audit entry, for the demo seed (whose one audit entry records the whole seeding). */
export async function insertReward(trx: Trx, merchantId: string, raw: unknown): Promise<Reward> {
  const input = RewardInputSchema.parse(raw);
  return trx
    .insertInto("rewards")
    .values({ merchant_id: merchantId, id: newId("reward"), ...columns(input), stock_total: input.stockTotal, stock_remaining: input.stockTotal })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Updates a reward. Issued codes keep the values they were issued with (redemptions snapshot them). Changing the
 * stock total moves the remaining stock by the same difference (never below zero), so units already taken stay taken.
 */
export async function updateReward(trx: Trx, merchantId: string, rewardId: string, raw: unknown, actor: Actor): Promise<Reward> {
  const input = RewardInputSchema.parse(raw);
  const before = await trx.selectFrom("rewards").selectAll().where("merchant_id", "=", merchantId).where("id", "=", rewardId).forUpdate().executeTakeFirst();
  if (!before) throw new DomainError("not_found", "Reward not found", { field: "reward_id" });
  const taken = before.stock_total === null ? 0 : before.stock_total - (before.stock_remaining ?? 0);
  const row = await trx
    .updateTable("rewards")
    .set({
      ...columns(input),
      stock_total: input.stockTotal,
      stock_remaining: input.stockTotal === null ? null : Math.max(0, input.stockTotal - taken),
      updated_at: now(),
    })
    .where("merchant_id", "=", merchantId)
    .where("id", "=", rewardId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(trx, merchantId, actor, "reward.updated", { type: "reward", id: rewardId }, { before, after: input });
  return row;
}

export async function setRewardStatus(trx: Trx, merchantId: string, rewardId: string, status: "active" | "archived", actor: Actor): Promise<void> {
  const r = await trx
    .updateTable("rewards")
    .set({ status, updated_at: now() })
    .where("merchant_id", "=", merchantId)
    .where("id", "=", rewardId)
    .returning("id")
    .executeTakeFirst();
  if (!r) throw new DomainError("not_found", "Reward not found", { field: "reward_id" });
  await recordAudit(trx, merchantId, actor, status === "archived" ? "reward.archived" : "reward.restored", { type: "reward", id: rewardId });
}

/** Staff hand a gift over: issued → fulfilled, once (audited). The gift's cost (if set) is what it cost, now. */
export async function fulfilGift(trx: Trx, merchantId: string, redemptionId: string, actor: Actor): Promise<RewardRedemption> {
  const r = await trx
    .updateTable("reward_redemptions")
    .set({ status: "fulfilled", fulfilled_at: now(), fulfilled_by: actor.id, applied_minor: sql`cost_minor`, updated_at: now() })
    .where("merchant_id", "=", merchantId)
    .where("id", "=", redemptionId)
    .where("kind", "=", "gift")
    .where("status", "=", "issued")
    .returningAll()
    .executeTakeFirst();
  if (!r) throw new DomainError("conflict", "This gift is not waiting to be fulfilled", { field: "redemptionId" });
  await recordAudit(trx, merchantId, actor, "reward.gift_fulfilled", { type: "redemption", id: redemptionId }, { after: { memberId: r.member_id } });
  return r;
}

export interface RedemptionLogRow extends RewardRedemption {
  member_email: string;
  member_name: string | null;
}

export async function redemptionLog(trx: Trx, merchantId: string, opts: { limit?: number; rewardId?: string } = {}): Promise<RedemptionLogRow[]> {
  let q = trx
    .selectFrom("reward_redemptions as r")
    .innerJoin("members as m", (j) => j.onRef("m.merchant_id", "=", "r.merchant_id").onRef("m.id", "=", "r.member_id"))
    .selectAll("r")
    .select(["m.email as member_email", "m.name as member_name"])
    .where("r.merchant_id", "=", merchantId);
  if (opts.rewardId) q = q.where("r.reward_id", "=", opts.rewardId);
  return q.orderBy("r.created_at", "desc").orderBy("r.id", "desc").limit(opts.limit ?? 100).execute();
}

export async function memberRedemptions(trx: Trx, merchantId: string, memberId: string, limit = 100): Promise<RewardRedemption[]> {
  return trx
    .selectFrom("reward_redemptions")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(limit)
    .execute();
}

/** How a member-facing list labels a redemption: used / unused / expired / pending / fulfilled / void. */
export function redemptionState(r: Pick<RewardRedemption, "status" | "expires_at">, at: Date = now()): "unused" | "used" | "expired" | "pending" | "fulfilled" | "void" {
  if (r.status === "issued") return r.expires_at && r.expires_at <= at ? "expired" : "unused";
  return r.status;
}

export interface RewardLiability {
  rewardId: string;
  name: string;
  kind: Reward["kind"];
  stockTotal: number | null;
  stockRemaining: number | null;
  redeemed: number;
  /** Issued and not yet used, fulfilled or expired (pending included). */
  outstanding: number;
  outstandingPoints: number;
  /** outstandingPoints at the earning rules' point value. */
  outstandingValueMinor: number;
}

/** Per reward: how much was redeemed and what is still owed to members (unused codes, gifts to hand over). */
export async function liabilityByReward(trx: Trx, merchantId: string): Promise<RewardLiability[]> {
  const rules = await getEarningRules(trx, merchantId);
  const rows = await sql<{
    id: string;
    name: string;
    kind: Reward["kind"];
    stock_total: number | null;
    stock_remaining: number | null;
    redeemed: number;
    outstanding: number;
    outstanding_points: number;
  }>`
    select w.id, w.name, w.kind, w.stock_total, w.stock_remaining,
      count(r.id) filter (where r.status <> 'void')::int as redeemed,
      count(r.id) filter (where r.status = 'pending' or (r.status = 'issued' and (r.expires_at is null or r.expires_at > ${now()})))::int as outstanding,
      coalesce(sum(r.points_spent) filter (where r.status = 'pending' or (r.status = 'issued' and (r.expires_at is null or r.expires_at > ${now()}))), 0)::bigint as outstanding_points
    from rewards w
    left join reward_redemptions r on r.merchant_id = w.merchant_id and r.reward_id = w.id
    where w.merchant_id = ${merchantId}
    group by w.merchant_id, w.id
    order by w.status, w.points_cost, w.id`.execute(trx);
  return rows.rows.map((r) => ({
    rewardId: r.id,
    name: r.name,
    kind: r.kind,
    stockTotal: r.stock_total,
    stockRemaining: r.stock_remaining,
    redeemed: r.redeemed,
    outstanding: r.outstanding,
    outstandingPoints: Number(r.outstanding_points),
    outstandingValueMinor: liabilityMinor(rules, Number(r.outstanding_points)),
  }));
}

/** The admin member page's rewards panel: the member's latest redemptions as display rows. */
export async function memberRewardsPanel(trx: Trx, merchantId: string, memberId: string, timezone: string) {
  const rows = await memberRedemptions(trx, merchantId, memberId, 20);
  const at = now();
  const fmt = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeZone: timezone });
  return rows.map((r) => ({ id: r.id, name: r.reward_name, source: r.source, points: r.points_spent, code: r.code, state: redemptionState(r, at), when: fmt.format(r.created_at) }));
}
