import type { Task, TaskList } from "graphile-worker";
import { db, withTenant } from "~/db.server";
import { refreshCltvSummary } from "~/domain/cltv/summaries.server";
import { refreshExperimentSummaries } from "~/domain/incrementality/summaries.server";
import { refreshDashboardSummary } from "~/domain/merchants/dashboard.server";
import { refreshOfferSummaries } from "~/domain/offers/summaries.server";
import { refreshPointsSummary } from "~/domain/points/summaries.server";
import { refreshReferralSummary } from "~/domain/referrals/summaries.server";
import { refreshTierSummaryNow } from "~/domain/tiers/summaries.server";
import { SUMMARY_REFRESH_MINUTES } from "~/lib/summaries";

/**
 * The merchant-wide pages' summaries (issue 14): dashboard, CLTV page, incrementality reports and the program stats
 * pages (program, tiers, each offer and gift, referrals), recomputed from the raw
 * tables every SUMMARY_REFRESH_MINUTES for every merchant, so the pages read one small row each. Events the pages must
 * show at once do not wait for this: CLTV scoring writes its summary itself, and a page whose summary was computed
 * under other settings (margin, point value, arms, model, currency, time zone) recomputes it on view.
 */
export const SUMMARIES_REFRESH_TASK = "summaries_refresh";

/** jobKey keeps at most one queued run; a run that overlaps the next tick makes the tick wait. */
export const SUMMARIES_CRONTAB = `*/${SUMMARY_REFRESH_MINUTES} * * * * ${SUMMARIES_REFRESH_TASK} ?max=1&jobKey=${SUMMARIES_REFRESH_TASK}`;

export interface SummariesReport {
  merchants: number;
  experiments: number;
  failed: number;
}

/** One merchant's summaries, in one tenant transaction, all as of `at`. */
export async function refreshMerchantSummaries(merchant: { id: string; currency: string; timezone: string }, at: Date = new Date(), signal?: AbortSignal): Promise<{ experiments: number }> {
  return withTenant(db(), merchant.id, async (trx) => {
    await refreshDashboardSummary(trx, merchant, at);
    await refreshCltvSummary(trx, merchant.id, merchant.currency, at);
    await refreshPointsSummary(trx, merchant, at);
    await refreshTierSummaryNow(trx, merchant.id, at);
    await refreshOfferSummaries(trx, merchant.id, at);
    await refreshReferralSummary(trx, merchant, at);
    return { experiments: await refreshExperimentSummaries(trx, merchant.id, at, signal) };
  });
}

/**
 * Every merchant (or the ones given), each on its own: one merchant's failure is logged and the others go on. An
 * aborted `signal` (the worker shutting down) stops the run: what was not refreshed waits for the next run.
 */
export async function runSummariesRefresh(opts: { merchantIds?: readonly string[]; at?: Date; signal?: AbortSignal } = {}): Promise<SummariesReport> {
  let q = db().selectFrom("merchants").select(["id", "currency", "timezone"]).orderBy("id");
  if (opts.merchantIds) q = q.where("id", "in", [...opts.merchantIds]);
  const merchants = await q.execute();
  const report: SummariesReport = { merchants: merchants.length, experiments: 0, failed: 0 };
  for (const m of merchants) {
    try {
      report.experiments += (await refreshMerchantSummaries(m, opts.at ?? new Date(), opts.signal)).experiments;
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      report.failed++;
      console.error(`[jobs] ${SUMMARIES_REFRESH_TASK}: merchant ${m.id} failed (retried next run): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return report;
}

const refresh: Task = async (payload, helpers) => {
  const p = (payload ?? {}) as { merchantId?: string };
  let r: SummariesReport;
  try {
    r = await runSummariesRefresh({ ...(p.merchantId ? { merchantIds: [p.merchantId] } : {}), signal: helpers.abortSignal });
  } catch (err) {
    // Shutting down: the merchant in progress rolled back; the next run (every SUMMARY_REFRESH_MINUTES) redoes it.
    if (helpers.abortSignal?.aborted) return;
    throw err;
  }
  helpers.logger.debug(`${SUMMARIES_REFRESH_TASK}: ${r.merchants} merchants, ${r.experiments} experiments, ${r.failed} failed`);
};

export function summariesTasks(): TaskList {
  return { [SUMMARIES_REFRESH_TASK]: refresh };
}
