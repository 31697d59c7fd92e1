import { getFormProps, useForm, type SubmissionResult } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, useNavigation } from "@remix-run/react";
import { CurrentPasswordField, NewPasswordFields } from "~/components/auth/fields";
import { FormErrors } from "~/components/ui";
import { MemberPasswordFormSchema } from "~/domain/members/schemas";
import { PortalButton } from "./portal-shell";

/** Changing the member's password: the current one, then the new one twice. */
export function PasswordChangeForm({ lastResult }: { lastResult?: SubmissionResult<string[]> }) {
  const busy = useNavigation().formData?.get("intent") === "password";
  const [form, fields] = useForm({
    id: "password",
    lastResult,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: MemberPasswordFormSchema }),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
  });
  return (
    <Form method="post" {...getFormProps(form)} className="space-y-4">
      <input type="hidden" name="intent" value="password" />
      <FormErrors errors={form.errors} id={form.errorId} />
      <CurrentPasswordField field={fields.currentPassword} label="Current password" />
      <NewPasswordFields password={fields.newPassword} confirm={fields.confirm} />
      <PortalButton type="submit" disabled={busy} className="sm:w-auto">
        Change password
      </PortalButton>
    </Form>
  );
}
