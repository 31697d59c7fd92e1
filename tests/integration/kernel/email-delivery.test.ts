import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTenant } from "~/db.server";
import { closeTransports, deliverEmail, describeDelivery, type MailConfig } from "~/domain/email/delivery.server";
import { enqueueEmail, enqueuePlatformEmail } from "~/domain/email/outbox.server";
import { prepareJobsSchema } from "~/jobs/worker.server";
import type { EmailMessage } from "~emails/index";
import { createTestMerchant, decodeQuotedPrintable, startSmtpServer, uniqueAddress } from "../../support/email";
import { freePort } from "../../support/free-port";
import { ownerUrl, testDb } from "../../support/db";

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let smtpConfig: MailConfig;
beforeAll(async () => {
  await prepareJobsSchema(ownerUrl);
  smtp = await startSmtpServer();
  smtpConfig = { smtpUrl: smtp.url, from: "Perennial <no-reply@perennial.test>" };
});
afterAll(async () => {
  closeTransports();
  await smtp.close();
});

function invitation(to: string): EmailMessage {
  return {
    template: "staff-invitation",
    to,
    props: { inviterName: "Grace", merchantName: "Mail Co", role: "analyst", acceptUrl: "https://perennial.test/invite/tok123", expiresInDays: 7 },
  };
}

async function queued(to = uniqueAddress()) {
  const m = await createTestMerchant(testDb());
  const emailId = await withTenant(testDb(), m.id, (trx) => enqueueEmail(trx, m.id, invitation(to)));
  const row = () => withTenant(testDb(), m.id, (trx) => trx.selectFrom("email_outbox").selectAll().where("id", "=", emailId).executeTakeFirstOrThrow());
  return { merchantId: m.id, emailId, to, row, payload: { merchantId: m.id, emailId } };
}

describe("deliverEmail over SMTP", () => {
  it("sends the stored message to a real SMTP server and marks it sent", async () => {
    const e = await queued();
    await expect(deliverEmail(testDb(), e.payload, { mail: smtpConfig, finalAttempt: false })).resolves.toBe("sent");

    const [mail, ...more] = smtp.to(e.to);
    expect(more).toEqual([]);
    expect(mail!.from).toBe("no-reply@perennial.test");
    expect(mail!.raw).toMatch(new RegExp(`^To: ${e.to}`, "m"));
    expect(mail!.raw).toMatch(/^Subject: Grace invited you to Mail Co on Perennial/m);
    const body = decodeQuotedPrintable(mail!.raw);
    expect(body).toContain("Content-Type: text/plain");
    expect(body).toContain("Content-Type: text/html");
    expect(body).toContain("https://perennial.test/invite/tok123");

    const row = await e.row();
    expect(row).toMatchObject({ status: "sent", attempts: 1, last_error: null });
    expect(row.sent_at).toBeInstanceOf(Date);
  });

  it("sends once when the job runs twice, one after the other or at the same time", async () => {
    const a = await queued();
    await deliverEmail(testDb(), a.payload, { mail: smtpConfig, finalAttempt: false });
    await expect(deliverEmail(testDb(), a.payload, { mail: smtpConfig, finalAttempt: false })).resolves.toBe("already-done");
    expect(smtp.to(a.to)).toHaveLength(1);

    const b = await queued();
    const outcomes = await Promise.all([1, 2, 3].map(() => deliverEmail(testDb(), b.payload, { mail: smtpConfig, finalAttempt: false })));
    expect(outcomes.sort()).toEqual(["already-done", "already-done", "sent"]);
    expect(smtp.to(b.to)).toHaveLength(1);
    expect(await b.row()).toMatchObject({ status: "sent", attempts: 1 });
  });

  it("records the error and throws (so the job is retried) while the SMTP server is down", async () => {
    const e = await queued();
    const down: MailConfig = { smtpUrl: `smtp://127.0.0.1:${await freePort()}`, from: "x@perennial.test" };
    await expect(deliverEmail(testDb(), e.payload, { mail: down, finalAttempt: false })).rejects.toThrow(/ECONNREFUSED/);
    expect(await e.row()).toMatchObject({ status: "pending", attempts: 1, last_error: expect.stringMatching(/ECONNREFUSED/) });

    await expect(deliverEmail(testDb(), e.payload, { mail: down, finalAttempt: true })).rejects.toThrow();
    expect(await e.row()).toMatchObject({ status: "failed", attempts: 2 });
    // A failed e-mail is final: a stray re-run does not resurrect it.
    await expect(deliverEmail(testDb(), e.payload, { mail: smtpConfig, finalAttempt: false })).resolves.toBe("already-done");
    expect(smtp.to(e.to)).toEqual([]);
  });

  it("recovers on a later attempt once the server is back", async () => {
    const e = await queued();
    const down: MailConfig = { smtpUrl: `smtp://127.0.0.1:${await freePort()}`, from: "x@perennial.test" };
    await expect(deliverEmail(testDb(), e.payload, { mail: down, finalAttempt: false })).rejects.toThrow();
    await expect(deliverEmail(testDb(), e.payload, { mail: smtpConfig, finalAttempt: false })).resolves.toBe("sent");
    expect(await e.row()).toMatchObject({ status: "sent", attempts: 2, last_error: null });
    expect(smtp.to(e.to)).toHaveLength(1);
  });
});

describe("deliverEmail without SMTP_URL", () => {
  const none: MailConfig = { smtpUrl: null, from: "Perennial <no-reply@perennial.test>" };

  it("keeps a merchant's e-mail for the Mailbox and prints nothing", async () => {
    const e = await queued();
    const lines: string[] = [];
    await expect(deliverEmail(testDb(), e.payload, { mail: none, finalAttempt: false, notice: (l) => lines.push(l) })).resolves.toBe("kept");
    expect(await e.row()).toMatchObject({ status: "kept", sent_at: null });
    expect(lines).toEqual([]);
  });

  it("keeps a platform e-mail and prints one line with its link, so an operator can reset a staff password", async () => {
    const to = uniqueAddress();
    const emailId = await enqueuePlatformEmail(testDb(), {
      template: "password-reset",
      to,
      props: { name: "Ada", resetUrl: "https://perennial.test/reset-password/abc", expiresInMinutes: 60, audience: "staff", merchantName: null },
    });
    const lines: string[] = [];
    await deliverEmail(testDb(), { merchantId: null, emailId }, { mail: none, finalAttempt: false, notice: (l) => lines.push(l) });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(to);
    expect(lines[0]).toContain("https://perennial.test/reset-password/abc");
    expect(lines[0]).not.toContain("\n");
    const row = await testDb().selectFrom("platform_email_outbox").select("status").where("id", "=", emailId).executeTakeFirstOrThrow();
    expect(row.status).toBe("kept");
    // Kept is final too.
    await expect(deliverEmail(testDb(), { merchantId: null, emailId }, { mail: none, finalAttempt: false, notice: (l) => lines.push(l) })).resolves.toBe("already-done");
    expect(lines).toHaveLength(1);
  });

  it("does nothing for an e-mail that no longer exists", async () => {
    const m = await createTestMerchant(testDb());
    await expect(deliverEmail(testDb(), { merchantId: m.id, emailId: "eml_aaaaaaaaaaaaaaaaaaaaaaaaaa" }, { mail: none, finalAttempt: false })).resolves.toBe("missing");
  });
});

describe("describeDelivery", () => {
  it("shows the SMTP server without credentials", () => {
    expect(describeDelivery({ smtpUrl: "smtps://user:secret@mail.example.com:465", from: "a@b.test" })).toEqual({
      mode: "smtp",
      server: "smtps://mail.example.com:465",
      from: "a@b.test",
    });
    expect(describeDelivery({ smtpUrl: null, from: "a@b.test" })).toEqual({ mode: "kept", from: "a@b.test" });
  });
});
