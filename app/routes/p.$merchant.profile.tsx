import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { readSubmission } from "~/lib/forms.server";
import { replyWithDomainError } from "~/web/form-action.server";
import { clientIp, requireMember } from "~/web/guards.server";
import { startMemberSession } from "~/auth/session-cookies.server";
import { PasswordChangeForm } from "~/components/portal/password-change-form";
import { ProfileDetailsForm } from "~/components/portal/profile-details-form";
import { Alert, Card } from "~/components/ui";
import { db } from "~/db.server";
import { changeMemberPassword, memberHome } from "~/domain/members/accounts.server";
import { updateMemberProfile } from "~/domain/flows/profile.server";
import { MemberProfileActionSchema } from "~/domain/members/schemas";

export const meta: MetaFunction = () => [{ title: "Your profile" }];

const PASSWORD_FIELDS = ["currentPassword", "newPassword", "confirm"];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, member } = await requireMember(request, params.merchant);
  const home = await memberHome(db(), merchant.id, member.id);
  return { name: home.name, email: home.email, birthday: home.birthday };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, member } = await requireMember(request, params.merchant);
  const submission = await readSubmission(request, { schema: MemberProfileActionSchema });
  if (submission.status !== "success") {
    return data({ intent: submission.payload.intent, result: submission.reply({ hideFields: PASSWORD_FIELDS }), notice: null }, { status: 400 });
  }
  const v = submission.value;
  try {
    if (v.intent === "profile") {
      await updateMemberProfile(db(), merchant, member.id, { name: v.name, birthday: v.birthday ?? null });
      return { intent: v.intent, result: submission.reply(), notice: "Profile saved." };
    }
    await changeMemberPassword(db(), merchant, member.id, { currentPassword: v.currentPassword, newPassword: v.newPassword }, { ip: clientIp(request) });
    // Every session was revoked; this browser continues on a brand-new one (S4).
    const cookie = await startMemberSession(request, merchant, member.id);
    return data(
      { intent: v.intent, result: submission.reply({ resetForm: true }), notice: "Password changed. You were logged out on every other device." },
      { headers: { "Set-Cookie": cookie } },
    );
  } catch (err) {
    return replyWithDomainError(submission, err, { fields: ["name", "birthday", "currentPassword"], hideFields: PASSWORD_FIELDS, extra: { intent: v.intent, notice: null } });
  }
}

export default function PortalProfile() {
  const { name, email, birthday } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const resultFor = (intent: "profile" | "password") => (actionData?.intent === intent ? actionData.result : undefined);
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-stone-900">Your profile</h1>
        <p className="mt-1 text-sm text-stone-600">Signed in as {email}.</p>
      </div>
      {actionData?.notice ? <Alert tone="success">{actionData.notice}</Alert> : null}
      <Card title="Details">
        <ProfileDetailsForm defaults={{ name, birthday }} lastResult={resultFor("profile")} />
      </Card>
      <Card title="Password">
        <PasswordChangeForm lastResult={resultFor("password")} />
      </Card>
    </div>
  );
}
