import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { readSubmission } from "~/lib/forms.server";
import { replyWithDomainError } from "~/web/form-action.server";
import { clientIp, getStaffUser } from "~/web/guards.server";
import { startStaffSession } from "~/auth/session-cookies.server";
import { PerennialMark } from "~/components/auth/brand";
import { InvalidInvitation } from "~/components/auth/invalid-invitation";
import { invitationSubtitle, InviteForm } from "~/components/auth/invite-form";
import { AuthPanel } from "~/components/ui";
import { db } from "~/db.server";
import { acceptInvitation, findInvitation, type AcceptHow } from "~/domain/staff/invitations.server";
import { AcceptInvitationSchema } from "~/domain/staff/schemas";

export const meta: MetaFunction = () => [{ title: "Join a team · Perennial" }];
export const headers: HeadersFunction = () => ({ "Referrer-Policy": "no-referrer" });

export async function loader({ request, params }: LoaderFunctionArgs) {
  const invitation = await findInvitation(db(), params.token);
  if (!invitation) return { invitation: null, me: null };
  const me = await getStaffUser(request);
  const { merchant, email, role, inviterName, accountExists } = invitation;
  return {
    invitation: { merchantName: merchant.name, email, role, inviterName, accountExists },
    me: me ? { email: me.user.email, matches: me.user.email.toLowerCase() === email.toLowerCase() } : null,
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const submission = await readSubmission(request, { schema: AcceptInvitationSchema });
  const hideFields = ["password"];
  if (submission.status !== "success") return data({ result: submission.reply({ hideFields }) }, { status: 400 });
  const v = submission.value;
  try {
    let how: AcceptHow;
    if (v.intent === "accept") {
      const me = await getStaffUser(request);
      if (!me) return data({ result: submission.reply({ formErrors: ["Log in first, or use the form below."] }) }, { status: 401 });
      how = { kind: "session", staffUserId: me.user.id, email: me.user.email };
    } else if (v.intent === "login") {
      how = { kind: "password", password: v.password };
    } else {
      how = { kind: "create", name: v.name, password: v.password };
    }
    const { staffUserId, merchantSlug } = await acceptInvitation(db(), params.token, how, { ip: clientIp(request) });
    // New privileges, new session (S4).
    return redirect(`/admin/${merchantSlug}`, { headers: { "Set-Cookie": await startStaffSession(request, staffUserId) } });
  } catch (err) {
    return replyWithDomainError(submission, err, { fields: ["name", "password"], hideFields });
  }
}

export default function AcceptInvitation() {
  const { invitation, me } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  if (!invitation) return <InvalidInvitation />;
  return (
    <AuthPanel logo={<PerennialMark />} title={`Join ${invitation.merchantName}`} subtitle={invitationSubtitle(invitation)}>
      <InviteForm invitation={invitation} me={me} lastResult={actionData?.result} />
    </AuthPanel>
  );
}
