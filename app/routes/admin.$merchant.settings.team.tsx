import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { readSubmission } from "~/lib/forms.server";
import { replyWithDomainError } from "~/web/form-action.server";
import { clientIp, requireStaff } from "~/web/guards.server";
import { PendingInvitationsTable } from "~/components/admin/pending-invitations-table";
import { TeamInviteCard } from "~/components/admin/team-invite-form";
import { TeamMembersTable, TeamRolesNote } from "~/components/admin/team-members-table";
import { Alert, FormErrors, PageHeader } from "~/components/ui";
import { db } from "~/db.server";
import { inviteStaff, listPendingInvitations, revokeInvitation } from "~/domain/staff/invitations.server";
import { TeamActionSchema } from "~/domain/staff/schemas";
import { changeStaffRole, listTeam, removeStaff } from "~/domain/staff/team.server";

export const meta: MetaFunction = () => [{ title: "Team · Perennial admin" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  // Everyone on the team can see who else is on it; only owners change it.
  const { merchant, role, user } = await requireStaff(request, params.merchant, "analyst");
  const [team, invitations] = await Promise.all([listTeam(db(), merchant.id), role === "owner" ? listPendingInvitations(db(), merchant.id) : []]);
  return { team, invitations, canManage: role === "owner", me: user.id, timezone: merchant.timezone };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "owner");
  const submission = await readSubmission(request, { schema: TeamActionSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), notice: null }, { status: 400 });
  const input = submission.value;
  const actor = { type: "staff" as const, id: user.id, ip: clientIp(request) };
  try {
    switch (input.intent) {
      case "invite":
        await inviteStaff(db(), merchant, { id: user.id, name: user.name, ip: actor.ip }, { email: input.email, role: input.role });
        return { result: submission.reply({ resetForm: true }), notice: `Invitation sent to ${input.email}.` };
      case "change-role":
        await changeStaffRole(db(), merchant.id, actor, input.staffUserId, input.role);
        return { result: submission.reply(), notice: "Role changed." };
      case "remove":
        await removeStaff(db(), merchant.id, actor, input.staffUserId);
        // Removing yourself ends your access to this merchant.
        if (input.staffUserId === user.id) throw redirect("/admin");
        return { result: submission.reply(), notice: "Removed from the team." };
      case "revoke":
        await revokeInvitation(db(), merchant.id, input.invitationId, actor);
        return { result: submission.reply(), notice: "Invitation revoked." };
    }
  } catch (err) {
    return replyWithDomainError(submission, err, { fields: ["email"], notFound: true });
  }
}

export default function Team() {
  const { team, invitations, canManage, me, timezone } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const notice = actionData && "notice" in actionData ? actionData.notice : null;
  return (
    <div className="space-y-6">
      <PageHeader title="Team" description="Who can use this merchant's admin, and with which role." />
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      <FormErrors errors={actionData?.result.error?.[""]} />
      {canManage ? <TeamInviteCard lastResult={actionData?.result} /> : null}
      <TeamMembersTable team={team} me={me} canManage={canManage} timezone={timezone} />
      {canManage && invitations.length ? <PendingInvitationsTable invitations={invitations} timezone={timezone} /> : null}
      {canManage ? <TeamRolesNote /> : null}
    </div>
  );
}
