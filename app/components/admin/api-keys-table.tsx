import { Form } from "@remix-run/react";
import { Badge, Button, Table, Td, Th } from "~/components/ui";
import { formatDate, formatDateTime } from "~/components/ui/format";

export interface ApiKeyRowView {
  id: string;
  name: string;
  tokenPrefix: string;
  scopes: string[];
  createdBy: { name: string } | null;
  createdAt: Date | string;
  lastUsedAt: Date | string | null;
  revokedAt: Date | string | null;
}

/** The merchant's API keys, never their secrets: prefix, scopes, who created them, last use and status. */
export function ApiKeysTable({ keys, canManage, timezone }: { keys: ApiKeyRowView[]; canManage: boolean; timezone: string }) {
  return (
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
