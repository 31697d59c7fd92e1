import { getFormProps, useForm, type SubmissionResult } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, Link, useNavigation } from "@remix-run/react";
import { useEffect, useState } from "react";
import type { z } from "zod";
import { Button, FormErrors, SelectField, TextField } from "~/components/ui";
import { AdditionalMerchantSchema, MerchantSignupSchema, slugify } from "~/domain/merchants/schemas";
import { EmailField, NewPasswordField, PersonNameField } from "./fields";

/**
 * The sign-up form: the business (name, address, currency, time zone) and, unless `loggedIn`, the owner's account.
 * The currency and time zone lists come from the server so the browser offers exactly what the server accepts.
 */
export function MerchantSignupForm({
  currencies,
  timeZones,
  loggedIn,
  lastResult,
}: {
  currencies: string[];
  timeZones: string[];
  loggedIn: boolean;
  lastResult?: SubmissionResult<string[]>;
}) {
  const busy = useNavigation().state === "submitting";
  const [form, fields] = useForm<z.input<typeof MerchantSignupSchema>>({
    lastResult,
    // Logged in, the account fields are absent; the cast only widens the field names Conform knows.
    onValidate: ({ formData }) =>
      parseWithZod(formData, { schema: (loggedIn ? AdditionalMerchantSchema : MerchantSignupSchema) as typeof MerchantSignupSchema }),
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
      {loggedIn ? null : (
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
  );
}

/** Under the sign-up form: back to the admin when logged in, otherwise a way to log in instead. */
export function MerchantSignupFooter({ loggedIn }: { loggedIn: boolean }) {
  return loggedIn ? (
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
  );
}
