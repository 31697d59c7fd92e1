import { Link } from "@remix-run/react";
import { formatDateTime } from "./format";
import { Alert, Badge } from "./layout";
import { Table, Td, Th } from "./table";

/** Mailbox and e-mail settings building blocks. Plain props only: nothing here touches the server. */

export type EmailStatus = "pending" | "sent" | "failed" | "kept";
export type DeliveryInfo = { mode: "smtp"; server: string; from: string } | { mode: "kept"; from: string };

const STATUS: Record<EmailStatus, { label: string; tone: "neutral" | "green" | "amber" | "red" }> = {
  pending: { label: "Queued", tone: "amber" },
  sent: { label: "Sent", tone: "green" },
  kept: { label: "Kept (no SMTP)", tone: "neutral" },
  failed: { label: "Failed", tone: "red" },
};

const TEMPLATE_LABEL: Record<string, string> = {
  welcome: "Welcome",
  "password-reset": "Password reset",
  "staff-invitation": "Staff invitation",
  test: "Test e-mail",
  "points-earned": "Points earned",
  "points-expiring": "Points expiring soon",
};

export function templateLabel(template: string): string {
  return TEMPLATE_LABEL[template] ?? template;
}

export function EmailStatusBadge({ status }: { status: EmailStatus }) {
  const s = STATUS[status];
  return <Badge tone={s.tone}>{s.label}</Badge>;
}

/** Says where e-mail goes, so nobody waits for a message that was only kept here. */
export function DeliveryNotice({ delivery }: { delivery: DeliveryInfo }) {
  return delivery.mode === "smtp" ? (
    <Alert tone="info" title="E-mail is sent over SMTP">
      Messages go out through {delivery.server} from {delivery.from}. This Mailbox keeps a copy of each one.
    </Alert>
  ) : (
    <Alert tone="warning" title="E-mail is not being sent">
      No SMTP server is configured (SMTP_URL), so messages are kept here instead of being delivered. Members and staff
      do not receive them until an operator sets SMTP_URL and restarts Perennial.
    </Alert>
  );
}

export interface MailboxListRow {
  id: string;
  to: string;
  subject: string;
  template: string;
  status: EmailStatus;
  createdAt: Date | string;
}

export function MailboxTable({ rows, timezone, hrefOf }: { rows: MailboxListRow[]; timezone: string; hrefOf: (id: string) => string }) {
  return (
    <Table caption="E-mails, newest first">
      <thead>
        <tr>
          <Th>To</Th>
          <Th>Subject</Th>
          <Th>Type</Th>
          <Th>Status</Th>
          <Th>Queued</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-stone-100">
        {rows.map((r) => (
          <tr key={r.id}>
            <Td>{r.to}</Td>
            <Td className="max-w-md truncate">
              <Link to={hrefOf(r.id)} className="font-medium text-brand-700 underline-offset-2 hover:underline">
                {r.subject}
              </Link>
            </Td>
            <Td>{templateLabel(r.template)}</Td>
            <Td>
              <EmailStatusBadge status={r.status} />
            </Td>
            <Td>{formatDateTime(r.createdAt, timezone)}</Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

/**
 * The e-mail's HTML in a fully sandboxed frame: no scripts, no forms, a unique origin, so whatever an e-mail
 * contains cannot reach the admin page or its cookies.
 */
export function EmailPreview({ html, title }: { html: string; title: string }) {
  return <iframe title={title} srcDoc={html} sandbox="" referrerPolicy="no-referrer" className="h-[36rem] w-full rounded-md border border-stone-200 bg-white" />;
}
