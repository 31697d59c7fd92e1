import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireStaff } from "~/web/guards.server";
import { formatDateTime } from "~/components/ui/format";
import { Alert, Card } from "~/components/ui";
import { EmailPreview, EmailStatusBadge, templateLabel } from "~/components/ui/email";
import { db, withTenant } from "~/db.server";
import { getMailboxEmail } from "~/domain/email/mailbox.server";
import { isId } from "~/lib/ids";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.email.subject} · Mailbox` : "Mailbox" }];

const notFound = () => new Response("E-mail not found", { status: 404 });

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  const emailId = params.emailId ?? "";
  if (!isId("email", emailId)) throw notFound();
  // Tenant-scoped: another merchant's e-mail id finds nothing (RLS), hence 404.
  const email = await withTenant(db(), merchant.id, (trx) => getMailboxEmail(trx, merchant.id, emailId));
  if (!email) throw notFound();
  return { email, slug: merchant.slug, timezone: merchant.timezone };
}

export default function MailboxEmail() {
  const { email, slug, timezone } = useLoaderData<typeof loader>();
  return (
    <div className="space-y-6">
      <Link to={`/admin/${slug}/mailbox`} className="text-sm font-medium text-brand-700 hover:underline">← All e-mails</Link>
      <Card title={email.subject} actions={<EmailStatusBadge status={email.status} />}>
        <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-1 text-sm">
          <dt className="text-stone-500">To</dt>
          <dd>{email.to}</dd>
          <dt className="text-stone-500">Type</dt>
          <dd>{templateLabel(email.template)}</dd>
          <dt className="text-stone-500">Queued</dt>
          <dd>{formatDateTime(email.createdAt, timezone)}</dd>
          <dt className="text-stone-500">Sent</dt>
          <dd>{email.sentAt ? formatDateTime(email.sentAt, timezone) : "—"}</dd>
          <dt className="text-stone-500">Attempts</dt>
          <dd>{email.attempts}</dd>
        </dl>
      </Card>
      {email.lastError ? <Alert tone={email.status === "failed" ? "error" : "warning"} title="Last delivery error">{email.lastError}</Alert> : null}
      <section aria-labelledby="html-version">
        <h2 id="html-version" className="mb-2 text-sm font-semibold text-stone-900">HTML version</h2>
        <EmailPreview html={email.html} title={`HTML version of “${email.subject}”`} />
      </section>
      <section aria-labelledby="text-version">
        <h2 id="text-version" className="mb-2 text-sm font-semibold text-stone-900">Plain-text version</h2>
        <pre className="whitespace-pre-wrap wrap-anywhere rounded-md border border-stone-200 bg-white p-4 font-mono text-xs text-stone-800">{email.text}</pre>
      </section>
    </div>
  );
}
