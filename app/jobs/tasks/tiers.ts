import type { Task, TaskList } from "graphile-worker";
import { TIERS_REEVALUATE_TASK, type TierJobPayload } from "~/domain/tiers/definitions.server";
import { runNightlyTiers, runTierReevaluation } from "~/domain/tiers/jobs.server";

/** Tier tasks: thin wrappers over app/domain/tiers/jobs.server.ts. */

export const TIERS_TASKS = { nightly: "tiers_nightly", reevaluate: TIERS_REEVALUATE_TASK } as const;

/**
 * Hourly, each run doing the merchants whose local time is between 00:00 and 01:00: once a day per merchant, right
 * after its local midnight, so calendar-year downgrades happen on 1 January in the merchant's zone.
 */
export const TIERS_CRONTAB = `5 * * * * ${TIERS_TASKS.nightly} ?max=3&jobKey=${TIERS_TASKS.nightly}`;

const nightly: Task = async (_payload, helpers) => {
  const r = await runNightlyTiers(undefined, { localHour: 0 });
  helpers.logger.debug(`${TIERS_TASKS.nightly}: ${r.members} members, ${r.changed} changed, ${r.emails} e-mails, ${r.failed} failed`);
};

const reevaluate: Task = async (payload, helpers) => {
  const p = payload as TierJobPayload;
  const r = await runTierReevaluation(p.merchantId, p.jobId);
  if (r) helpers.logger.debug(`${TIERS_TASKS.reevaluate}: ${r.members} members, ${r.changed} changed, ${r.failed} failed`);
};

export function tiersTasks(): TaskList {
  return { [TIERS_TASKS.nightly]: nightly, [TIERS_TASKS.reevaluate]: reevaluate };
}
