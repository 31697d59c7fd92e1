import { getFormProps, getInputProps, useForm, type SubmissionResult } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { clientIp, requireStaff } from "~/web/guards.server";
import { formatDateTime } from "~/components/ui/format";
import { Alert, Badge, Button, Card, EmptyState, FormErrors, PageHeader, Table, Td, TextField, Th } from "~/components/ui";
import { db } from "~/db.server";
import { disconnectStripe, getStripeConnection, recentStripeEvents, saveStripeCredentials } from "~/domain/stripe/connection.server";
import { STRIPE_EVENT_TYPES } from "~/domain/stripe/event-types";
import { StripeSaveSchema, StripeSettingsActionSchema } from "~/domain/stripe/schemas";
import { appUrl } from "~/lib/env.server";
import { readSubmission } from "~/lib/forms.server";
import { replyWithDomainError } from "~/web/form-action.server";

export const meta: MetaFunction = () => [{ title: "Stripe · Settings · Perennial admin" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  // Billing credentials: owners only, like API keys.
  const { merchant } = await requireStaff(request, params.merchant, "owner");
  const [connection, events] = await Promise.all([getStripeConnection(db(), merchant.id), recentStripeEvents(db(), merchant.id, 20)]);
  return {
    connection,
    events,
    webhookUrl: `${appUrl()}/webhooks/stripe/${merchant.id}`,
    timezone: merchant.timezone,
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "owner");
  const submission = await readSubmission(request, { schema: StripeSettingsActionSchema });
  // Never echo a submitted secret back into the page.
  const hideFields = ["apiKey", "webhookSecret"];
  if (submission.status !== "success") return data({ result: submission.reply({ hideFields }), saved: null }, { status: 400 });
  const actor = { type: "staff" as const, id: user.id, ip: clientIp(request) };
  if (submission.value.intent === "disconnect") {
    const removed = await disconnectStripe(db(), merchant.id, actor);
    return data({ result: submission.reply({ resetForm: true }), saved: removed ? ("disconnected" as const) : null });
  }
  try {
    const { apiKey, webhookSecret } = submission.value;
    await saveStripeCredentials(db(), merchant.id, { apiKey, webhookSecret }, actor);
  } catch (err) {
    return replyWithDomainError(submission, err, { fields: hideFields, hideFields, extra: { saved: null } });
  }
  return data({ result: submission.reply({ resetForm: true }), saved: "saved" as const }, { headers: { "Cache-Control": "no-store" } });
}

export default function StripeSettings() {
  const { connection, events, webhookUrl, timezone } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <>
      <PageHeader
        title="Stripe"
        description="Connect Stripe so purchases, refunds and disputes reach Perennial on their own and points follow them. Only owners can see this page."
      />
      <div className="space-y-6">
        {actionData?.saved === "saved" ? <Alert tone="success" title="Stripe credentials saved">They are stored encrypted; only their last four characters are shown here.</Alert> : null}
        {actionData?.saved === "disconnected" ? <Alert tone="info" title="Stripe disconnected">Perennial no longer accepts webhooks for this merchant.</Alert> : null}
        <Card title="Connection" actions={connection.connected ? <Badge tone="green">Connected</Badge> : <Badge>Not connected</Badge>}>
          <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-1 text-sm">
            <dt className="text-stone-500">API key</dt>
            <dd><code className="font-mono">{connection.apiKeyHint ?? "—"}</code></dd>
            <dt className="text-stone-500">Webhook signing secret</dt>
            <dd><code className="font-mono">{connection.webhookSecretHint ?? "—"}</code></dd>
            <dt className="text-stone-500">Last changed</dt>
            <dd>{formatDateTime(connection.updatedAt, timezone)}</dd>
          </dl>
          <div className="mt-4">
            <StripeCredentialsForm lastResult={actionData?.saved ? undefined : actionData?.result} connected={connection.connected} />
          </div>
          {connection.connected ? <DisconnectForm /> : null}
        </Card>
        <Card title="Webhook endpoint">
          <div className="space-y-3 text-sm text-stone-700">
            <p>In the Stripe dashboard (Developers › Webhooks), add an endpoint with this URL, then paste its signing secret above:</p>
            <p>
              <code className="block break-all rounded-md bg-stone-100 px-3 py-2 font-mono text-stone-900">{webhookUrl}</code>
            </p>
            <p>Subscribe it to these events:</p>
            <ul className="grid gap-1 sm:grid-cols-2">
              {STRIPE_EVENT_TYPES.map((t) => (
                <li key={t}><code className="font-mono text-xs">{t}</code></li>
              ))}
            </ul>
            <p className="text-stone-600">
              Missed events while Perennial was down? An operator can replay them with{" "}
              <code className="font-mono text-xs">npm run cli -- stripe reconcile --merchant &lt;slug&gt; --since &lt;date&gt;</code> (needs the API key).
            </p>
          </div>
        </Card>
        <section aria-labelledby="stripe-events-heading" className="space-y-2">
          <h2 id="stripe-events-heading" className="text-base font-semibold text-stone-900">Recent events</h2>
          {events.length ? (
            <Table caption="Recent Stripe events">
              <thead>
                <tr>
                  <Th>Received</Th>
                  <Th>Event</Th>
                  <Th>Outcome</Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-stone-100">
                {events.map((e) => (
                  <tr key={e.eventId}>
                    <Td>
                      {formatDateTime(e.receivedAt, timezone)}
                      {e.receivedVia === "reconcile" ? <span className="block text-xs text-stone-500">by reconcile</span> : null}
                    </Td>
                    <Td>
                      <code className="font-mono text-xs">{e.type}</code>
                      <span className="block font-mono text-xs text-stone-500">{e.eventId}</span>
                    </Td>
                    <Td>
                      <span className="block min-w-64 max-w-xl whitespace-normal">{e.outcome}</span>
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          ) : (
            <EmptyState title="No events received yet">Events appear here as Stripe delivers them to the webhook endpoint.</EmptyState>
          )}
        </section>
      </div>
    </>
  );
}

function StripeCredentialsForm({ lastResult, connected }: { lastResult?: SubmissionResult<string[]>; connected: boolean }) {
  const busy = useNavigation().formData?.get("intent") === "save";
  const [form, fields] = useForm({
    id: "stripe-credentials",
    lastResult,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: StripeSaveSchema }),
    shouldValidate: "onSubmit",
    shouldRevalidate: "onInput",
  });
  const keep = connected ? " Leave empty to keep the stored one." : "";
  return (
    <Form method="post" {...getFormProps(form)} className="space-y-4" autoComplete="off">
      <input type="hidden" name="intent" value="save" />
      <FormErrors errors={form.errors} />
      <TextField
        label="Restricted API key"
        hint={`A restricted key (rk_live_… or rk_test_…) with read access to Events, used to replay missed events.${keep}`}
        errors={fields.apiKey.errors}
        {...getInputProps(fields.apiKey, { type: "password" })}
        key={fields.apiKey.key}
        autoComplete="off"
        spellCheck={false}
      />
      <TextField
        label="Webhook signing secret"
        hint={`The whsec_… secret of the webhook endpoint below.${keep}`}
        errors={fields.webhookSecret.errors}
        {...getInputProps(fields.webhookSecret, { type: "password" })}
        key={fields.webhookSecret.key}
        autoComplete="off"
        spellCheck={false}
      />
      <Button type="submit" busy={busy}>
        {connected ? "Replace credentials" : "Connect Stripe"}
      </Button>
    </Form>
  );
}

function DisconnectForm() {
  const busy = useNavigation().formData?.get("intent") === "disconnect";
  return (
    <Form
      method="post"
      className="mt-6 border-t border-stone-200 pt-4"
      onSubmit={(e) => {
        if (!confirm("Disconnect Stripe? Webhooks will be refused until you connect again.")) e.preventDefault();
      }}
    >
      <input type="hidden" name="intent" value="disconnect" />
      <Button type="submit" variant="danger" size="sm" busy={busy}>
        Disconnect Stripe
      </Button>
    </Form>
  );
}
