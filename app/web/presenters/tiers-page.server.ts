import { db, withTenant } from "~/db.server";
import { latestTierJob } from "~/domain/tiers/definitions.server";
import { formatFigure, loadTierProgram } from "~/domain/tiers/tiers.server";

/** The admin's tiers page: the program, each threshold as the merchant reads it, members per tier, the last recompute job. */
export async function tiersPage(merchant: { id: string; currency: string }) {
  const { program, job, counts } = await withTenant(db(), merchant.id, async (trx) => ({
    program: await loadTierProgram(trx, merchant.id),
    job: await latestTierJob(trx, merchant.id),
    counts: await trx
      .selectFrom("member_tiers")
      .select(["tier_id", (eb) => eb.fn.countAll<string>().as("n")])
      .where("merchant_id", "=", merchant.id)
      .where("tier_id", "is not", null)
      .groupBy("tier_id")
      .execute(),
  }));
  return {
    program: { settings: program.settings, tiers: program.tiers },
    thresholds: program.tiers.map((t) => formatFigure(program, t.threshold)),
    members: Object.fromEntries(counts.map((c) => [c.tier_id!, Number(c.n)])),
    job,
    currency: merchant.currency,
  };
}
