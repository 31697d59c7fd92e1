import { readSubmission } from "~/lib/forms.server";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { clientIp, requireStaff } from "~/web/guards.server";
import { ApiKeyCreateForm } from "~/components/admin/api-key-create-form";
import { ApiKeysTable } from "~/components/admin/api-keys-table";
import { NewApiKeyAlert } from "~/components/admin/new-api-key-alert";
import { Alert, Card, EmptyState, PageHeader } from "~/components/ui";
import { db } from "~/db.server";
import { createApiKey, listApiKeys, revokeApiKey } from "~/domain/api-keys/api-keys.server";
import { ApiKeyActionSchema } from "~/domain/api-keys/scopes";
import { orNotFound } from "~/web/form-action.server";

export const meta: MetaFunction = () => [{ title: "API keys · Perennial admin" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  // Analysts and admins may see which keys exist; only owners create and revoke them.
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const keys = await listApiKeys(db(), merchant.id);
  return { keys, canManage: role === "owner", timezone: merchant.timezone };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "owner");
  const submission = await readSubmission(request, { schema: ApiKeyActionSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), created: null }, { status: 400 });
  const input = submission.value;
  if (input.intent === "revoke") {
    await orNotFound(revokeApiKey(db(), merchant.id, input.keyId, { type: "staff", id: user.id, ip: clientIp(request) }), "API key not found");
    return data({ result: submission.reply(), created: null });
  }
  const { apiKey, token } = await createApiKey(db(), merchant.id, { name: input.name, scopes: input.scopes, createdBy: user.id, ip: clientIp(request) });
  // The token is in this one response only; no-store keeps it out of every cache.
  return data({ result: submission.reply({ resetForm: true }), created: { name: apiKey.name, token } }, { headers: { "Cache-Control": "no-store" } });
}

export default function ApiKeys() {
  const { keys, canManage, timezone } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const docs = <Link to="/api/v1/docs" className="font-medium text-brand-600 underline">API reference</Link>;
  return (
    <>
      <PageHeader title="API keys" description={<>Keys let your own systems call the Perennial REST API for this merchant. Read the{" "}{docs}.</>} />
      <div className="space-y-6">
        {actionData?.created ? <NewApiKeyAlert name={actionData.created.name} token={actionData.created.token} /> : null}
        {canManage ? (
          <Card title="Create a key">
            <ApiKeyCreateForm lastResult={actionData?.result} />
          </Card>
        ) : (
          <Alert tone="info">Only owners can create or revoke API keys.</Alert>
        )}
        {keys.length ? (
          <ApiKeysTable keys={keys} canManage={canManage} timezone={timezone} />
        ) : (
          <EmptyState title="No API keys yet">{canManage ? "Create one above to connect your systems." : "An owner can create one."}</EmptyState>
        )}
      </div>
    </>
  );
}
