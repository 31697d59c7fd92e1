import { getFormProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { INVITE_TTL_DAYS } from "~/auth/account-policy";
import { readForm, replyWithDomainError } from "~/auth/form-errors.server";
import { clientIp, requireStaff } from "~/auth/guards.server";
import { formatDate } from "~/components/admin/format";
import { EmailField } from "~/components/auth/fields";
import { Alert, Badge, Button, Card, FormErrors, PageHeader, SelectField, Table, Td, Th } from "~/components/ui";
import { db } from "~/db.server";
import { inviteStaff, listPendingInvitations, revokeInvitation } from "~/domain/staff/invitations.server";
import { InviteSchema, TeamActionSchema } from "~/domain/staff/schemas";
import { changeStaffRole, listTeam, removeStaff } from "~/domain/staff/team.server";
import { DomainError } from "~/lib/errors";

export const meta: MetaFunction = () => [{ title: "Team · Perennial admin" }];

const ROLE_OPTIONS = [
  { value: "analyst", label: "Analyst — reads everything" },
  { value: "admin", label: "Admin — also changes programs and members" },
  { value: "owner", label: "Owner — also team, API keys and billing" },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  // Everyone on the team can see who else is on it; only owners change it.
  const { merchant, role, user } = await requireStaff(request, params.merchant, "analyst");
  const [team, invitations] = await Promise.all([listTeam(db(), merchant.id), role === "owner" ? listPendingInvitations(db(), merchant.id) : []]);
  return { team, invitations, canManage: role === "owner", me: user.id, timezone: merchant.timezone };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "owner");
  const submission = parseWithZod(await readForm(request), { schema: TeamActionSchema });
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
    if (err instanceof DomainError && err.code === "not_found") throw new Response(err.message, { status: 404 });
    return replyWithDomainError(submission, err, { fields: ["email"] });
  }
}

function InviteForm() {
  const actionData = useActionData<typeof action>();
  const nav = useNavigation();
  const [form, fields] = useForm({
    id: "invite",
    // A default Conform knows about, so resetting the form after a sent invitation puts the select back on it.
    defaultValue: { email: "", role: "analyst" },
    lastResult: nav.state === "idle" ? actionData?.result : undefined,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: InviteSchema }),
    shouldValidate: "onBlur",
  });
  return (
    <Form method="post" {...getFormProps(form)} className="grid gap-4 sm:grid-cols-[1fr_16rem_auto] sm:items-start">
      <input type="hidden" name="intent" value="invite" />
      <EmailField field={fields.email} autofill={false} />
      <SelectField
        label="Role"
        id={fields.role.id}
        name={fields.role.name}
        key={fields.role.key}
        defaultValue={fields.role.initialValue}
        errors={fields.role.errors}
        options={ROLE_OPTIONS}
      />
      <Button type="submit" className="sm:mt-6" busy={nav.formData?.get("intent") === "invite"}>
        Send invitation
      </Button>
    </Form>
  );
}

export default function Team() {
  const { team, invitations, canManage, me, timezone } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const formErrors = actionData?.result.error?.[""];
  const notice = actionData && "notice" in actionData ? actionData.notice : null;
  const owners = team.filter((m) => m.role === "owner").length;
  return (
    <div className="space-y-6">
      <PageHeader title="Team" description="Who can use this merchant's admin, and with which role." />
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      <FormErrors errors={formErrors} />
      {canManage ? (
        <Card title="Invite someone">
          <InviteForm />
          <p className="mt-3 text-xs text-stone-500">The link in the e-mail works once and expires after {INVITE_TTL_DAYS} days.</p>
        </Card>
      ) : null}
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
                <Td>
                  {canManage && !lastOwner ? (
                    <Form method="post" className="flex items-center gap-2">
                      <input type="hidden" name="intent" value="change-role" />
                      <input type="hidden" name="staffUserId" value={m.staffUserId} />
                      <label className="sr-only" htmlFor={`role-${m.staffUserId}`}>
                        Role of {m.name}
                      </label>
                      <select
                        id={`role-${m.staffUserId}`}
                        name="role"
                        defaultValue={m.role}
                        className="rounded-md border border-stone-300 bg-white px-2 py-1 text-sm"
                      >
                        <option value="analyst">Analyst</option>
                        <option value="admin">Admin</option>
                        <option value="owner">Owner</option>
                      </select>
                      <Button type="submit" variant="secondary" size="sm">
                        Save
                      </Button>
                    </Form>
                  ) : (
                    <Badge tone={m.role === "owner" ? "brand" : "neutral"}>{m.role}</Badge>
                  )}
                </Td>
                <Td>{formatDate(m.since, timezone)}</Td>
                {canManage ? (
                  <Td className="text-right">
                    {lastOwner ? (
                      <span className="text-xs text-stone-500">Last owner</span>
                    ) : (
                      <Form method="post">
                        <input type="hidden" name="intent" value="remove" />
                        <input type="hidden" name="staffUserId" value={m.staffUserId} />
                        <Button type="submit" variant="ghost" size="sm">
                          {m.staffUserId === me ? "Leave team" : "Remove"}
                        </Button>
                      </Form>
                    )}
                  </Td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </Table>
      {canManage && invitations.length ? (
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
      ) : null}
      {canManage ? (
        <p className="text-xs text-stone-500">
          Promoting someone logs them out everywhere so their next session starts with the new role. A merchant always keeps at least one owner.
        </p>
      ) : null}
    </div>
  );
}
