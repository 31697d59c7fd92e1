import { getFormProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { readSubmission } from "~/lib/forms.server";
import { replyWithDomainError } from "~/web/form-action.server";
import { requirePortalMerchant } from "~/web/guards.server";
import { hasMemberSession, startMemberSession } from "~/auth/session-cookies.server";
import { BirthdayField, EmailField, NewPasswordField, PersonNameField } from "~/components/auth/fields";
import { PortalAuthCard, PortalButton, PortalLink } from "~/components/portal/portal-shell";
import { Alert, FormErrors, TextField } from "~/components/ui";
import { typedCodeSchema } from "~/web/forms/referrals";
import { signupReferral, signupReferralFacts, unknownTypedCode } from "~/web/presenters/referrals/signup.server";
import { db } from "~/db.server";
import { signUpMember, SIGNUP_EXISTS_MESSAGE } from "~/domain/flows/portal-signup.server";
import { birthdaySchema, emailSchema, passwordSchema, personNameSchema } from "~/domain/members/schemas";

const SignupSchema = z.object({
  name: personNameSchema,
  email: emailSchema,
  password: passwordSchema,
  birthday: birthdaySchema.optional(),
  referralCode: typedCodeSchema.optional(),
});

export const meta: MetaFunction = () => [{ title: "Join" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant, request);
  if (await hasMemberSession(request, merchant)) throw redirect(`/p/${merchant.slug}`);
  return { slug: merchant.slug, name: merchant.name, referral: await signupReferral(request, merchant) };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const merchant = await requirePortalMerchant(params.merchant, request);
  const submission = await readSubmission(request, { schema: SignupSchema });
  const hideFields = ["password"];
  if (submission.status !== "success") return data({ result: submission.reply({ hideFields }), notice: null }, { status: 400 });
  const v = submission.value;
  if (v.referralCode && (await unknownTypedCode(merchant, v.referralCode))) {
    return data({ result: submission.reply({ fieldErrors: { referralCode: ["We don't know this referral code; check it, or leave the field empty"] }, hideFields }), notice: null }, { status: 400 });
  }
  try {
    const referral = signupReferralFacts(request, merchant, v.referralCode ?? null);
    const outcome = await signUpMember(db(), merchant, { name: v.name, email: v.email, password: v.password, birthday: v.birthday ?? null, referral: referral.facts });
    if (outcome.kind === "exists") return { result: submission.reply({ resetForm: true }), notice: SIGNUP_EXISTS_MESSAGE };
    const headers = new Headers({ "Set-Cookie": await startMemberSession(request, merchant, outcome.memberId) });
    if (referral.clearCookie) headers.append("Set-Cookie", referral.clearCookie);
    return redirect(`/p/${merchant.slug}`, { headers });
  } catch (err) {
    return replyWithDomainError(submission, err, { fields: ["name", "email", "birthday", "referralCode"], hideFields });
  }
}

export default function PortalSignup() {
  const { slug, name, referral } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const notice = actionData && "notice" in actionData ? actionData.notice : null;
  const [form, fields] = useForm({
    lastResult: actionData?.result,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: SignupSchema }),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
    defaultValue: { referralCode: referral.code ?? undefined },
  });
  return (
    <PortalAuthCard
      title={`Join ${name} rewards`}
      footer={
        <>
          Already a member? <PortalLink to={`/p/${slug}/login`}>Log in</PortalLink>
        </>
      }
    >
      {notice ? (
        <div className="mb-4">
          <Alert tone="info" title="Check your inbox">
            {notice}
          </Alert>
        </div>
      ) : null}
      {referral.invitation ? (
        // The invitation the friend came with stays in view while they join (issue 17, item 5).
        <div className="mb-4 rounded-md border border-stone-200 bg-stone-50 px-4 py-3 text-sm text-stone-700" data-testid="signup-invitation">
          <p className="font-medium text-stone-900">{referral.invitation.referrer} invited you.</p>
          {referral.invitation.gift ? (
            <p className="mt-1">
              Your welcome gift: <strong>{referral.invitation.gift}</strong> {referral.invitation.giftCondition}.
            </p>
          ) : null}
          {referral.invitation.holdoutNote ? <p className="mt-1 text-xs text-stone-600">{referral.invitation.holdoutNote}</p> : null}
        </div>
      ) : null}
      <Form method="post" {...getFormProps(form)} className="space-y-4">
        <FormErrors errors={form.errors} id={form.errorId} />
        <PersonNameField field={fields.name} />
        <EmailField field={fields.email} />
        <NewPasswordField field={fields.password} />
        <BirthdayField field={fields.birthday} hint="For a birthday treat, if the program has one." />
        {referral.enabled ? (
          <TextField
            key={fields.referralCode.key}
            id={fields.referralCode.id}
            name={fields.referralCode.name}
            defaultValue={fields.referralCode.initialValue}
            errors={fields.referralCode.errors}
            label="Referral code (optional)"
            hint="From a friend who is a member."
            autoComplete="off"
            autoCapitalize="characters"
          />
        ) : null}
        <PortalButton type="submit" disabled={busy}>
          Join
        </PortalButton>
      </Form>
    </PortalAuthCard>
  );
}
