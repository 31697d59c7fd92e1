import { adminPath } from "~/components/admin/use-admin";
import type { CatalogRow, LogRow } from "~/components/rewards/admin-tables";
import { formatDateTime } from "~/components/ui/format";
import { db, withTenant } from "~/db.server";
import { isHeldOutOfProgram } from "~/domain/experiments/assignment.server";
import { getMemberBalance } from "~/domain/points/balance.server";
import { liabilityByReward, listRewards, redemptionLog } from "~/domain/rewards/catalog.server";
import { rewardSummary } from "~/domain/rewards/notify.server";
import { tiersMemberMeets } from "~/domain/rewards/tier-check.server";
import { now } from "~/lib/clock.server";
import { formatMoney } from "~/lib/money";

/** The rewards pages: the admin's catalog with its liability and redemption log, and the member's catalog in the portal. */

type MerchantRef = { id: string; slug: string; currency: string; timezone: string };

/** The admin's catalog (archived rewards too) with what is outstanding per reward, and the last 50 redemptions. */
export async function adminRewardsPage(merchant: MerchantRef) {
  const { rewards, liability, log } = await withTenant(db(), merchant.id, async (trx) => ({
    rewards: await listRewards(trx, merchant.id, { includeArchived: true }),
    liability: await liabilityByReward(trx, merchant.id),
    log: await redemptionLog(trx, merchant.id, { limit: 50 }),
  }));
  const byReward = new Map(liability.map((l) => [l.rewardId, l]));
  const catalog: CatalogRow[] = rewards.map((r) => {
    const l = byReward.get(r.id);
    return {
      id: r.id,
      name: r.name,
      summary: r.kind === "points_discount" ? `${r.points_cost} points = ${formatMoney(r.discount_minor ?? 0, merchant.currency)} off, up to ${formatMoney(r.max_discount_minor ?? 0, merchant.currency)}` : rewardSummary(r, merchant.currency),
      pointsCost: r.points_cost,
      status: r.status,
      stock: r.stock_total === null ? "Unlimited" : `${r.stock_remaining} of ${r.stock_total} left`,
      redeemed: l?.redeemed ?? 0,
      outstanding: l?.outstanding ?? 0,
      liability: formatMoney(l?.outstandingValueMinor ?? 0, merchant.currency),
    };
  });
  const rows: LogRow[] = log.map((r) => ({
    id: r.id,
    when: formatDateTime(r.created_at, merchant.timezone),
    member: r.member_name ?? r.member_email,
    memberHref: adminPath(merchant.slug, `members/${r.member_id}`),
    reward: r.reward_name,
    source: r.source,
    points: r.points_spent,
    code: r.code,
    status: r.status,
    giftAwaiting: r.kind === "gift" && r.status === "issued",
  }));
  const totalLiability = formatMoney(liability.reduce((s, l) => s + l.outstandingValueMinor, 0), merchant.currency);
  return { catalog, rows, totalLiability };
}

/** The catalog for one member: what they can afford now, what is missing, and the reward they are confirming (if any). */
export async function portalRewardsPage(merchant: MerchantRef & { name: string }, memberId: string, confirmId: string | null) {
  const at = now();
  const view = await withTenant(db(), merchant.id, async (trx) => {
    // The balance first: its statement goes with the transaction's `begin` (withBegin).
    const balance = await getMemberBalance(trx, merchant.id, memberId);
    const heldOut = await isHeldOutOfProgram(trx, merchant.id, "loyalty_program", memberId);
    if (heldOut) return { heldOut, available: 0, rewards: [] };
    const all = (await listRewards(trx, merchant.id)).filter((r) => (!r.starts_at || r.starts_at <= at) && (!r.ends_at || r.ends_at > at));
    // One statement for every tier-restricted reward (it was one per reward).
    const met = await tiersMemberMeets(trx, merchant.id, memberId, all.flatMap((r) => (r.min_tier_id ? [r.min_tier_id] : [])));
    const rewards = all.map((r) => {
      const tierOk = !r.min_tier_id || met.has(r.min_tier_id);
      return {
        id: r.id,
        name: r.name,
        description: r.description,
        summary:
          r.kind === "points_discount"
            ? `${r.points_cost.toLocaleString("en-US")} points = ${formatMoney(r.discount_minor ?? 0, merchant.currency)} off at checkout, up to ${formatMoney(r.max_discount_minor ?? 0, merchant.currency)} per order`
            : rewardSummary(r, merchant.currency),
        pointsCost: r.points_cost,
        atCheckout: r.kind === "points_discount",
        soldOut: r.stock_remaining === 0,
        tierOk,
        missing: Math.max(0, r.points_cost - balance.available),
      };
    });
    return { heldOut, available: balance.available, rewards };
  });
  const confirming = view.rewards.find((r) => r.id === confirmId && !r.atCheckout) ?? null;
  return { slug: merchant.slug, programName: merchant.name, ...view, confirming };
}
