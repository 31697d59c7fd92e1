import { db, withTenant } from "~/db.server";
import { latestTierJob } from "~/domain/tiers/definitions.server";
import { tierCountsBasis, tierCountsPage } from "~/domain/tiers/summaries.server";
import { formatFigure, loadTierProgram } from "~/domain/tiers/tiers.server";

/** The admin's tiers page: the program, each threshold as the merchant reads it, members per tier (as of `asOf`), the last recompute job. */
export async function tiersPage(merchant: { id: string; currency: string; timezone: string }) {
  const { program, job, counts } = await withTenant(db(), merchant.id, async (trx) => {
    const program = await loadTierProgram(trx, merchant.id);
    const job = await latestTierJob(trx, merchant.id);
    // Members per tier counts every member: read from the maintained summary (issue 14).
    return { program, job, counts: await tierCountsPage(trx, merchant.id, tierCountsBasis(program, job)) };
  });
  return {
    program: { settings: program.settings, tiers: program.tiers },
    thresholds: program.tiers.map((t) => formatFigure(program, t.threshold)),
    members: counts.members,
    asOf: counts.asOf.toISOString(),
    job,
    currency: merchant.currency,
    timezone: merchant.timezone,
  };
}
