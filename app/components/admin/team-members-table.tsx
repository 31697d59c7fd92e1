import { Form } from "@remix-run/react";
import { Badge, Button, Table, Td, Th } from "~/components/ui";
import type { StaffRole } from "~db/schema";
import { formatDate } from "~/components/ui/format";

export interface TeamMemberView {
  staffUserId: string;
  name: string;
  email: string;
  role: StaffRole;
  since: Date | string;
}

/**
 * Everyone on the merchant's team. Owners (`canManage`) get a role select and a remove button per row, except on the
 * last owner: a merchant always keeps one.
 */
export function TeamMembersTable({ team, me, canManage, timezone }: { team: TeamMemberView[]; me: string; canManage: boolean; timezone: string }) {
  const owners = team.filter((m) => m.role === "owner").length;
  return (
    <Table caption="Team members">
      <thead>
        <tr>
          <Th>Name</Th>
          <Th>E-mail</Th>
          <Th>Role</Th>
          <Th>Since</Th>
          {canManage ? <Th className="text-right">Actions</Th> : null}
        </tr>
      </thead>
      <tbody className="divide-y divide-stone-200">
        {team.map((m) => {
          const lastOwner = m.role === "owner" && owners === 1;
          return (
            <tr key={m.staffUserId}>
              <Td>
                {m.name}
                {m.staffUserId === me ? <span className="ml-2 text-xs text-stone-500">(you)</span> : null}
              </Td>
              <Td className="whitespace-normal break-all">{m.email}</Td>
              <Td>{canManage && !lastOwner ? <ChangeRoleForm member={m} /> : <Badge tone={m.role === "owner" ? "brand" : "neutral"}>{m.role}</Badge>}</Td>
              <Td>{formatDate(m.since, timezone)}</Td>
              {canManage ? (
                <Td className="text-right">
                  {lastOwner ? <span className="text-xs text-stone-500">Last owner</span> : <RemoveForm member={m} isMe={m.staffUserId === me} />}
                </Td>
              ) : null}
            </tr>
          );
        })}
      </tbody>
    </Table>
  );
}

function ChangeRoleForm({ member: m }: { member: TeamMemberView }) {
  return (
    <Form method="post" className="flex items-center gap-2">
      <input type="hidden" name="intent" value="change-role" />
      <input type="hidden" name="staffUserId" value={m.staffUserId} />
      <label className="sr-only" htmlFor={`role-${m.staffUserId}`}>
        Role of {m.name}
      </label>
      <select id={`role-${m.staffUserId}`} name="role" defaultValue={m.role} className="rounded-md border border-stone-300 bg-white px-2 py-1 text-sm">
        <option value="analyst">Analyst</option>
        <option value="admin">Admin</option>
        <option value="owner">Owner</option>
      </select>
      <Button type="submit" variant="secondary" size="sm">
        Save
      </Button>
    </Form>
  );
}

function RemoveForm({ member: m, isMe }: { member: TeamMemberView; isMe: boolean }) {
  return (
    <Form method="post">
      <input type="hidden" name="intent" value="remove" />
      <input type="hidden" name="staffUserId" value={m.staffUserId} />
      <Button type="submit" variant="ghost" size="sm">
        {isMe ? "Leave team" : "Remove"}
      </Button>
    </Form>
  );
}

/** What owners should know before changing roles; shown under the tables. */
export function TeamRolesNote() {
  return (
    <p className="text-xs text-stone-500">
      Promoting someone logs them out everywhere so their next session starts with the new role. A merchant always keeps at least one owner.
    </p>
  );
}
