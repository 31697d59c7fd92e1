import type { Task, TaskList } from "graphile-worker";
import {
  runBirthdays,
  runEarnedDigest,
  runExpiringSoonEmails,
  runInactivityExpiry,
  runReleaseAndExpiry,
  type JobOptions,
  type JobReport,
} from "~/domain/flows/schedules.server";

/**
 * The points ledger's scheduled tasks: thin wrappers over app/domain/flows/schedules.server.ts. Each run does all
 * the work that is due at that moment; a member that fails is logged and picked up by the next run, so a task only
 * throws (and is retried by graphile-worker) when the run as a whole could not work (database down).
 */

export const POINTS_TASKS = {
  release: "points_release",
  expireInactive: "points_expire_inactive",
  birthdays: "points_birthdays",
  expiringSoon: "points_expiring_soon",
  earnedDigest: "points_earned_digest",
} as const;

// E-mails go out in the merchant's daytime only; the runs at night skip that merchant until its morning.
const DAYTIME: JobOptions = { sendingHours: { from: 9, to: 21 } };

/**
 * Cron lines (graphile-worker crontab syntax; times are UTC, the jobs work in each merchant's own zone). Hourly runs
 * cover every zone's "today"; jobKey keeps at most one queued run per task when the worker falls behind.
 */
export const POINTS_CRONTAB = [
  `*/5 * * * * ${POINTS_TASKS.release} ?max=3&jobKey=${POINTS_TASKS.release}`,
  `17 * * * * ${POINTS_TASKS.expireInactive} ?max=3&jobKey=${POINTS_TASKS.expireInactive}`,
  `7 * * * * ${POINTS_TASKS.birthdays} ?max=3&jobKey=${POINTS_TASKS.birthdays}`,
  `37 * * * * ${POINTS_TASKS.expiringSoon} ?max=3&jobKey=${POINTS_TASKS.expiringSoon}`,
  `47 * * * * ${POINTS_TASKS.earnedDigest} ?max=3&jobKey=${POINTS_TASKS.earnedDigest}`,
].join("\n");

function task(name: string, run: () => Promise<JobReport>): Task {
  return async (_payload, helpers) => {
    const r = await run();
    helpers.logger.debug(`${name}: ${r.members} members, ${r.points} points, ${r.emails} e-mails, ${r.failed} failed`);
  };
}

export function pointsTasks(): TaskList {
  return {
    [POINTS_TASKS.release]: task(POINTS_TASKS.release, () => runReleaseAndExpiry()),
    [POINTS_TASKS.expireInactive]: task(POINTS_TASKS.expireInactive, () => runInactivityExpiry()),
    [POINTS_TASKS.birthdays]: task(POINTS_TASKS.birthdays, () => runBirthdays()),
    [POINTS_TASKS.expiringSoon]: task(POINTS_TASKS.expiringSoon, () => runExpiringSoonEmails(undefined, DAYTIME)),
    [POINTS_TASKS.earnedDigest]: task(POINTS_TASKS.earnedDigest, () => runEarnedDigest(undefined, DAYTIME)),
  };
}
