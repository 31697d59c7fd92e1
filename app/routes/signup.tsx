import { getFormProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useEffect, useState } from "react";
import type { z } from "zod";
import { readForm, replyWithDomainError } from "~/auth/form-errors.server";
import { getStaffUser } from "~/auth/guards.server";
import { startStaffSession } from "~/auth/session-cookies.server";
import { PerennialMark } from "~/components/auth/brand";
import { EmailField, NewPasswordField, PersonNameField } from "~/components/auth/fields";
import { AuthPanel, Button, FormErrors, SelectField, TextField } from "~/components/ui";
import { db } from "~/db.server";
import { createMerchantForStaff, createMerchantWithOwner } from "~/domain/merchants/create.server";
import { slugify, supportedCurrencies, supportedTimeZones } from "~/domain/merchants/schemas";
import { AdditionalMerchantSchema, MerchantSignupSchema } from "~/domain/staff/schemas";

export const meta: MetaFunction = () => [{ title: "Create a merchant · Perennial" }];

// The lists come from the server's Intl data so the browser renders exactly what the server will accept.
export async function loader({ request }: LoaderFunctionArgs) {
  const me = await getStaffUser(request);
  return { currencies: supportedCurrencies(), timeZones: supportedTimeZones(), me: me ? { email: me.user.email } : null };
}

export async function action({ request }: ActionFunctionArgs) {
  const form = await readForm(request);
  const me = await getStaffUser(request);
  if (me) {
    // Already logged in: the new merchant joins the existing account, which gets a fresh session (S4).
    const submission = parseWithZod(form, { schema: AdditionalMerchantSchema });
    if (submission.status !== "success") return data({ result: submission.reply() }, { status: 400 });
    const v = submission.value;
    try {
      const merchant = await createMerchantForStaff(db(), me.user.id, {
        name: v.merchantName,
        slug: v.slug,
        currency: v.currency,
        timezone: v.timezone,
      });
      return redirect(`/admin/${merchant.slug}`, { headers: { "Set-Cookie": await startStaffSession(request, me.user.id) } });
    } catch (err) {
      return replyWithDomainError(submission, err, { fields: ["slug"] });
    }
  }
  const submission = parseWithZod(form, { schema: MerchantSignupSchema });
  if (submission.status !== "success") return data({ result: submission.reply({ hideFields: ["password"] }) }, { status: 400 });
  const v = submission.value;
  try {
    const { merchant, owner } = await createMerchantWithOwner(db(), {
      merchant: { name: v.merchantName, slug: v.slug, currency: v.currency, timezone: v.timezone },
      owner: { name: v.name, email: v.email, password: v.password },
    });
    return redirect(`/admin/${merchant.slug}`, { headers: { "Set-Cookie": await startStaffSession(request, owner.id) } });
  } catch (err) {
    return replyWithDomainError(submission, err, { fields: ["slug", "email"], hideFields: ["password"] });
  }
}

export default function Signup() {
  const { currencies, timeZones, me } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useForm<z.input<typeof MerchantSignupSchema>>({
    lastResult: actionData?.result,
    // Logged in, the account fields are absent; the cast only widens the field names Conform knows.
    onValidate: ({ formData }) =>
      parseWithZod(formData, { schema: (me ? AdditionalMerchantSchema : MerchantSignupSchema) as typeof MerchantSignupSchema }),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
  });
  // The address follows the business name until the user edits it.
  const [slug, setSlug] = useState(fields.slug.initialValue ?? "");
  const [slugTouched, setSlugTouched] = useState(Boolean(fields.slug.initialValue));
  // Preselect the browser's time zone after hydration (the server cannot know it).
  const tzId = fields.timezone.id;
  const tzInitial = fields.timezone.initialValue;
  useEffect(() => {
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const select = document.getElementById(tzId);
    if (select instanceof HTMLSelectElement && !tzInitial && timeZones.includes(tz)) select.value = tz;
  }, [tzId, tzInitial, timeZones]);

  return (
    <AuthPanel
      logo={<PerennialMark />}
      title="Create a merchant"
      subtitle={me ? `A new merchant owned by ${me.email}.` : "Your loyalty program and your admin account, in one step."}
      footer={
        me ? (
          <Link to="/admin" className="font-medium text-brand-600 underline">
            Back to your merchants
          </Link>
        ) : (
          <>
            Already have an account?{" "}
            <Link to="/login" className="font-medium text-brand-600 underline">
              Log in
            </Link>
          </>
        )
      }
    >
      <Form method="post" {...getFormProps(form)} className="space-y-4">
        <FormErrors errors={form.errors} id={form.errorId} />
        <fieldset className="space-y-4">
          <legend className="text-sm font-semibold text-stone-900">Your business</legend>
          <TextField
            label="Business name"
            id={fields.merchantName.id}
            name={fields.merchantName.name}
            key={fields.merchantName.key}
            defaultValue={fields.merchantName.initialValue}
            errors={fields.merchantName.errors}
            onChange={(e) => {
              if (!slugTouched) setSlug(slugify(e.currentTarget.value));
            }}
            required
          />
          <TextField
            label="Address"
            id={fields.slug.id}
            name={fields.slug.name}
            value={slug}
            onChange={(e) => {
              setSlugTouched(true);
              setSlug(e.currentTarget.value);
            }}
            errors={fields.slug.errors}
            hint={`Your member portal lives at /p/${slug || "your-address"}. Lowercase letters, digits and dashes.`}
            autoCapitalize="none"
            spellCheck={false}
            required
          />
          <div className="grid grid-cols-2 gap-3">
            <SelectField
              label="Currency"
              id={fields.currency.id}
              name={fields.currency.name}
              key={fields.currency.key}
              defaultValue={fields.currency.initialValue ?? "USD"}
              errors={fields.currency.errors}
              options={currencies.map((c) => ({ value: c, label: c }))}
            />
            <SelectField
              label="Time zone"
              id={fields.timezone.id}
              name={fields.timezone.name}
              key={fields.timezone.key}
              defaultValue={fields.timezone.initialValue ?? "UTC"}
              errors={fields.timezone.errors}
              options={timeZones.map((z) => ({ value: z, label: z.replace(/_/g, " ") }))}
            />
          </div>
        </fieldset>
        {me ? null : (
          <fieldset className="space-y-4 border-t border-stone-200 pt-4">
            <legend className="sr-only">Your account</legend>
            <p className="text-sm font-semibold text-stone-900" aria-hidden>
              Your account
            </p>
            <PersonNameField field={fields.name} label="Your name" />
            <EmailField field={fields.email} />
            <NewPasswordField field={fields.password} />
          </fieldset>
        )}
        <Button type="submit" busy={busy} className="w-full">
          Create merchant
        </Button>
      </Form>
    </AuthPanel>
  );
}
