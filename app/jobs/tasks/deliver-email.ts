import type { Task } from "graphile-worker";
import { z } from "zod";
import { db } from "~/db.server";
import { deliverEmail, mailConfigFromEnv, type MailConfig } from "~/domain/email/delivery.server";

const Payload = z.object({ merchantId: z.string().min(1).nullable(), emailId: z.string().min(1) });

/** `deliver_email`: sends (or keeps) one outbox e-mail. A thrown error makes graphile-worker retry with backoff. */
export function deliverEmailTask(mail: () => MailConfig = mailConfigFromEnv): Task {
  return async (payload, helpers) => {
    const parsed = Payload.safeParse(payload);
    // Only a bug can produce this; throwing records it as the job's last_error.
    if (!parsed.success) throw new Error(`deliver_email: invalid payload ${JSON.stringify(payload)}`);
    const finalAttempt = helpers.job.attempts >= helpers.job.max_attempts;
    const outcome = await deliverEmail(db(), parsed.data, { mail: mail(), finalAttempt });
    helpers.logger.debug(`deliver_email ${parsed.data.emailId}: ${outcome}`);
  };
}
