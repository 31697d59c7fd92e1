import { getFormProps, useForm, type SubmissionResult } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, useNavigation } from "@remix-run/react";
import { INVITE_TTL_DAYS } from "~/auth/account-policy";
import { EmailField } from "~/components/auth/fields";
import { Button, Card, SelectField } from "~/components/ui";
import { InviteSchema } from "~/domain/staff/schemas";

const ROLE_OPTIONS = [
  { value: "analyst", label: "Analyst — reads everything" },
  { value: "admin", label: "Admin — also changes programs and members" },
  { value: "owner", label: "Owner — also team, API keys and billing" },
];

/** The Team page's "Invite someone" card: an e-mail and a role; the server sends the link. */
export function TeamInviteCard({ lastResult }: { lastResult?: SubmissionResult<string[]> }) {
  return (
    <Card title="Invite someone">
      <TeamInviteForm lastResult={lastResult} />
      <p className="mt-3 text-xs text-stone-500">The link in the e-mail works once and expires after {INVITE_TTL_DAYS} days.</p>
    </Card>
  );
}

function TeamInviteForm({ lastResult }: { lastResult?: SubmissionResult<string[]> }) {
  const nav = useNavigation();
  const [form, fields] = useForm({
    id: "invite",
    // A default Conform knows about, so resetting the form after a sent invitation puts the select back on it.
    defaultValue: { email: "", role: "analyst" },
    lastResult: nav.state === "idle" ? lastResult : undefined,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: InviteSchema }),
    shouldValidate: "onBlur",
  });
  return (
    <Form method="post" {...getFormProps(form)} className="grid grid-cols-1 gap-4 sm:grid-cols-[1fr_16rem_auto] sm:items-start">
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
