import { getFormProps, getInputProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { clientIp, requireStaff } from "~/auth/guards.server";
import { formatDate, formatDateTime } from "~/components/admin/format";
import { Alert, Badge, Button, Card, EmptyState, FormErrors, PageHeader, Table, Td, TextField, Th } from "~/components/ui";
import { SecretOnce } from "~/components/ui/api-keys";
import { db } from "~/db.server";
import { createApiKey, listApiKeys, revokeApiKey } from "~/domain/api-keys/api-keys.server";
import { API_SCOPES, newApiKeySchema } from "~/domain/api-keys/scopes";
import { DomainError } from "~/lib/errors";

export const meta: MetaFunction = () => [{ title: "API keys · Perennial admin" }];

// One form per intent; the hidden `intent` field picks the schema.
const actionSchema = z.discriminatedUnion("intent", [
  newApiKeySchema.extend({ intent: z.literal("create") }),
  z.object({ intent: z.literal("revoke"), keyId: z.string().min(1).max(64) }),
]);

export async function loader({ request, params }: LoaderFunctionArgs) {
  // Analysts and admins may see which keys exist; only owners create and revoke them.
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const keys = await listApiKeys(db(), merchant.id);
  return { keys, canManage: role === "owner", timezone: merchant.timezone };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "owner");
  const submission = parseWithZod(await request.formData(), { schema: actionSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), created: null }, { status: 400 });
  const input = submission.value;
  if (input.intent === "revoke") {
    try {
      await revokeApiKey(db(), merchant.id, input.keyId, { type: "staff", id: user.id, ip: clientIp(request) });
    } catch (err) {
      if (err instanceof DomainError && err.code === "not_found") throw new Response("API key not found", { status: 404 });
      throw err;
    }
    return data({ result: submission.reply(), created: null });
  }
  const { apiKey, token } = await createApiKey(db(), merchant.id, { name: input.name, scopes: input.scopes, createdBy: user.id, ip: clientIp(request) });
  // The token is in this one response only; no-store keeps it out of every cache.
  return data({ result: submission.reply({ resetForm: true }), created: { name: apiKey.name, token } }, { headers: { "Cache-Control": "no-store" } });
}

function CreateKeyForm() {
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().formData?.get("intent") === "create";
  const [form, fields] = useForm({
    id: "create-api-key",
    lastResult: actionData?.result,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: newApiKeySchema }),
    // Errors clear while typing, not on blur: a message vanishing on blur shifts the button away from the click.
    shouldValidate: "onSubmit",
    shouldRevalidate: "onInput",
  });
  const scopeErrors = fields.scopes.errors;
  return (
    <Form method="post" {...getFormProps(form)} className="space-y-4">
      <input type="hidden" name="intent" value="create" />
      <FormErrors errors={form.errors} />
      <TextField
        label="Name"
        hint="Where the key is used, e.g. “Shopify sync”."
        errors={fields.name.errors}
        {...getInputProps(fields.name, { type: "text" })}
        key={fields.name.key}
        maxLength={80}
      />
      <fieldset aria-describedby={scopeErrors?.length ? "scopes-error" : undefined}>
        <legend className="text-sm font-medium text-stone-800">Scopes</legend>
        <div className="mt-2 space-y-2">
          {Object.entries(API_SCOPES).map(([scope, description]) => (
            <label key={scope} className="flex items-start gap-2 text-sm">
              <input type="checkbox" name={fields.scopes.name} value={scope} className="mt-0.5" />
              <span>
                <code className="font-mono text-stone-900">{scope}</code> <span className="text-stone-600">— {description}</span>
              </span>
            </label>
          ))}
        </div>
        {scopeErrors?.length ? (
          <p id="scopes-error" role="alert" className="mt-1 text-sm text-red-700">
            {scopeErrors[0]}
          </p>
        ) : null}
      </fieldset>
      <Button type="submit" busy={busy}>
        Create key
      </Button>
    </Form>
  );
}

function RevokeButton({ keyId, name }: { keyId: string; name: string }) {
  return (
    <Form
      method="post"
      onSubmit={(e) => {
        if (!confirm(`Revoke “${name}”? Requests using it will fail immediately.`)) e.preventDefault();
      }}
    >
      <input type="hidden" name="intent" value="revoke" />
      <input type="hidden" name="keyId" value={keyId} />
      <Button type="submit" variant="danger" size="sm">
        Revoke
      </Button>
    </Form>
  );
}

export default function ApiKeys() {
  const { keys, canManage, timezone } = useLoaderData<typeof loader>();
  const created = useActionData<typeof action>()?.created;
  return (
    <>
      <PageHeader
        title="API keys"
        description={
          <>
            Keys let your own systems call the Perennial REST API for this merchant. Read the{" "}
            <Link to="/api/v1/docs" className="font-medium text-brand-600 underline">
              API reference
            </Link>
            .
          </>
        }
      />
      <div className="space-y-6">
        {created ? (
          <Alert tone="warning" title={`Copy the key “${created.name}” now`}>
            <p className="mb-3">This is the only time it is shown. Perennial stores only a hash of it; if you lose it, revoke it and create a new one.</p>
            <SecretOnce label="API key" value={created.token} />
          </Alert>
        ) : null}

        {canManage ? (
          <Card title="Create a key">
            <CreateKeyForm />
          </Card>
        ) : (
          <Alert tone="info">Only owners can create or revoke API keys.</Alert>
        )}

        {keys.length ? (
          <Table caption="API keys">
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Key</Th>
                <Th>Scopes</Th>
                <Th>Created</Th>
                <Th>Last used</Th>
                <Th>Status</Th>
              </tr>
            </thead>
            <tbody className="divide-y divide-stone-100">
              {keys.map((k) => (
                <tr key={k.id}>
                  <Td className="font-medium">{k.name}</Td>
                  <Td><code className="font-mono text-xs">{k.tokenPrefix}…</code></Td>
                  <Td>
                    <span className="flex flex-wrap gap-1">
                      {k.scopes.map((s) => <Badge key={s}>{s}</Badge>)}
                    </span>
                  </Td>
                  <Td>
                    <span title={formatDateTime(k.createdAt, timezone)}>{formatDate(k.createdAt, timezone)}</span>
                    <span className="block text-xs text-stone-500">by {k.createdBy ? k.createdBy.name : "the command line"}</span>
                  </Td>
                  <Td>{k.lastUsedAt ? formatDateTime(k.lastUsedAt, timezone) : "Never"}</Td>
                  <Td>
                    {k.revokedAt ? (
                      <>
                        <Badge tone="red">Revoked</Badge>
                        <span className="block text-xs text-stone-500">{formatDate(k.revokedAt, timezone)}</span>
                      </>
                    ) : canManage ? (
                      <span className="flex items-center gap-2">
                        <Badge tone="green">Active</Badge>
                        <RevokeButton keyId={k.id} name={k.name} />
                      </span>
                    ) : (
                      <Badge tone="green">Active</Badge>
                    )}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        ) : (
          <EmptyState title="No API keys yet">{canManage ? "Create one above to connect your systems." : "An owner can create one."}</EmptyState>
        )}
      </div>
    </>
  );
}
