/**
 * An offer's or surprise gift's maintained counts (program_summaries, page 'offer', one row per experiment; issue 14):
 * eligible, treated and control members and the exposure events, counts over every assignment and event of the
 * experiment, kept as of `computedAt` so its page reads one row whatever the merchant's size. Computed by the raw
 * experimentCounts itself. The basis is the offer's or gift's status: archiving an offer or a gift's run finishing
 * makes the next view count afresh instead of waiting for the summaries job.
 */
import type { Trx } from "~/db.server";
import { now } from "~/lib/clock.server";
import { readProgramSummary, storeProgramSummaries } from "~db/program-summaries";
import { experimentCounts, type ExperimentCounts } from "./offers.server";

export interface OfferCountsBasis {
  status: string;
}

/** A running gift's counts move as it grants: its progress is part of the basis, so each poll counts afresh until it ends. */
export function giftCountsBasis(g: { status: string; done: number; failed: number }): OfferCountsBasis {
  return { status: g.status === "queued" || g.status === "running" ? `${g.status}:${g.done}:${g.failed}` : g.status };
}

/** The counts from the summary; computed (and stored) now when there is none under this basis. */
export async function offerCountsPage(trx: Trx, merchantId: string, experimentId: string, basis: OfferCountsBasis): Promise<{ counts: ExperimentCounts; asOf: Date }> {
  const row = await readProgramSummary<ExperimentCounts>(trx, merchantId, "offer", basis, experimentId);
  if (row) return { counts: row.data, asOf: row.computedAt };
  return refreshOfferCounts(trx, merchantId, experimentId, basis);
}

/** One experiment's counts, recomputed at `at` and stored. */
export async function refreshOfferCounts(trx: Trx, merchantId: string, experimentId: string, basis: OfferCountsBasis, at: Date = now()): Promise<{ counts: ExperimentCounts; asOf: Date }> {
  const counts = await experimentCounts(trx, merchantId, experimentId);
  await storeProgramSummaries(trx, merchantId, "offer", at, [{ subjectId: experimentId, basis, data: counts }]);
  return { counts, asOf: at };
}

/** The summaries job: every offer's and gift's counts at `at`, stored in one statement. */
export async function refreshOfferSummaries(trx: Trx, merchantId: string, at: Date = now()): Promise<number> {
  const offers = await trx.selectFrom("offers").select(["experiment_id", "status"]).where("merchant_id", "=", merchantId).execute();
  const gifts = await trx.selectFrom("surprise_gifts").select(["experiment_id", "status", "done", "failed"]).where("merchant_id", "=", merchantId).execute();
  const subjects = [...offers.map((o) => ({ id: o.experiment_id, basis: { status: o.status } })), ...gifts.map((g) => ({ id: g.experiment_id, basis: giftCountsBasis(g) }))];
  const rows = [];
  for (const s of subjects) rows.push({ subjectId: s.id, basis: s.basis, data: await experimentCounts(trx, merchantId, s.id) });
  await storeProgramSummaries(trx, merchantId, "offer", at, rows);
  return rows.length;
}
