import { getFormProps, getInputProps, getSelectProps, getTextareaProps, useForm, type FieldMetadata, type SubmissionResult } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, useNavigation } from "@remix-run/react";
import { useMemo } from "react";
import { canAct } from "~/components/admin/use-admin";
import { Alert, Button, Card, FormErrors, SelectField, TextAreaField, TextField } from "~/components/ui";
import { MAX_TIERS, tierFormSchema, tierProgramToForm } from "~/web/forms/tiers";
import type { TierDef, TierSettings } from "~/domain/tiers/model";
import type { StaffRole } from "~db/schema";

const BASES = [
  { value: "spend", label: "Qualifying spend (orders net of refunds)" },
  { value: "points", label: "Points earned (net of refunds; not adjustments)" },
];
const WINDOWS = [
  { value: "calendar_year", label: "Calendar year (kept through the next year)" },
  { value: "rolling_12m", label: "Rolling 12 months (kept 12 months after last qualifying)" },
  { value: "lifetime", label: "Lifetime" },
];
const DOWNGRADES = [
  { value: "one_step", label: "One tier at a time" },
  { value: "to_qualified", label: "Straight to the tier they qualify for" },
];

function Field({ field, label, hint, ...rest }: { field: FieldMetadata<string | undefined>; label: string; hint?: React.ReactNode } & React.InputHTMLAttributes<HTMLInputElement>) {
  return <TextField label={label} hint={hint} {...getInputProps(field, { type: "text", ariaAttributes: false })} key={field.key} errors={field.errors} {...rest} />;
}

function Select({ field, label, options, hint }: { field: FieldMetadata<string | undefined>; label: string; options: Array<{ value: string; label: string }>; hint?: string }) {
  return <SelectField label={label} hint={hint} {...getSelectProps(field, { ariaAttributes: false })} key={field.key} errors={field.errors} options={options} />;
}

/** The tier program editor: what qualifies, the window and downgrade policy, and the ladder (lowest first). */
export function TierEditor({
  program,
  role,
  currency,
  lastResult,
  saved,
}: {
  program: { settings: TierSettings; tiers: TierDef[] };
  role: StaffRole;
  currency: string;
  lastResult?: SubmissionResult<string[]>;
  saved?: boolean;
}) {
  const nav = useNavigation();
  const editable = canAct(role, "admin");
  const defaults = useMemo(() => tierProgramToForm(program, currency), [program, currency]);
  const [form, fields] = useForm({
    lastResult,
    defaultValue: defaults,
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: tierFormSchema({ currency }) }),
  });
  const rows = fields.tiers.getFieldList();
  const basis = fields.basis.value ?? defaults.basis;
  const thresholdLabel = basis === "spend" ? `Threshold (${currency})` : "Threshold (points)";

  return (
    <Form method="post" {...getFormProps(form)} className="space-y-6">
      {lastResult?.status === "success" ? (
        <Alert tone="success">{saved ? "Tiers saved. Members are being re-evaluated." : "Nothing to save: the tiers were unchanged."}</Alert>
      ) : null}
      {!editable ? <Alert tone="info">You can view the tiers; changing them needs the admin role.</Alert> : null}
      <FormErrors id={form.errorId} errors={form.errors} />
      <fieldset disabled={!editable} className="space-y-6">
        <Card title="Qualification">
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
            <Select field={fields.basis} label="Members qualify by" options={BASES} hint="Never by the points they can spend." />
            <Select field={fields.window} label="Window" options={WINDOWS} hint="Calendar years follow your time zone." />
            <Select field={fields.downgrade} label="Downgrades go" options={DOWNGRADES} hint="Upgrades are immediate; downgrades only at the end of a period." />
            <Field field={fields.graceDays} label="Grace period (days)" inputMode="numeric" hint="Extra days after the period ends before a downgrade (0–90)." />
          </div>
        </Card>

        <Card
          title="Tiers, lowest first"
          actions={
            editable && rows.length < MAX_TIERS ? (
              <Button
                variant="secondary"
                size="sm"
                {...form.insert.getButtonProps({ name: fields.tiers.name, defaultValue: { id: "", name: "", threshold: "", earningPercent: "100", birthdayBonus: "0", exclusiveAccess: "", perks: "" } })}
              >
                Add tier
              </Button>
            ) : null
          }
        >
          <p className="mb-3 text-sm text-stone-600">
            Each tier needs a higher threshold than the one below it. The earning multiplier is a percent: 150 gives 1.5× points on orders and events.
          </p>
          {rows.length === 0 ? <p className="text-sm text-stone-500">No tiers yet: members have no tier.</p> : null}
          <ol className="space-y-3">
            {rows.map((row, i) => {
              const t = row.getFieldset();
              return (
                <li key={row.key}>
                  <fieldset className="grid grid-cols-1 items-start gap-3 rounded-md border border-stone-200 p-3 sm:grid-cols-4">
                    <legend className="px-1 text-xs font-medium text-stone-600">Tier {i + 1}</legend>
                    <input {...getInputProps(t.id, { type: "hidden" })} key={t.id.key} />
                    <Field field={t.name} label="Name" maxLength={60} placeholder="Roast" />
                    <Field field={t.threshold} label={thresholdLabel} inputMode="decimal" />
                    <Field field={t.earningPercent} label="Earning multiplier (%)" inputMode="numeric" />
                    <Field field={t.birthdayBonus} label="Birthday bonus (points)" inputMode="numeric" hint="Added to the program's birthday bonus." />
                    <div className="sm:col-span-3">
                      <TextAreaField label="Perks shown in the portal (one per line)" {...getTextareaProps(t.perks, { ariaAttributes: false })} key={t.perks.key} errors={t.perks.errors} rows={2} maxLength={2000} />
                    </div>
                    <div className="flex flex-col gap-2 sm:mt-6">
                      <label className="flex items-center gap-2 text-sm text-stone-800">
                        <input {...getInputProps(t.exclusiveAccess, { type: "checkbox", value: "on" })} key={t.exclusiveAccess.key} />
                        Exclusive rewards and offers
                      </label>
                      {editable ? (
                        <Button variant="ghost" size="sm" aria-label={`Remove tier ${i + 1}`} {...form.remove.getButtonProps({ name: fields.tiers.name, index: i })}>
                          Remove
                        </Button>
                      ) : null}
                    </div>
                  </fieldset>
                </li>
              );
            })}
          </ol>
          <FormErrors errors={fields.tiers.errors} />
        </Card>
      </fieldset>
      {editable ? (
        <div className="flex justify-end">
          <Button type="submit" disabled={nav.state === "submitting"}>
            {nav.state === "submitting" ? "Saving…" : "Save tiers"}
          </Button>
        </div>
      ) : null}
    </Form>
  );
}
