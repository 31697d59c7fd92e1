import type { TaskList } from "graphile-worker";
import { runNightlyCltv } from "~/domain/cltv/score.server";

/**
 * Nightly CLTV refit + rescore of every merchant (app/domain/cltv/score.server.ts). Idempotent: each merchant's
 * run is keyed by the UTC date, so a retried or duplicated job leaves the first night's model in place.
 */
export const CLTV_NIGHTLY_TASK = "cltv_nightly";

/** 03:23 UTC, after the day's orders are in; jobKey keeps at most one queued run. */
export const CLTV_CRONTAB = `23 3 * * * ${CLTV_NIGHTLY_TASK} ?max=3&jobKey=${CLTV_NIGHTLY_TASK}`;

export function cltvTasks(): TaskList {
  return {
    [CLTV_NIGHTLY_TASK]: async (_payload, helpers) => {
      const r = await runNightlyCltv();
      helpers.logger.debug(`${CLTV_NIGHTLY_TASK}: ${r.merchants} merchants, ${r.scored} scored, ${r.skipped} skipped, ${r.failed} failed`);
    },
  };
}
