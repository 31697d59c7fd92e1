/**
 * The tiers page's maintained summary (program_summaries, page 'tiers'; issue 14): members per tier, a count over
 * every member's tier row, kept as of `computedAt` so the page reads one row whatever the merchant's size.
 * The basis is the program's tiers and its latest recompute job: saving the program or a recompute finishing (the
 * events that move many members at once) makes the next view compute the counts afresh instead of waiting.
 */
import type { Trx } from "~/db.server";
import { now } from "~/lib/clock.server";
import { readProgramSummary, storeProgramSummaries } from "~db/program-summaries";
import { latestTierJob, type TierJobView } from "./definitions.server";
import { loadTierProgram, type TierProgram } from "./tiers.server";

export interface TierCountsBasis {
  tierIds: string[];
  job: { id: string; status: string } | null;
}

export function tierCountsBasis(program: TierProgram, job: TierJobView | null): TierCountsBasis {
  return { tierIds: program.tiers.map((t) => t.id), job: job ? { id: job.id, status: job.status } : null };
}

/** The summaries job's refresh: the basis is the program and job as they stand. */
export async function refreshTierSummaryNow(trx: Trx, merchantId: string, at: Date = now()): Promise<void> {
  const basis = tierCountsBasis(await loadTierProgram(trx, merchantId), await latestTierJob(trx, merchantId));
  await refreshTierSummary(trx, merchantId, basis, at);
}

/** Members holding each tier (tier id → count), from member_tiers: the raw computation. */
export async function tierMemberCounts(trx: Trx, merchantId: string): Promise<Record<string, number>> {
  const counts = await trx
    .selectFrom("member_tiers")
    .select(["tier_id", (eb) => eb.fn.countAll<string>().as("n")])
    .where("merchant_id", "=", merchantId)
    .where("tier_id", "is not", null)
    .groupBy("tier_id")
    .execute();
  return Object.fromEntries(counts.map((c) => [c.tier_id!, Number(c.n)]));
}

/** Recomputes the counts at `at` and stores them under `basis`. */
export async function refreshTierSummary(trx: Trx, merchantId: string, basis: TierCountsBasis, at: Date = now()): Promise<{ members: Record<string, number>; asOf: Date }> {
  const members = await tierMemberCounts(trx, merchantId);
  await storeProgramSummaries(trx, merchantId, "tiers", at, [{ basis, data: members }]);
  return { members, asOf: at };
}

/** The counts from the summary; computed (and stored) now when there is none under this basis. */
export async function tierCountsPage(trx: Trx, merchantId: string, basis: TierCountsBasis): Promise<{ members: Record<string, number>; asOf: Date }> {
  const row = await readProgramSummary<Record<string, number>>(trx, merchantId, "tiers", basis);
  return row ? { members: row.data, asOf: row.computedAt } : refreshTierSummary(trx, merchantId, basis);
}
