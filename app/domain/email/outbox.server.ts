import { sql } from "kysely";
import { renderEmail, type EmailMessage } from "~emails/index";
import type { DB, Trx } from "~/db.server";
import { newId } from "~/lib/ids";

/**
 * Transactional outbox. An e-mail is rendered and stored in the caller's transaction together with the job that
 * delivers it, so a rolled-back action sends nothing and a committed one is always delivered (or kept for the
 * in-app Mailbox when no SMTP server is configured).
 */

export const DELIVER_EMAIL_TASK = "deliver_email";
/** graphile-worker retries with exponential backoff; after the last attempt the e-mail is marked 'failed'. */
export const EMAIL_MAX_ATTEMPTS = 10;

export interface DeliverEmailPayload {
  merchantId: string | null;
  emailId: string;
}

async function addDeliveryJob(database: DB | Trx, payload: DeliverEmailPayload): Promise<void> {
  // add_job runs in the caller's transaction: the job exists exactly when the outbox row does.
  await sql`
    select graphile_worker.add_job(
      ${DELIVER_EMAIL_TASK},
      json_build_object('merchantId', ${payload.merchantId}::text, 'emailId', ${payload.emailId}::text),
      max_attempts => ${EMAIL_MAX_ATTEMPTS}::int,
      job_key => ${`deliver_email:${payload.emailId}`}::text
    )`.execute(database);
}

/**
 * Queues a merchant's e-mail. `trx` must be scoped to `merchantId` (withTenant): Row Level Security rejects the
 * insert otherwise. Returns the e-mail id (`eml_…`).
 */
export async function enqueueEmail(trx: Trx, merchantId: string, msg: EmailMessage): Promise<string> {
  const rendered = await renderEmail(msg);
  const id = newId("email");
  await trx
    .insertInto("email_outbox")
    .values({
      merchant_id: merchantId,
      id,
      template: msg.template,
      to_address: msg.to,
      subject: rendered.subject,
      html: rendered.html,
      text_body: rendered.text,
    })
    .execute();
  await addDeliveryJob(trx, { merchantId, emailId: id });
  return id;
}

/** Queues an e-mail that belongs to no merchant (staff password reset). Pass a trx to tie it to other writes. */
export async function enqueuePlatformEmail(database: DB | Trx, msg: EmailMessage): Promise<string> {
  const rendered = await renderEmail(msg);
  const id = newId("email");
  const write = async (trx: DB | Trx) => {
    await trx
      .insertInto("platform_email_outbox")
      .values({
        id,
        template: msg.template,
        to_address: msg.to,
        subject: rendered.subject,
        html: rendered.html,
        text_body: rendered.text,
      })
      .execute();
    await addDeliveryJob(trx, { merchantId: null, emailId: id });
  };
  if (database.isTransaction) await write(database);
  else await database.transaction().execute(write);
  return id;
}
