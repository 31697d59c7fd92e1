import { getFormProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { readSubmission } from "~/lib/forms.server";
import { replyWithDomainError } from "~/web/form-action.server";
import { clientIp, getStaffUser } from "~/web/guards.server";
import { safeRedirect } from "~/auth/safe-redirect";
import { startStaffSession } from "~/auth/session-cookies.server";
import { PerennialMark } from "~/components/auth/brand";
import { CurrentPasswordField, EmailField } from "~/components/auth/fields";
import { AuthPanel, Button, FormErrors } from "~/components/ui";
import { db } from "~/db.server";
import { authenticateStaff } from "~/domain/staff/accounts.server";
import { LoginSchema } from "~/domain/staff/schemas";

export const meta: MetaFunction = () => [{ title: "Log in · Perennial" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const redirectTo = safeRedirect(new URL(request.url).searchParams.get("redirectTo"), "/admin");
  if (await getStaffUser(request)) throw redirect(redirectTo);
  return { redirectTo };
}

export async function action({ request }: ActionFunctionArgs) {
  const submission = await readSubmission(request, { schema: LoginSchema });
  if (submission.status !== "success") return data({ result: submission.reply({ hideFields: ["password"] }) }, { status: 400 });
  try {
    const user = await authenticateStaff(db(), submission.value.email, submission.value.password, { ip: clientIp(request) });
    const cookie = await startStaffSession(request, user.id);
    return redirect(safeRedirect(submission.value.redirectTo, "/admin"), { headers: { "Set-Cookie": cookie } });
  } catch (err) {
    return replyWithDomainError(submission, err, { fields: [], hideFields: ["password"] });
  }
}

export default function Login() {
  const { redirectTo } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useForm({
    lastResult: actionData?.result,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: LoginSchema }),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
  });
  return (
    <AuthPanel
      logo={<PerennialMark />}
      title="Log in"
      subtitle="To your merchant admin."
      footer={
        <>
          New here?{" "}
          <Link to="/signup" className="font-medium text-brand-600 underline">
            Create a merchant
          </Link>
        </>
      }
    >
      <Form method="post" {...getFormProps(form)} className="space-y-4">
        <FormErrors errors={form.errors} id={form.errorId} />
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <EmailField field={fields.email} />
        <CurrentPasswordField field={fields.password} />
        <div className="flex items-center justify-between gap-4">
          <Link to="/forgot-password" className="text-sm text-brand-600 underline">
            Forgot your password?
          </Link>
          <Button type="submit" busy={busy}>
            Log in
          </Button>
        </div>
      </Form>
    </AuthPanel>
  );
}
