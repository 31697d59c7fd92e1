import { getFormProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { readForm, replyWithDomainError } from "~/auth/form-errors.server";
import { clientIp, getStaffUser } from "~/auth/guards.server";
import { startStaffSession } from "~/auth/session-cookies.server";
import { PerennialMark } from "~/components/auth/brand";
import { CurrentPasswordField, NewPasswordField, PersonNameField } from "~/components/auth/fields";
import { Alert, AuthPanel, Button, FormErrors } from "~/components/ui";
import { db } from "~/db.server";
import { acceptInvitation, findInvitation, type AcceptHow } from "~/domain/staff/invitations.server";
import { AcceptInvitationSchema } from "~/domain/staff/schemas";

export const meta: MetaFunction = () => [{ title: "Join a team · Perennial" }];
export const headers: HeadersFunction = () => ({ "Referrer-Policy": "no-referrer" });

export async function loader({ request, params }: LoaderFunctionArgs) {
  const invitation = await findInvitation(db(), params.token);
  if (!invitation) return { invitation: null, me: null };
  const me = await getStaffUser(request);
  return {
    invitation: {
      merchantName: invitation.merchant.name,
      email: invitation.email,
      role: invitation.role,
      inviterName: invitation.inviterName,
      accountExists: invitation.accountExists,
    },
    me: me ? { email: me.user.email, matches: me.user.email.toLowerCase() === invitation.email.toLowerCase() } : null,
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const submission = parseWithZod(await readForm(request), { schema: AcceptInvitationSchema });
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

const ROLE_TEXT = { owner: "an owner", admin: "an admin", analyst: "an analyst" } as const;

export default function AcceptInvitation() {
  const { invitation, me } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useForm({
    lastResult: actionData?.result,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: AcceptInvitationSchema }),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
  });

  if (!invitation) {
    return (
      <AuthPanel logo={<PerennialMark />} title="Invitation">
        <Alert tone="error" title="This invitation does not work">
          It is invalid, already used, revoked or expired (invitations last 7 days). Ask the person who invited you for a new one.
        </Alert>
        <p className="mt-4 text-sm">
          <Link to="/login" className="text-brand-600 underline">
            Go to log in
          </Link>
        </p>
      </AuthPanel>
    );
  }

  return (
    <AuthPanel
      logo={<PerennialMark />}
      title={`Join ${invitation.merchantName}`}
      subtitle={`${invitation.inviterName ?? "A team owner"} invited ${invitation.email} to join as ${ROLE_TEXT[invitation.role]}.`}
    >
      <Form method="post" {...getFormProps(form)} className="space-y-4">
        <FormErrors errors={form.errors} id={form.errorId} />
        {me?.matches ? (
          <>
            <p className="text-sm text-stone-700">You are logged in as {me.email}.</p>
            <Button type="submit" name="intent" value="accept" busy={busy} className="w-full">
              Accept invitation
            </Button>
          </>
        ) : (
          <>
            {me ? (
              <Alert tone="warning">
                You are logged in as {me.email}, but this invitation is for {invitation.email}. Continuing logs you in as {invitation.email}.
              </Alert>
            ) : null}
            {invitation.accountExists ? (
              <>
                <input type="hidden" name="intent" value="login" />
                <p className="text-sm text-stone-700">{invitation.email} already has a Perennial account. Enter its password to accept.</p>
                <CurrentPasswordField field={fields.password} />
                <Button type="submit" busy={busy} className="w-full">
                  Log in and accept
                </Button>
                <p className="text-center text-sm">
                  <Link to="/forgot-password" className="text-brand-600 underline">
                    Forgot your password?
                  </Link>
                </p>
              </>
            ) : (
              <>
                <input type="hidden" name="intent" value="create" />
                <p className="text-sm text-stone-700">Create your account for {invitation.email}.</p>
                <PersonNameField field={fields.name} label="Your name" />
                <NewPasswordField field={fields.password} />
                <Button type="submit" busy={busy} className="w-full">
                  Create account and accept
                </Button>
              </>
            )}
          </>
        )}
      </Form>
    </AuthPanel>
  );
}
