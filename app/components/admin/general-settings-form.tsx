import { getFormProps, getInputProps, getSelectProps, getTextareaProps, useForm, type SubmissionResult } from "@conform-to/react";
import { Form, useNavigation } from "@remix-run/react";
import { Alert, Button, Card, FormErrors, SelectField, TextAreaField, TextField } from "~/components/ui";
import type { StaffRole } from "~db/schema";
import { canAct } from "./use-admin";

export interface GeneralSettingsView {
  name: string;
  currency: string;
  timezone: string;
  brandColor: string | null;
  portalTagline: string | null;
  membersOnlyPortal: boolean;
}

/** General settings. Validation happens on the server (Conform + Zod); errors come back next to each field. */
export function GeneralSettingsForm({
  settings,
  role,
  timezones,
  lastResult,
  saved,
}: {
  settings: GeneralSettingsView;
  role: StaffRole;
  timezones: string[];
  lastResult?: SubmissionResult<string[]>;
  saved?: boolean;
}) {
  const nav = useNavigation();
  const editable = canAct(role, "admin");
  const [form, fields] = useForm({
    lastResult,
    defaultValue: {
      name: settings.name,
      timezone: settings.timezone,
      brandColor: settings.brandColor ?? "",
      portalTagline: settings.portalTagline ?? "",
      membersOnlyPortal: settings.membersOnlyPortal ? "on" : undefined,
    },
    shouldRevalidate: "onInput",
  });
  const zoneOptions = (timezones.includes(settings.timezone) ? timezones : [settings.timezone, ...timezones]).map((z) => ({ value: z, label: z }));

  return (
    <Form method="post" {...getFormProps(form)} className="space-y-6">
      {lastResult?.status === "success" ? (
        <Alert tone="success">{saved ? "Settings saved." : "Nothing to save: the settings were unchanged."}</Alert>
      ) : null}
      {!editable ? <Alert tone="info">You can view these settings; changing them needs the admin role.</Alert> : null}
      <FormErrors id={form.errorId} errors={form.errors} />
      <fieldset disabled={!editable} className="space-y-6">
        <Card title="Merchant">
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
            <TextField label="Merchant name" {...getInputProps(fields.name, { type: "text", ariaAttributes: false })} key={fields.name.key} errors={fields.name.errors} maxLength={120} />
            <TextField
              label="Currency"
              id="currency-readonly"
              value={settings.currency}
              readOnly
              aria-readonly
              hint="Set when the merchant was created and fixed since: orders and points are recorded in it, so changing it would re-price your history."
            />
            <SelectField
              label="Time zone"
              {...getSelectProps(fields.timezone, { ariaAttributes: false })}
              key={fields.timezone.key}
              errors={fields.timezone.errors}
              options={zoneOptions}
              hint="Used for dates in reports and for date filters."
            />
          </div>
        </Card>
        <Card title="Member portal">
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
            <div className="flex items-end gap-3">
              <TextField
                className="flex-1"
                label="Brand colour"
                {...getInputProps(fields.brandColor, { type: "text", ariaAttributes: false })}
                key={fields.brandColor.key}
                errors={fields.brandColor.errors}
                placeholder="#7c4a2d"
                maxLength={7}
                hint="A hex colour like #7c4a2d. Leave empty for the default."
              />
              <span
                aria-hidden
                className="mb-6 size-9 shrink-0 rounded-md border border-stone-300"
                style={{ background: /^#[0-9a-fA-F]{6}$/.test(fields.brandColor.value ?? "") ? fields.brandColor.value : "transparent" }}
              />
            </div>
            <TextAreaField
              label="Tagline"
              {...getTextareaProps(fields.portalTagline, { ariaAttributes: false })}
              key={fields.portalTagline.key}
              errors={fields.portalTagline.errors}
              rows={2}
              maxLength={160}
              hint="Shown under your name on the portal's home page. Up to 160 characters."
            />
          </div>
          <div className="mt-4">
            <label className="flex items-start gap-3 text-sm">
              <input
                {...getInputProps(fields.membersOnlyPortal, { type: "checkbox" })}
                key={fields.membersOnlyPortal.key}
                className="mt-0.5 size-4 rounded border-stone-300"
              />
              <span>
                <span className="font-medium text-stone-900">Members-only portal</span>
                <span className="block text-stone-600">Visitors must sign in before they see anything beyond the sign-in page.</span>
              </span>
            </label>
            {fields.membersOnlyPortal.errors?.length ? (
              <p id={fields.membersOnlyPortal.errorId} role="alert" className="mt-1 text-sm text-red-700">
                {fields.membersOnlyPortal.errors.join(" ")}
              </p>
            ) : null}
          </div>
        </Card>
      </fieldset>
      {editable ? (
        <Button type="submit" busy={nav.state === "submitting"}>
          Save settings
        </Button>
      ) : null}
    </Form>
  );
}
