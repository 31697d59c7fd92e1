import { sql } from "kysely";
import nodemailer, { type Transporter } from "nodemailer";
import type { DB, Trx } from "~/db.server";
import { withTenant } from "~/db.server";
import { env } from "~/lib/env.server";
import type { DeliverEmailPayload } from "./outbox.server";

/**
 * Delivers one outbox e-mail. Called by the `deliver_email` job; safe to run any number of times for the same
 * e-mail: the row is locked and only a 'pending' e-mail is sent, so a re-run after success does nothing.
 */

export interface MailConfig {
  /** null: no SMTP server, e-mails are kept for the in-app Mailbox. */
  smtpUrl: string | null;
  from: string;
}

export function mailConfigFromEnv(): MailConfig {
  const e = env();
  return { smtpUrl: e.SMTP_URL ?? null, from: e.SMTP_FROM };
}

/** What the settings page and Mailbox may show about delivery: never the SMTP credentials. */
export function describeDelivery(config: MailConfig): { mode: "smtp"; server: string; from: string } | { mode: "kept"; from: string } {
  if (!config.smtpUrl) return { mode: "kept", from: config.from };
  try {
    const u = new URL(config.smtpUrl);
    return { mode: "smtp", server: `${u.protocol}//${u.host}`, from: config.from };
  } catch {
    return { mode: "smtp", server: "(unparseable SMTP_URL)", from: config.from };
  }
}

export type DeliveryOutcome = "sent" | "kept" | "already-done" | "missing" | "failed";

export interface DeliverOptions {
  mail: MailConfig;
  /** True on the job's last attempt: a failure then marks the e-mail 'failed' instead of leaving it pending. */
  finalAttempt: boolean;
  /** Where the "kept" notice for platform e-mails goes (stdout by default). */
  notice?: (line: string) => void;
}

const transports = new Map<string, Transporter>();

function transportFor(smtpUrl: string): Transporter {
  let t = transports.get(smtpUrl);
  if (!t) {
    // Bounded timeouts: a hung SMTP server must fail the attempt (and be retried), not hold the job forever.
    t = nodemailer.createTransport({ url: smtpUrl, connectionTimeout: 20_000, greetingTimeout: 20_000, socketTimeout: 60_000 });
    transports.set(smtpUrl, t);
  }
  return t;
}

/** Closes pooled SMTP connections (worker shutdown, tests). */
export function closeTransports(): void {
  for (const t of transports.values()) t.close();
  transports.clear();
}

export async function deliverEmail(database: DB, payload: DeliverEmailPayload, opts: DeliverOptions): Promise<DeliveryOutcome> {
  let sendError: unknown;
  const merchantId = payload.merchantId;
  const outcome = await inScope(database, merchantId, async (trx) => {
    const table = merchantId ? "email_outbox" : "platform_email_outbox";
    // A merchant's e-mail is named by merchant_id too (not only RLS): Citus routes each statement to that merchant's
    // shard by it. Platform e-mails have no merchant (platform_email_outbox, a reference table).
    const theEmail = (id: string) => sql<boolean>`id = ${id}${merchantId ? sql` and merchant_id = ${merchantId}` : sql``}`;
    // FOR UPDATE: two runs for the same e-mail (a replaced or rescued job) serialise here; the second sees 'sent'.
    const row = await trx
      .selectFrom(table)
      .select(["id", "to_address", "subject", "html", "text_body", "status"])
      .where(theEmail(payload.emailId))
      .forUpdate()
      .executeTakeFirst();
    if (!row) return "missing" as const;
    if (row.status !== "pending") return "already-done" as const;

    if (!opts.mail.smtpUrl) {
      await trx.updateTable(table).set({ status: "kept" }).where(theEmail(row.id)).execute();
      if (!merchantId) {
        // Without SMTP an operator still needs a way to reset a staff password: print the link (one line).
        const links = [...new Set(row.text_body.match(/https?:\/\/[^\s<>"\])]+/g) ?? [])];
        (opts.notice ?? console.log)(
          `[email] SMTP_URL is not set; not sent to ${row.to_address}: "${row.subject}"${links.length ? ` ${links.join(" ")}` : ""}`,
        );
      }
      return "kept" as const;
    }

    try {
      await transportFor(opts.mail.smtpUrl).sendMail({
        from: opts.mail.from,
        to: row.to_address,
        subject: row.subject,
        html: row.html,
        text: row.text_body,
      });
    } catch (err) {
      sendError = err;
      await trx
        .updateTable(table)
        .set((eb) => ({
          attempts: eb("attempts", "+", 1),
          last_error: errorText(err),
          status: opts.finalAttempt ? "failed" : "pending",
        }))
        .where(theEmail(row.id))
        .execute();
      return "failed" as const;
    }
    await trx
      .updateTable(table)
      .set((eb) => ({ status: "sent", sent_at: new Date(), attempts: eb("attempts", "+", 1), last_error: null }))
      .where(theEmail(row.id))
      .execute();
    return "sent" as const;
  });
  // Thrown after the commit so attempts/last_error persist and graphile-worker schedules a retry with backoff.
  if (sendError) throw sendError instanceof Error ? sendError : new Error(String(sendError));
  return outcome;
}

function inScope<T>(database: DB, merchantId: string | null, fn: (trx: Trx) => Promise<T>): Promise<T> {
  return merchantId ? withTenant(database, merchantId, fn) : database.transaction().execute(fn);
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.slice(0, 1000);
}
