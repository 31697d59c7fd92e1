import { EventEmitter } from "node:events";
import { sql } from "kysely";
import { runOnce, type WorkerEvents } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, withTenant, type DB } from "~/db.server";
import { closeTransports, type MailConfig } from "~/domain/email/delivery.server";
import { enqueueEmail } from "~/domain/email/outbox.server";
import { buildTaskList, jobsLogger, prepareJobsSchema, startWorker } from "~/jobs/worker.server";
import type { EmailMessage } from "~emails/index";
import { cloneDatabase, useDatabase, type ClonedDatabase } from "../../support/database-clones";
import { createTestMerchant, jobFor, startSmtpServer, uniqueAddress } from "../../support/email";
import { expectConsoleErrors } from "../../support/fail-on-console-error";
import { freePort } from "../../support/free-port";
import { testDb } from "../../support/db";

// A database of this file's own: the worker runs every job in its queue, and the worker's shared database holds the
// e-mails (and imports, Stripe syncs…) that earlier test files queued and nobody ran — under the full suite, hundreds
// of jobs ahead of this file's, which made "delivers the e-mail" slow enough to time out.
let clone: ClonedDatabase;
let restore: () => Promise<void>;
let ownerUrl: string;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let mail: MailConfig;
let owner: DB;
beforeAll(async () => {
  clone = await cloneDatabase(undefined, "jobs");
  ownerUrl = clone.ownerUrl;
  restore = await useDatabase(ownerUrl);
  await prepareJobsSchema(ownerUrl);
  smtp = await startSmtpServer();
  mail = { smtpUrl: smtp.url, from: "Perennial <no-reply@perennial.test>" };
  owner = createDb(ownerUrl, { role: null, max: 2 });
});
afterAll(async () => {
  closeTransports();
  await smtp?.close();
  await owner?.destroy();
  await restore?.();
  await clone?.drop();
});

const welcome = (to: string): EmailMessage => ({
  template: "welcome",
  to,
  props: { memberName: null, merchantName: "Worker Co", portalUrl: "https://perennial.test/p/worker-co" },
});

async function queue(to: string) {
  const m = await createTestMerchant(testDb(), "Worker Co");
  const emailId = await withTenant(testDb(), m.id, (trx) => enqueueEmail(trx, m.id, welcome(to)));
  const row = () => withTenant(testDb(), m.id, (trx) => trx.selectFrom("email_outbox").selectAll().where("id", "=", emailId).executeTakeFirstOrThrow());
  return { merchantId: m.id, emailId, row };
}

/**
 * Resolves when the worker reports the job with this key finished and written back to the database (graphile-worker's
 * job:complete), rejects with the task's error if it failed. No deadline of its own: the test's timeout is the only clock.
 */
function jobOutcomes(events: WorkerEvents) {
  const finished = new Map<string, unknown>();
  const waiting = new Map<string, (error: unknown) => void>();
  events.on("job:complete", ({ job, error }) => {
    if (!job.key) return;
    finished.set(job.key, error);
    waiting.get(job.key)?.(error);
  });
  return (key: string) =>
    new Promise<void>((resolve, reject) => {
      const settle = (error: unknown) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve());
      // The job may finish before the caller starts waiting (it runs as soon as its insert commits).
      if (finished.has(key)) settle(finished.get(key));
      else waiting.set(key, settle);
    });
}

describe("the job worker", () => {
  it("picks up a job added by enqueueEmail and delivers the e-mail", async () => {
    const events = new EventEmitter() as WorkerEvents;
    const jobDone = jobOutcomes(events);
    const worker = await startWorker({ ownerUrl, concurrency: 2, pollInterval: 100, mail: () => mail, events });
    try {
      const to = uniqueAddress();
      const e = await queue(to);
      await jobDone(`deliver_email:${e.emailId}`);
      expect(await e.row()).toMatchObject({ status: "sent", attempts: 1 });
      expect(smtp.to(to)).toHaveLength(1);
      expect(smtp.to(to)[0]!.raw).toMatch(/^Subject: Welcome to Worker Co rewards/m);
      // A completed job is removed from the queue (job:complete comes after that write).
      expect(await jobFor(owner, e.emailId)).toBeUndefined();
    } finally {
      await worker.stop();
    }
  });

  it("retries with backoff when SMTP is down, with the error on the job and the e-mail", async () => {
    const to = uniqueAddress();
    const e = await queue(to);
    const down: MailConfig = { smtpUrl: `smtp://127.0.0.1:${await freePort()}`, from: "x@perennial.test" };
    await runOnce({ connectionString: ownerUrl, taskList: buildTaskList({ mail: () => down }), logger: jobsLogger });
    // graphile-worker reports each failed attempt on stderr; that is expected here.
    expect(expectConsoleErrors().some((args) => String(args[0]).includes("ECONNREFUSED"))).toBe(true);

    const job = await jobFor(owner, e.emailId);
    expect(job).toMatchObject({ attempts: 1, last_error: expect.stringMatching(/ECONNREFUSED/) });
    const retryAt = await sql<{ later: boolean }>`
      select run_at > now() as later from graphile_worker._private_jobs where id = ${job!.id}::bigint`.execute(owner);
    expect(retryAt.rows[0]!.later).toBe(true);
    expect(await e.row()).toMatchObject({ status: "pending", attempts: 1, last_error: expect.stringMatching(/ECONNREFUSED/) });

    // The retry comes due and the server is back: delivered once.
    await sql`update graphile_worker._private_jobs set run_at = now() where id = ${job!.id}::bigint`.execute(owner);
    await runOnce({ connectionString: ownerUrl, taskList: buildTaskList({ mail: () => mail }), logger: jobsLogger });
    expect(await e.row()).toMatchObject({ status: "sent", attempts: 2, last_error: null });
    expect(smtp.to(to)).toHaveLength(1);
  });

  it("sends once when the same delivery job runs twice", async () => {
    const to = uniqueAddress();
    const e = await queue(to);
    await runOnce({ connectionString: ownerUrl, taskList: buildTaskList({ mail: () => mail }), logger: jobsLogger });
    // The same payload queued again (as a duplicate or manually re-run job would be).
    await sql`select graphile_worker.add_job('deliver_email', json_build_object('merchantId', ${e.merchantId}::text, 'emailId', ${e.emailId}::text))`.execute(owner);
    await runOnce({ connectionString: ownerUrl, taskList: buildTaskList({ mail: () => mail }), logger: jobsLogger });
    expect(smtp.to(to)).toHaveLength(1);
    expect(await e.row()).toMatchObject({ status: "sent", attempts: 1 });
  });
});
