import { getFormProps, useForm, type SubmissionResult } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, Link, useNavigation } from "@remix-run/react";
import { Alert, Button, FormErrors } from "~/components/ui";
import { AcceptInvitationSchema } from "~/domain/staff/schemas";
import type { StaffRole } from "~db/schema";
import { CurrentPasswordField, NewPasswordField, PersonNameField } from "./fields";

export interface InvitationSummary {
  merchantName: string;
  email: string;
  role: StaffRole;
  inviterName: string | null;
  accountExists: boolean;
}

/** Who is logged in, and whether that is the invited address. */
export type InviteVisitor = { email: string; matches: boolean } | null;

const ROLE_TEXT = { owner: "an owner", admin: "an admin", analyst: "an analyst" } as const;

/** "Ann invited bob@example.com to join as an admin." */
export function invitationSubtitle(invitation: InvitationSummary): string {
  return `${invitation.inviterName ?? "A team owner"} invited ${invitation.email} to join as ${ROLE_TEXT[invitation.role]}.`;
}

/**
 * Accepting an invitation, in one of three ways: already logged in as the invited address (one button), with the
 * password of the invited address's existing account, or by creating that account.
 */
export function InviteForm({ invitation, me, lastResult }: { invitation: InvitationSummary; me: InviteVisitor; lastResult?: SubmissionResult<string[]> }) {
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useForm({
    lastResult,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: AcceptInvitationSchema }),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
  });
  return (
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
  );
}
