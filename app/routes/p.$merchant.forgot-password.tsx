import { getFormProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { RESET_TTL_MINUTES } from "~/auth/account-policy";
import { readSubmission } from "~/lib/forms.server";
import { requirePortalMerchant } from "~/web/guards.server";
import { EmailField } from "~/components/auth/fields";
import { PortalAuthCard, PortalButton, PortalLink } from "~/components/portal/portal-shell";
import { Alert } from "~/components/ui";
import { db } from "~/db.server";
import { requestMemberPasswordReset } from "~/domain/members/accounts.server";
import { ForgotPasswordSchema } from "~/domain/staff/schemas";

export const meta: MetaFunction = () => [{ title: "Forgot password" }];

export async function loader({ params }: LoaderFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant);
  return { slug: merchant.slug };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant, request);
  const submission = await readSubmission(request, { schema: ForgotPasswordSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), sent: false }, { status: 400 });
  await requestMemberPasswordReset(db(), merchant, submission.value.email);
  // The same answer whether or not the e-mail belongs to a member.
  return { result: submission.reply({ resetForm: true }), sent: true };
}

export default function PortalForgotPassword() {
  const { slug } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useForm({
    lastResult: actionData?.result,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: ForgotPasswordSchema }),
    shouldValidate: "onBlur",
  });
  return (
    <PortalAuthCard
      title="Forgot your password?"
      subtitle="We'll e-mail you a link to choose a new one."
      footer={<PortalLink to={`/p/${slug}/login`}>Back to log in</PortalLink>}
    >
      {actionData?.sent ? (
        <div className="mb-4">
          <Alert tone="success" title="Check your inbox">
            If that e-mail belongs to a member, a reset link is on its way. It works once, for {RESET_TTL_MINUTES} minutes.
          </Alert>
        </div>
      ) : null}
      <Form method="post" {...getFormProps(form)} className="space-y-4">
        <EmailField field={fields.email} />
        <PortalButton type="submit" disabled={busy}>
          Send reset link
        </PortalButton>
      </Form>
    </PortalAuthCard>
  );
}
