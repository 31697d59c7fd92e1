import { getFormProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { readSubmission } from "~/lib/forms.server";
import { replyWithDomainError } from "~/web/form-action.server";
import { clientIp, requirePortalMerchant } from "~/web/guards.server";
import { safeRedirect } from "~/auth/safe-redirect";
import { hasMemberSession, startMemberSession } from "~/auth/session-cookies.server";
import { CurrentPasswordField, EmailField } from "~/components/auth/fields";
import { PortalAuthCard, PortalButton, PortalLink } from "~/components/portal/portal-shell";
import { FormErrors } from "~/components/ui";
import { db } from "~/db.server";
import { authenticateMember } from "~/domain/members/accounts.server";
import { LoginSchema } from "~/domain/staff/schemas";

export const meta: MetaFunction = () => [{ title: "Log in" }];

/** Only paths inside this merchant's portal (the member cookie is scoped to /p/<slug> anyway). */
function portalRedirect(slug: string, to: FormDataEntryValue | string | null | undefined): string {
  const home = `/p/${slug}`;
  const path = safeRedirect(to, home);
  return path === home || path.startsWith(`${home}/`) || path.startsWith(`${home}?`) ? path : home;
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant, request);
  const redirectTo = portalRedirect(merchant.slug, new URL(request.url).searchParams.get("redirectTo"));
  if (await hasMemberSession(request, merchant)) throw redirect(redirectTo);
  return { slug: merchant.slug, name: merchant.name, redirectTo };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant, request);
  const submission = await readSubmission(request, { schema: LoginSchema });
  if (submission.status !== "success") return data({ result: submission.reply({ hideFields: ["password"] }) }, { status: 400 });
  try {
    const { memberId } = await authenticateMember(db(), merchant, submission.value.email, submission.value.password, { ip: clientIp(request) });
    const cookie = await startMemberSession(request, merchant, memberId);
    return redirect(portalRedirect(merchant.slug, submission.value.redirectTo), { headers: { "Set-Cookie": cookie } });
  } catch (err) {
    return replyWithDomainError(submission, err, { fields: [], hideFields: ["password"] });
  }
}

export default function PortalLogin() {
  const { slug, name, redirectTo } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useForm({
    lastResult: actionData?.result,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: LoginSchema }),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
  });
  return (
    <PortalAuthCard
      title="Log in"
      subtitle={`To your ${name} rewards account.`}
      footer={
        <>
          Not a member yet? <PortalLink to={`/p/${slug}/signup`}>Join</PortalLink>
        </>
      }
    >
      <Form method="post" {...getFormProps(form)} className="space-y-4">
        <FormErrors errors={form.errors} id={form.errorId} />
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <EmailField field={fields.email} />
        <CurrentPasswordField field={fields.password} />
        <PortalButton type="submit" disabled={busy}>
          Log in
        </PortalButton>
        <p className="text-center text-sm">
          <PortalLink to={`/p/${slug}/forgot-password`}>Forgot your password?</PortalLink>
        </p>
      </Form>
    </PortalAuthCard>
  );
}
