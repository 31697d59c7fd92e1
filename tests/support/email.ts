import { sql } from "kysely";
import { SMTPServer } from "smtp-server";
import type { AddressInfo } from "node:net";
import type { DB } from "../../app/db.server";
import { newId } from "../../app/lib/ids";

/** Helpers for the e-mail and jobs integration tests. */

export async function createTestMerchant(db: DB, name = "Mail Co") {
  const id = newId("merchant");
  const slug = `mail-${id.slice(4, 16)}`;
  await db.insertInto("merchants").values({ id, slug, name, currency: "USD", timezone: "UTC" }).execute();
  return { id, slug, name };
}

export function uniqueAddress(label = "to"): string {
  return `${label}-${newId("email").slice(4, 14)}@example.test`;
}

export interface JobRow {
  id: string;
  task_identifier: string;
  payload: { merchantId: string | null; emailId: string };
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  key: string | null;
}

/** The job queued for an e-mail, read as the owner (the app role cannot read the jobs view). */
export async function jobFor(ownerDb: DB, emailId: string): Promise<JobRow | undefined> {
  const r = await sql<JobRow>`
    select j.id::text, t.identifier as task_identifier, j.payload, j.attempts, j.max_attempts, j.last_error, j.key
    from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
    where j.key = ${`deliver_email:${emailId}`}`.execute(ownerDb);
  return r.rows[0];
}

export interface ReceivedMail {
  from: string | undefined;
  to: string[];
  raw: string;
}

/** A real SMTP server on 127.0.0.1 (random port) that records what it receives. */
export async function startSmtpServer() {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    to: (address: string) => received.filter((m) => m.to.includes(address)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Decodes a quoted-printable MIME body well enough to search it for text and links. */
export function decodeQuotedPrintable(raw: string): string {
  return raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}
