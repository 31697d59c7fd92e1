import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { newId } from "~/lib/ids";
import { decide, qualificationWindows } from "~/domain/tiers/model";
import { loadTierProgram } from "~/domain/tiers/tiers.server";

const LADDER = [
  { name: "Bean", threshold: 2_500, earning_percent: 100, birthday_bonus: 0, exclusive_access: false, perks: "Member prices on beans" },
  { name: "Roast", threshold: 15_000, earning_percent: 125, birthday_bonus: 100, exclusive_access: false, perks: "Free oat milk\nEarly access to seasonal beans" },
  { name: "Reserve", threshold: 40_000, earning_percent: 150, birthday_bonus: 250, exclusive_access: true, perks: "A free bag of Reserve beans each quarter\nCupping evenings" },
];
const CHUNK = 500;

/**
 * The demo merchant's tiers (Bean, Roast, Reserve on calendar-year spend, 14 days' grace, one step down at a time)
 * and every member's first evaluation. Set-based — one figures query, the same `decide` as the live paths, bulk
 * inserts — so it stays fast for thousands of members. Called from the demo seed inside its tenant transaction.
 */
export async function seedDemoTiers(trx: Trx, merchantId: string, now: Date): Promise<void> {
  await trx.insertInto("tier_settings").values({ merchant_id: merchantId, basis: "spend", window: "calendar_year", grace_days: 14, downgrade: "one_step", updated_at: now }).execute();
  await trx
    .insertInto("tiers")
    .values(LADDER.map((t, i) => ({ merchant_id: merchantId, id: newId("tier"), rank: i + 1, created_at: now, updated_at: now, ...t })))
    .execute();
  const program = await loadTierProgram(trx, merchantId);
  const w = qualificationWindows(program.settings.window, now, program.timezone);
  const figures = await sql<{ member_id: string; cur: string; prev: string }>`
    select o.member_id,
      coalesce(sum(o.amount_minor - o.refunded_minor) filter (where o.occurred_at >= ${w.current.from} and o.occurred_at < ${w.current.to}), 0) as cur,
      coalesce(sum(o.amount_minor - o.refunded_minor) filter (where o.occurred_at >= ${w.previous!.from} and o.occurred_at < ${w.previous!.to}), 0) as prev
    from orders o
    where o.merchant_id = ${merchantId} and o.currency = ${program.currency} and o.dispute_status <> 'withdrawn'
      and not exists (
        select 1 from experiment_assignments a
        join experiments e on e.merchant_id = a.merchant_id and e.id = a.experiment_id and e.kind = 'loyalty_program' and e.status = 'active'
        join experiment_arms r on r.merchant_id = a.merchant_id and r.experiment_id = a.experiment_id and r.arm = a.arm and r.is_control
        where a.merchant_id = o.merchant_id and a.member_id = o.member_id)
    group by o.member_id`.execute(trx);
  const states = [];
  const history = [];
  for (const f of figures.rows) {
    const d = decide({ tiers: program.tiers, settings: program.settings, at: now, timezone: program.timezone, figures: { current: Number(f.cur), previous: Number(f.prev) }, state: null });
    if (!d.tierId) continue;
    states.push({ merchant_id: merchantId, member_id: f.member_id, tier_id: d.tierId, earned_tier_id: d.earnedTierId, valid_until: d.validUntil, since: now, evaluated_at: now, updated_at: now });
    history.push({
      merchant_id: merchantId,
      id: newId("tierHistory"),
      member_id: f.member_id,
      to_tier_id: d.tierId,
      to_name: program.tiers.find((t) => t.id === d.tierId)!.name,
      reason: "definition_change" as const,
      note: "Tiers introduced",
      actor_type: "system" as const,
      actor_id: "seed",
      at: now,
    });
  }
  for (let i = 0; i < states.length; i += CHUNK) {
    await trx.insertInto("member_tiers").values(states.slice(i, i + CHUNK)).execute();
    await trx.insertInto("tier_history").values(history.slice(i, i + CHUNK)).execute();
  }
}
