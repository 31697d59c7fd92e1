import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, withTenant, type DB } from "~/db.server";
import { enqueueEmail, enqueuePlatformEmail, EMAIL_MAX_ATTEMPTS } from "~/domain/email/outbox.server";
import { prepareJobsSchema } from "~/jobs/worker.server";
import type { EmailMessage } from "~emails/index";
import { createTestMerchant, jobFor, uniqueAddress } from "../../support/email";
import { ownerUrl, testDb } from "../../support/db";

let owner: DB;
beforeAll(async () => {
  await prepareJobsSchema(ownerUrl);
  owner = createDb(ownerUrl, { role: null, max: 2 });
});
afterAll(async () => {
  await owner.destroy();
});

function welcome(to: string): EmailMessage {
  return { template: "welcome", to, props: { memberName: "Ada", merchantName: "Mail Co", portalUrl: "https://perennial.test/p/mail-co" } };
}

class Rollback extends Error {}

describe("enqueueEmail", () => {
  it("stores the rendered e-mail and its delivery job in the caller's transaction", async () => {
    const m = await createTestMerchant(testDb());
    const to = uniqueAddress();
    const id = await withTenant(testDb(), m.id, (trx) => enqueueEmail(trx, m.id, welcome(to)));

    const row = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("email_outbox").selectAll().where("id", "=", id).executeTakeFirstOrThrow());
    expect(row).toMatchObject({ merchant_id: m.id, template: "welcome", to_address: to, status: "pending", attempts: 0, subject: "Welcome to Mail Co rewards" });
    expect(row.html).toContain("https://perennial.test/p/mail-co");
    expect(row.text_body).toContain("https://perennial.test/p/mail-co");

    const job = await jobFor(owner, id);
    expect(job).toMatchObject({ task_identifier: "deliver_email", payload: { merchantId: m.id, emailId: id }, max_attempts: EMAIL_MAX_ATTEMPTS, attempts: 0 });
  });

  it("leaves neither the e-mail nor the job when the transaction rolls back", async () => {
    const m = await createTestMerchant(testDb());
    let id = "";
    await expect(
      withTenant(testDb(), m.id, async (trx) => {
        id = await enqueueEmail(trx, m.id, welcome(uniqueAddress()));
        throw new Rollback("the action failed after queuing");
      }),
    ).rejects.toBeInstanceOf(Rollback);
    expect(id).toMatch(/^eml_/);
    const rows = await withTenant(testDb(), m.id, (trx) => trx.selectFrom("email_outbox").select("id").where("id", "=", id).execute());
    expect(rows).toEqual([]);
    expect(await jobFor(owner, id)).toBeUndefined();
  });

  it("cannot write another merchant's outbox (Row Level Security)", async () => {
    const a = await createTestMerchant(testDb());
    const b = await createTestMerchant(testDb());
    await expect(withTenant(testDb(), b.id, (trx) => enqueueEmail(trx, a.id, welcome(uniqueAddress())))).rejects.toThrow(/row-level security/);
  });
});

describe("enqueuePlatformEmail", () => {
  const reset = (to: string): EmailMessage => ({
    template: "password-reset",
    to,
    props: { name: null, resetUrl: "https://perennial.test/reset-password/tok", expiresInMinutes: 60, audience: "staff", merchantName: null },
  });

  it("writes the platform outbox and the job (merchantId null) on its own", async () => {
    const to = uniqueAddress();
    const id = await enqueuePlatformEmail(testDb(), reset(to));
    const row = await testDb().selectFrom("platform_email_outbox").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ to_address: to, template: "password-reset", status: "pending", subject: "Reset your Perennial password" });
    expect(await jobFor(owner, id)).toMatchObject({ payload: { merchantId: null, emailId: id } });
  });

  it("joins the caller's transaction: rollback leaves nothing", async () => {
    let id = "";
    await expect(
      testDb()
        .transaction()
        .execute(async (trx) => {
          id = await enqueuePlatformEmail(trx, reset(uniqueAddress()));
          throw new Rollback();
        }),
    ).rejects.toBeInstanceOf(Rollback);
    expect(await testDb().selectFrom("platform_email_outbox").select("id").where("id", "=", id).executeTakeFirst()).toBeUndefined();
    expect(await jobFor(owner, id)).toBeUndefined();
  });
});

describe("the application role's access to graphile_worker", () => {
  it("can add jobs but not delete them, lock them or read the worker's migrations", async () => {
    const app = testDb();
    await expect(sql`delete from graphile_worker._private_jobs`.execute(app)).rejects.toThrow(/permission denied/);
    await expect(sql`select * from graphile_worker.migrations`.execute(app)).rejects.toThrow(/permission denied/);
    await expect(sql`select graphile_worker.permanently_fail_jobs(array[1]::bigint[], 'x')`.execute(app)).rejects.toThrow(/permission denied/);
  });

  it("is granted again idempotently", async () => {
    await prepareJobsSchema(ownerUrl);
    const id = await enqueuePlatformEmail(testDb(), {
      template: "welcome",
      to: uniqueAddress(),
      props: { memberName: null, merchantName: "X", portalUrl: "https://perennial.test/p/x" },
    });
    expect(await jobFor(owner, id)).toBeDefined();
  });
});
