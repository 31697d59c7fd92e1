import { getFormProps, useForm, type SubmissionResult } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, useNavigation } from "@remix-run/react";
import { BirthdayField, PersonNameField } from "~/components/auth/fields";
import { FormErrors } from "~/components/ui";
import { MemberProfileFormSchema } from "~/domain/members/schemas";
import { PortalButton } from "./portal-shell";

/** The member's name and birthday, prefilled with what is saved. */
export function ProfileDetailsForm({
  defaults,
  lastResult,
}: {
  defaults: { name: string | null; birthday: string | null };
  lastResult?: SubmissionResult<string[]>;
}) {
  const busy = useNavigation().formData?.get("intent") === "profile";
  const [form, fields] = useForm({
    id: "profile",
    lastResult,
    defaultValue: { name: defaults.name ?? "", birthday: defaults.birthday ?? "" },
    onValidate: ({ formData }) => parseWithZod(formData, { schema: MemberProfileFormSchema }),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
  });
  return (
    <Form method="post" {...getFormProps(form)} className="space-y-4">
      <input type="hidden" name="intent" value="profile" />
      <FormErrors errors={form.errors} id={form.errorId} />
      <PersonNameField field={fields.name} />
      <BirthdayField field={fields.birthday} />
      <PortalButton type="submit" disabled={busy} className="sm:w-auto">
        Save profile
      </PortalButton>
    </Form>
  );
}
