import { getFormProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { readForm, replyWithDomainError } from "~/auth/form-errors.server";
import { requireMember } from "~/auth/guards.server";
import { startMemberSession } from "~/auth/session-cookies.server";
import { BirthdayField, CurrentPasswordField, NewPasswordFields, PersonNameField } from "~/components/auth/fields";
import { PortalButton } from "~/components/portal/portal-shell";
import { Alert, Card, FormErrors } from "~/components/ui";
import { db } from "~/db.server";
import { changeMemberPassword, memberHome, updateMemberProfile } from "~/domain/members/accounts.server";
import { birthdaySchema, passwordSchema, personNameSchema } from "~/domain/members/schemas";

export const meta: MetaFunction = () => [{ title: "Your profile" }];

const ProfileSchema = z.object({ intent: z.literal("profile"), name: personNameSchema, birthday: birthdaySchema.optional() });
const PasswordSchema = z
  .object({
    intent: z.literal("password"),
    currentPassword: z.string({ error: "Enter your current password" }).max(128, "Password must be at most 128 characters"),
    newPassword: passwordSchema,
    confirm: z.string({ error: "Repeat the new password" }),
  })
  .refine((v) => v.newPassword === v.confirm, { message: "The passwords do not match", path: ["confirm"] });
const ActionSchema = z.discriminatedUnion("intent", [ProfileSchema, PasswordSchema]);
const PASSWORD_FIELDS = ["currentPassword", "newPassword", "confirm"];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, member } = await requireMember(request, params.merchant);
  const home = await memberHome(db(), merchant.id, member.id);
  return { name: home.name, email: home.email, birthday: home.birthday };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, member } = await requireMember(request, params.merchant);
  const submission = parseWithZod(await readForm(request), { schema: ActionSchema });
  if (submission.status !== "success") {
    return data({ intent: submission.payload.intent, result: submission.reply({ hideFields: PASSWORD_FIELDS }), notice: null }, { status: 400 });
  }
  const v = submission.value;
  try {
    if (v.intent === "profile") {
      await updateMemberProfile(db(), merchant, member.id, { name: v.name, birthday: v.birthday ?? null });
      return { intent: v.intent, result: submission.reply(), notice: "Profile saved." };
    }
    await changeMemberPassword(db(), merchant, member.id, { currentPassword: v.currentPassword, newPassword: v.newPassword });
    // Every session was revoked; this browser continues on a brand-new one (S4).
    const cookie = await startMemberSession(request, merchant, member.id);
    return data(
      { intent: v.intent, result: submission.reply({ resetForm: true }), notice: "Password changed. You were logged out on every other device." },
      { headers: { "Set-Cookie": cookie } },
    );
  } catch (err) {
    const reply = replyWithDomainError(submission, err, { fields: ["name", "birthday", "currentPassword"], hideFields: PASSWORD_FIELDS });
    return data({ intent: v.intent, result: reply.data.result, notice: null }, reply.init ?? undefined);
  }
}

function ProfileForm({ defaults }: { defaults: { name: string | null; birthday: string | null } }) {
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().formData?.get("intent") === "profile";
  const [form, fields] = useForm({
    id: "profile",
    lastResult: actionData?.intent === "profile" ? actionData.result : undefined,
    defaultValue: { name: defaults.name ?? "", birthday: defaults.birthday ?? "" },
    onValidate: ({ formData }) => parseWithZod(formData, { schema: ProfileSchema }),
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

function PasswordForm() {
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().formData?.get("intent") === "password";
  const [form, fields] = useForm({
    id: "password",
    lastResult: actionData?.intent === "password" ? actionData.result : undefined,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: PasswordSchema }),
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

export default function PortalProfile() {
  const { name, email, birthday } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight text-stone-900">Your profile</h1>
        <p className="mt-1 text-sm text-stone-600">Signed in as {email}.</p>
      </div>
      {actionData?.notice ? <Alert tone="success">{actionData.notice}</Alert> : null}
      <Card title="Details">
        <ProfileForm defaults={{ name, birthday }} />
      </Card>
      <Card title="Password">
        <PasswordForm />
      </Card>
    </div>
  );
}
