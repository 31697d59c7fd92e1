import { Form } from "@remix-run/react";
import { Badge, Button, Table, Td, Th } from "~/components/ui";
import type { StaffRole } from "~db/schema";
import { formatDate } from "~/components/ui/format";

export interface PendingInvitationView {
  id: string;
  email: string;
  role: StaffRole;
  invitedBy: string | null;
  expiresAt: Date | string;
}

/** Invitations sent but not yet accepted, each with a button to revoke it (owners only). */
export function PendingInvitationsTable({ invitations, timezone }: { invitations: PendingInvitationView[]; timezone: string }) {
  return (
    <Table caption="Pending invitations">
      <thead>
        <tr>
          <Th>Invited e-mail</Th>
          <Th>Role</Th>
          <Th>Invited by</Th>
          <Th>Expires</Th>
          <Th className="text-right">Actions</Th>
        </tr>
      </thead>
      <tbody className="divide-y divide-stone-200">
        {invitations.map((i) => (
          <tr key={i.id}>
            <Td className="whitespace-normal break-all">{i.email}</Td>
            <Td>
              <Badge>{i.role}</Badge>
            </Td>
            <Td>{i.invitedBy ?? "—"}</Td>
            <Td>{formatDate(i.expiresAt, timezone)}</Td>
            <Td className="text-right">
              <Form method="post">
                <input type="hidden" name="intent" value="revoke" />
                <input type="hidden" name="invitationId" value={i.id} />
                <Button type="submit" variant="ghost" size="sm">
                  Revoke
                </Button>
              </Form>
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
