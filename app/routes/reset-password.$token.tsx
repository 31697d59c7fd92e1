import { getFormProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { readSubmission } from "~/lib/forms.server";
import { replyWithDomainError } from "~/web/form-action.server";
import { startStaffSession } from "~/auth/session-cookies.server";
import { PerennialMark } from "~/components/auth/brand";
import { NewPasswordFields } from "~/components/auth/fields";
import { Alert, AuthPanel, Button, FormErrors } from "~/components/ui";
import { db } from "~/db.server";
import { findStaffReset, resetStaffPassword } from "~/domain/staff/password-reset.server";
import { ResetPasswordSchema } from "~/domain/staff/schemas";

export const meta: MetaFunction = () => [{ title: "Choose a new password · Perennial" }];
// The token is in the URL: never send it onwards as a referrer.
export const headers: HeadersFunction = () => ({ "Referrer-Policy": "no-referrer" });

export async function loader({ params }: LoaderFunctionArgs) {
  const reset = await findStaffReset(db(), params.token);
  return { email: reset?.email ?? null };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const submission = await readSubmission(request, { schema: ResetPasswordSchema });
  const hideFields = ["password", "confirm"];
  if (submission.status !== "success") return data({ result: submission.reply({ hideFields }) }, { status: 400 });
  try {
    const { staffUserId } = await resetStaffPassword(db(), params.token, submission.value.password);
    return redirect("/admin", { headers: { "Set-Cookie": await startStaffSession(request, staffUserId) } });
  } catch (err) {
    return replyWithDomainError(submission, err, { fields: [], hideFields });
  }
}

export default function ResetPassword() {
  const { email } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useForm({
    lastResult: actionData?.result,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: ResetPasswordSchema }),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
  });
  return (
    <AuthPanel logo={<PerennialMark />} title="Choose a new password" subtitle={email ? `For ${email}.` : undefined}>
      {email ? (
        <Form method="post" {...getFormProps(form)} className="space-y-4">
          <FormErrors errors={form.errors} id={form.errorId} />
          <NewPasswordFields password={fields.password} confirm={fields.confirm} />
          <p className="text-xs text-stone-500">Every device logged in to your account will be logged out.</p>
          <Button type="submit" busy={busy} className="w-full">
            Set password and log in
          </Button>
        </Form>
      ) : (
        <Alert tone="error" title="This link does not work">
          It is invalid, already used or expired (links last an hour).{" "}
          <Link to="/forgot-password" className="underline">
            Ask for a new one
          </Link>
          .
        </Alert>
      )}
    </AuthPanel>
  );
}
