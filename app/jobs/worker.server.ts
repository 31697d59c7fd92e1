import { Logger, parseCrontab, run, type LogFunctionFactory, type TaskList, type WorkerEvents } from "graphile-worker";
import pg from "pg";
import { closeTransports, type MailConfig } from "~/domain/email/delivery.server";
import { DELIVER_EMAIL_TASK } from "~/domain/email/outbox.server";
import { env } from "~/lib/env.server";
import { deliverEmailTask } from "./tasks/deliver-email";
import { POINTS_CRONTAB, pointsTasks } from "./tasks/points-jobs";
import { IMPORT_ORDERS_TASK } from "~/domain/imports/import.server";
import { importOrdersTask } from "./tasks/import-orders";
import { REWARD_STRIPE_TASK } from "~/domain/rewards/stripe-sync.server";
import { rewardStripeTask } from "./tasks/reward-stripe";
import { CLTV_CRONTAB, cltvTasks } from "./tasks/cltv";
import { TIERS_CRONTAB, tiersTasks } from "./tasks/tiers";
import { offersTasks } from "./tasks/offers";
import { REFERRALS_CRONTAB, referralsTasks } from "./tasks/referrals";
import { LOGIN_THROTTLE_CRONTAB, loginThrottleTasks } from "./tasks/login-throttle";
import { SUMMARIES_CRONTAB, summariesTasks } from "./tasks/summaries";

export { prepareJobsSchema } from "./schema.server";

/**
 * Background jobs (graphile-worker). The worker connects as the database owner because it manages its own schema;
 * task bodies use `db()` — the application role, tenant-scoped with withTenant — like every other code path.
 */

/** Every task the worker runs. `mail` overrides the SMTP settings from the environment (tests). */
export function buildTaskList(opts: { mail?: () => MailConfig } = {}): TaskList {
  return {
    [DELIVER_EMAIL_TASK]: deliverEmailTask(opts.mail),
    [IMPORT_ORDERS_TASK]: importOrdersTask(),
    ...pointsTasks(),
    [REWARD_STRIPE_TASK]: rewardStripeTask(),
    ...cltvTasks(),
    ...tiersTasks(),
    ...offersTasks(),
    ...referralsTasks(),
    ...loginThrottleTasks(),
    ...summariesTasks(),
  };
}

/** Scheduled tasks (graphile-worker crontab syntax), one block per feature. */
export const CRONTAB = [POINTS_CRONTAB, CLTV_CRONTAB, TIERS_CRONTAB, REFERRALS_CRONTAB, LOGIN_THROTTLE_CRONTAB, SUMMARIES_CRONTAB].join("\n");

// graphile-worker logs every job start and finish at "info": that is debug detail here. Failures go to stderr.
const logFactory: LogFunctionFactory = (scope) => (level, message) => {
  const line = `[jobs]${scope.taskIdentifier ? ` ${scope.taskIdentifier}` : ""} ${message}`;
  if (level === "error") console.error(line);
  else if (level === "warning") console.warn(line);
  else if (env().LOG_LEVEL === "debug") console.log(line);
};
export const jobsLogger = new Logger(logFactory);

export interface StartedWorker {
  stop(): Promise<void>;
}

/** Starts the job worker in this process. `stop()` waits for running jobs to finish. */
export async function startWorker(opts: {
  ownerUrl: string;
  concurrency?: number;
  pollInterval?: number;
  mail?: () => MailConfig;
  /** Receives graphile-worker's events (job:complete, …), so a caller can wait on a job instead of polling. */
  events?: WorkerEvents;
}): Promise<StartedWorker> {
  const concurrency = opts.concurrency ?? 4;
  // Our own pool, so an idle connection dropped by the server (restart, shutdown) is logged, not an unhandled
  // 'error' event that kills the process.
  const pool = new pg.Pool({ connectionString: opts.ownerUrl, max: concurrency + 2, application_name: "perennial-worker" });
  pool.on("error", (err) => console.warn(`[jobs] idle database connection lost: ${err.message}`));
  let runner;
  try {
    runner = await run({
      pgPool: pool,
      concurrency,
      pollInterval: opts.pollInterval ?? 2000,
      taskList: buildTaskList({ mail: opts.mail }),
      parsedCronItems: parseCrontab(CRONTAB),
      logger: jobsLogger,
      events: opts.events,
      // The entry points own SIGINT/SIGTERM and call stop() in their orderly shutdown.
      noHandleSignals: true,
    });
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      // stop() resolves when jobs are done; `promise` when the worker pool has released its connections too.
      stopped ??= runner.stop().then(() => runner.promise.catch(() => {})).finally(async () => {
        closeTransports();
        await pool.end().catch(() => {});
      });
      return stopped;
    },
  };
}
