import { getFormProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, type ActionFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
import { RESET_TTL_MINUTES } from "~/auth/account-policy";
import { readSubmission } from "~/lib/forms.server";
import { PerennialMark } from "~/components/auth/brand";
import { EmailField } from "~/components/auth/fields";
import { Alert, AuthPanel, Button } from "~/components/ui";
import { db } from "~/db.server";
import { requestStaffPasswordReset } from "~/domain/staff/password-reset.server";
import { ForgotPasswordSchema } from "~/domain/staff/schemas";

export const meta: MetaFunction = () => [{ title: "Forgot password · Perennial" }];

export async function action({ request }: ActionFunctionArgs) {
  const submission = await readSubmission(request, { schema: ForgotPasswordSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), sent: false }, { status: 400 });
  await requestStaffPasswordReset(db(), submission.value.email);
  // The same answer whether or not the e-mail has an account.
  return { result: submission.reply({ resetForm: true }), sent: true };
}

export default function ForgotPassword() {
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useForm({
    lastResult: actionData?.result,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: ForgotPasswordSchema }),
    shouldValidate: "onBlur",
  });
  return (
    <AuthPanel
      logo={<PerennialMark />}
      title="Forgot your password?"
      subtitle="We'll e-mail you a link to choose a new one."
      footer={
        <Link to="/login" className="font-medium text-brand-600 underline">
          Back to log in
        </Link>
      }
    >
      {actionData?.sent ? (
        <div className="mb-4">
          <Alert tone="success" title="Check your inbox">
            If that e-mail has a Perennial account, a reset link is on its way. It works once, for {RESET_TTL_MINUTES} minutes.
          </Alert>
        </div>
      ) : null}
      <Form method="post" {...getFormProps(form)} className="space-y-4">
        <EmailField field={fields.email} />
        <Button type="submit" busy={busy} className="w-full">
          Send reset link
        </Button>
      </Form>
    </AuthPanel>
  );
}
