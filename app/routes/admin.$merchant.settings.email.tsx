import { readSubmission } from "~/lib/forms.server";
import { getFormProps, useForm } from "@conform-to/react";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { requireStaff, roleAtLeast } from "~/web/guards.server";
import { Alert, Button, Card, FormErrors, PageHeader } from "~/components/ui";
import { DeliveryNotice } from "~/components/ui/email";
import { db } from "~/db.server";
import { describeDelivery, mailConfigFromEnv } from "~/domain/email/delivery.server";
import { sendTestEmail } from "~/domain/email/mailbox.server";
import { appUrl } from "~/lib/env.server";

export const meta: MetaFunction = () => [{ title: "E-mail · Settings · Perennial admin" }];

const TestEmailSchema = z.object({ intent: z.literal("send-test") });

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role, user } = await requireStaff(request, params.merchant, "analyst");
  return { delivery: describeDelivery(mailConfigFromEnv()), canSend: roleAtLeast(role, "admin"), me: user.email, slug: merchant.slug };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const submission = await readSubmission(request, { schema: TestEmailSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), sentId: null }, { status: 400 });
  const sentId = await sendTestEmail(db(), merchant, user, `${appUrl()}/admin/${merchant.slug}/mailbox`);
  return { result: submission.reply(), sentId };
}

export default function EmailSettings() {
  const { delivery, canSend, me, slug } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form] = useForm({ id: "send-test-email", lastResult: actionData?.result });
  return (
    <>
      <PageHeader title="E-mail" description="How Perennial delivers e-mail for this merchant. The server operator sets this with SMTP_URL and SMTP_FROM." />
      <div className="space-y-6">
        <DeliveryNotice delivery={delivery} />
        <Card title="Delivery">
          <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-1 text-sm">
            <dt className="text-stone-500">Mode</dt>
            <dd>{delivery.mode === "smtp" ? `SMTP via ${delivery.server}` : "Kept in the Mailbox (no SMTP server configured)"}</dd>
            <dt className="text-stone-500">From</dt>
            <dd>{delivery.from}</dd>
          </dl>
        </Card>
        <Card title="Test e-mail">
          {actionData?.sentId ? (
            <div className="mb-4">
              <Alert tone="success" title="Test e-mail queued">
                {delivery.mode === "smtp" ? `It goes to ${me} within a few seconds.` : "With no SMTP server configured it is kept in the Mailbox, not sent."}{" "}
                <Link to={`/admin/${slug}/mailbox/${actionData.sentId}`} className="font-medium underline">See it in the Mailbox</Link>.
              </Alert>
            </div>
          ) : null}
          {canSend ? (
            <Form method="post" {...getFormProps(form)} className="space-y-3">
              <FormErrors errors={form.errors} />
              <p className="text-sm text-stone-600">Sends a short message to {me} through the same queue as every other e-mail.</p>
              <Button type="submit" name="intent" value="send-test" busy={busy}>Send a test e-mail to me</Button>
            </Form>
          ) : (
            <p className="text-sm text-stone-600">Admins and owners can send a test e-mail.</p>
          )}
        </Card>
      </div>
    </>
  );
}
