import { sql } from "kysely";
import { runOnce } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, withTenant, type DB } from "~/db.server";
import { closeTransports, type MailConfig } from "~/domain/email/delivery.server";
import { enqueueEmail } from "~/domain/email/outbox.server";
import { buildTaskList, jobsLogger, prepareJobsSchema, startWorker } from "~/jobs/worker.server";
import type { EmailMessage } from "~emails/index";
import { createTestMerchant, jobFor, startSmtpServer, uniqueAddress } from "../support/email";
import { expectConsoleErrors } from "../support/fail-on-console-error";
import { freePort } from "../support/free-port";
import { ownerUrl, testDb } from "../support/db";

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let mail: MailConfig;
let owner: DB;
beforeAll(async () => {
  await prepareJobsSchema(ownerUrl);
  smtp = await startSmtpServer();
  mail = { smtpUrl: smtp.url, from: "Perennial <no-reply@perennial.test>" };
  owner = createDb(ownerUrl, { role: null, max: 2 });
});
afterAll(async () => {
  closeTransports();
  await smtp.close();
  await owner.destroy();
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

async function waitFor<T>(probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the job worker", () => {
  it("picks up a job added by enqueueEmail and delivers the e-mail", async () => {
    const worker = await startWorker({ ownerUrl, concurrency: 2, pollInterval: 100, mail: () => mail });
    try {
      const to = uniqueAddress();
      const e = await queue(to);
      const row = await waitFor(async () => {
        const r = await e.row();
        return r.status === "sent" ? r : undefined;
      });
      expect(row.attempts).toBe(1);
      expect(smtp.to(to)).toHaveLength(1);
      expect(smtp.to(to)[0]!.raw).toMatch(/^Subject: Welcome to Worker Co rewards/m);
      // A completed job is removed from the queue.
      await waitFor(async () => ((await jobFor(owner, e.emailId)) ? undefined : true));
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
