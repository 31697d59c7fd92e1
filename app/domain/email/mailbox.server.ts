import { sql, type Selectable } from "kysely";
import type { DB, Trx } from "~/db.server";
import { withTenant } from "~/db.server";
import type { EmailOutboxTable } from "~db/schema";
import { decodeMailboxCursor, encodeMailboxCursor } from "./mailbox-cursor";
import { enqueueEmail } from "./outbox.server";

/** The in-app Mailbox: a merchant's outbox, newest first. Staff read it; nothing here sends or changes e-mail. */

export const MAILBOX_PAGE_SIZE = 25;

export interface MailboxRow {
  id: string;
  to: string;
  subject: string;
  template: string;
  status: "pending" | "sent" | "failed" | "kept";
  attempts: number;
  createdAt: Date;
  sentAt: Date | null;
}

type OutboxRow = Pick<Selectable<EmailOutboxTable>, "id" | "to_address" | "subject" | "template" | "status" | "attempts" | "created_at" | "sent_at">;

function toMailboxRow(r: OutboxRow): MailboxRow {
  return {
    id: r.id,
    to: r.to_address,
    subject: r.subject,
    template: r.template,
    status: r.status,
    attempts: r.attempts,
    createdAt: r.created_at,
    sentAt: r.sent_at,
  };
}

export interface MailboxPage {
  rows: MailboxRow[];
  /** Older e-mails. */
  nextCursor: string | null;
  /** Newer e-mails (null on the first page). */
  prevCursor: string | null;
}

/** `dir: "prev"` walks back toward the newest e-mails from `cursor`. A cursor we did not issue means the first page. */
export async function listMailbox(
  trx: Trx,
  merchantId: string,
  opts: { cursor?: string | null; dir?: "next" | "prev"; limit?: number } = {},
): Promise<MailboxPage> {
  const limit = opts.limit ?? MAILBOX_PAGE_SIZE;
  const key = decodeMailboxCursor(opts.cursor);
  const backward = key !== null && opts.dir === "prev";
  let q = trx
    .selectFrom("email_outbox")
    .select(["id", "to_address", "subject", "template", "status", "attempts", "created_at", "sent_at"])
    .select(sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as("cursor_ts"))
    .where("merchant_id", "=", merchantId);
  if (key) {
    const position = sql`(${sql.ref("created_at")}, ${sql.ref("id")})`;
    const at = sql`(${key.ts}::timestamptz, ${key.id}::text)`;
    q = q.where(backward ? sql<boolean>`${position} > ${at}` : sql<boolean>`${position} < ${at}`);
  }
  const fetched = await q
    .orderBy("created_at", backward ? "asc" : "desc")
    .orderBy("id", backward ? "asc" : "desc")
    .limit(limit + 1)
    .execute();
  const hasMore = fetched.length > limit;
  const page = fetched.slice(0, limit);
  if (backward) page.reverse();

  const cursorOf = (r: (typeof page)[number] | undefined) => (r ? encodeMailboxCursor({ ts: r.cursor_ts, id: r.id }) : null);
  const first = page[0];
  const last = page[page.length - 1];
  return {
    rows: page.map(toMailboxRow),
    nextCursor: backward ? cursorOf(last) : hasMore ? cursorOf(last) : null,
    prevCursor: backward ? (hasMore ? cursorOf(first) : null) : key ? cursorOf(first) : null,
  };
}

export interface MailboxEmail extends MailboxRow {
  html: string;
  text: string;
  lastError: string | null;
}

export async function getMailboxEmail(trx: Trx, merchantId: string, emailId: string): Promise<MailboxEmail | null> {
  const r = await trx
    .selectFrom("email_outbox")
    .selectAll()
    .where("merchant_id", "=", merchantId)
    .where("id", "=", emailId)
    .executeTakeFirst();
  if (!r) return null;
  return {
    ...toMailboxRow(r),
    html: r.html,
    text: r.text_body,
    lastError: r.last_error,
  };
}

/** Settings → E-mail → "send a test e-mail to me": goes through the outbox like every other e-mail. */
export async function sendTestEmail(
  database: DB,
  merchant: { id: string; name: string },
  to: { email: string; name: string },
  mailboxUrl: string,
): Promise<string> {
  return withTenant(database, merchant.id, (trx) =>
    enqueueEmail(trx, merchant.id, {
      template: "test",
      to: to.email,
      props: { merchantName: merchant.name, requestedBy: to.name, mailboxUrl },
    }),
  );
}
