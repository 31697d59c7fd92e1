import type { TaskList } from "graphile-worker";
import { pruneLoginThrottle } from "~/auth/throttle.server";
import { db } from "~/db.server";

/** Deletes login-throttle rows that have been idle past the failure memory (app/auth/throttle.server.ts). */
export const LOGIN_THROTTLE_PRUNE_TASK = "login_throttle_prune";

/** Hourly: rows live at most about two hours after their last attempt; jobKey keeps at most one queued run. */
export const LOGIN_THROTTLE_CRONTAB = `47 * * * * ${LOGIN_THROTTLE_PRUNE_TASK} ?max=3&jobKey=${LOGIN_THROTTLE_PRUNE_TASK}`;

export function loginThrottleTasks(): TaskList {
  return {
    [LOGIN_THROTTLE_PRUNE_TASK]: async (_payload, helpers) => {
      const deleted = await pruneLoginThrottle(db());
      helpers.logger.debug(`${LOGIN_THROTTLE_PRUNE_TASK}: ${deleted} rows deleted`);
    },
  };
}
