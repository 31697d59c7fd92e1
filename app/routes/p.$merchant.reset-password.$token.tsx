import { getFormProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, redirect, type ActionFunctionArgs, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { readSubmission } from "~/lib/forms.server";
import { replyWithDomainError } from "~/web/form-action.server";
import { requirePortalMerchant } from "~/web/guards.server";
import { startMemberSession } from "~/auth/session-cookies.server";
import { NewPasswordFields } from "~/components/auth/fields";
import { PortalAuthCard, PortalButton, PortalLink } from "~/components/portal/portal-shell";
import { Alert, FormErrors } from "~/components/ui";
import { db } from "~/db.server";
import { findMemberReset, resetMemberPassword } from "~/domain/members/accounts.server";
import { ResetPasswordSchema } from "~/domain/staff/schemas";

export const meta: MetaFunction = () => [{ title: "Choose a new password" }];
export const headers: HeadersFunction = () => ({ "Referrer-Policy": "no-referrer" });

export async function loader({ params }: LoaderFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant);
  const reset = await findMemberReset(db(), merchant, params.token);
  return { slug: merchant.slug, email: reset?.email ?? null };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant, request);
  const submission = await readSubmission(request, { schema: ResetPasswordSchema });
  const hideFields = ["password", "confirm"];
  if (submission.status !== "success") return data({ result: submission.reply({ hideFields }) }, { status: 400 });
  try {
    const { memberId } = await resetMemberPassword(db(), merchant, params.token, submission.value.password);
    return redirect(`/p/${merchant.slug}`, { headers: { "Set-Cookie": await startMemberSession(request, merchant, memberId) } });
  } catch (err) {
    return replyWithDomainError(submission, err, { fields: [], hideFields });
  }
}

export default function PortalResetPassword() {
  const { slug, email } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useForm({
    lastResult: actionData?.result,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: ResetPasswordSchema }),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
  });
  return (
    <PortalAuthCard title="Choose a new password" subtitle={email ? `For ${email}.` : undefined}>
      {email ? (
        <Form method="post" {...getFormProps(form)} className="space-y-4">
          <FormErrors errors={form.errors} id={form.errorId} />
          <NewPasswordFields password={fields.password} confirm={fields.confirm} />
          <PortalButton type="submit" disabled={busy}>
            Set password and log in
          </PortalButton>
        </Form>
      ) : (
        <Alert tone="error" title="This link does not work">
          It is invalid, already used or expired (links last an hour). <PortalLink to={`/p/${slug}/forgot-password`}>Ask for a new one</PortalLink>.
        </Alert>
      )}
    </PortalAuthCard>
  );
}
