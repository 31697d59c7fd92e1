import { getFormProps, getInputProps, getSelectProps, useForm, type FieldMetadata, type SubmissionResult } from "@conform-to/react";
import { Form, useNavigation } from "@remix-run/react";
import { useMemo, useState } from "react";
import { canAct } from "~/components/admin/use-admin";
import { Alert, Button, Card, FormErrors, SelectField, TextField } from "~/components/ui";
import { previewText, type EarningRules } from "~/domain/points/rules";
import { earningRulesFormSchema, earningRulesToForm } from "~/web/forms/earning-rules";
import { formatMajorAmount, parseMajorAmount } from "~/web/forms/fields";
import { minorDigits } from "~/lib/money";
import type { StaffRole } from "~db/schema";

type FormShape = ReturnType<typeof earningRulesToForm>;

const ROUNDING = [
  { value: "floor", label: "Round down (42.99 → 42)" },
  { value: "nearest", label: "Round to nearest, halves up (42.50 → 43)" },
];
const EXPIRY = [
  { value: "never", label: "Never" },
  { value: "after_earning", label: "Months after they are earned" },
  { value: "inactivity", label: "Months without any activity" },
];
const APPLIES_TO = [
  { value: "orders", label: "Orders" },
  { value: "orders_and_events", label: "Orders and custom events" },
];

/** Text field wired to a Conform field (errors next to it, described-by for screen readers). */
function Field({
  field,
  label,
  hint,
  type = "text",
  ...rest
}: { field: FieldMetadata<string | undefined>; label: string; hint?: React.ReactNode; type?: string } & React.InputHTMLAttributes<HTMLInputElement>) {
  return (
    <TextField
      label={label}
      hint={hint}
      {...getInputProps(field, { type: type as "text", ariaAttributes: false })}
      key={field.key}
      errors={field.errors}
      {...rest}
    />
  );
}

function Select({
  field,
  label,
  options,
  hint,
}: {
  field: FieldMetadata<string | undefined>;
  label: string;
  options: Array<{ value: string; label: string }>;
  hint?: string;
}) {
  return (
    <SelectField label={label} hint={hint} {...getSelectProps(field, { ariaAttributes: false })} key={field.key} errors={field.errors} options={options} />
  );
}

const newCampaignId = () => `campaign-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/**
 * The earning-rules editor. The server validates and saves (Conform + the same schema); the browser runs the same
 * pure schema and rule math for the live preview, so what the preview says is what the ledger will do.
 */
export function EarningRulesForm({
  rules,
  role,
  currency,
  timezone,
  at,
  lastResult,
  saved,
}: {
  rules: EarningRules;
  role: StaffRole;
  currency: string;
  timezone: string;
  /** "Now" for the preview's campaigns, from the server so the first render matches. */
  at: string;
  lastResult?: SubmissionResult<string[]>;
  saved?: boolean;
}) {
  const nav = useNavigation();
  const editable = canAct(role, "admin");
  const digits = minorDigits(currency);
  const defaults = useMemo(() => earningRulesToForm(rules, { currency, timezone }), [rules, currency, timezone]);
  const [form, fields] = useForm<FormShape>({ lastResult, defaultValue: defaults, shouldRevalidate: "onInput" });

  const earning = fields.earning.getFieldset();
  const bonuses = fields.bonuses.getFieldset();
  const caps = fields.caps.getFieldset();
  const expiry = fields.expiry.getFieldset();
  const pointValue = fields.pointValue.getFieldset();
  const events = fields.customEvents.getFieldList();
  const campaigns = fields.campaigns.getFieldList();
  const amountLabel = digits === 0 ? "an amount like 500" : `an amount like ${formatMajorAmount(5 * 10 ** digits, digits)}`;

  return (
    <div className="space-y-6">
      {/* Outside the form: its amount is not a rule, and Enter in it must not save. */}
      <Preview formValue={form.value} currency={currency} timezone={timezone} at={at} />
      <Form method="post" {...getFormProps(form)} className="space-y-6">
        {lastResult?.status === "success" ? (
          <Alert tone="success">{saved ? "Earning rules saved." : "Nothing to save: the rules were unchanged."}</Alert>
        ) : null}
        {!editable ? <Alert tone="info">You can view the earning rules; changing them needs the admin role.</Alert> : null}
        <FormErrors id={form.errorId} errors={form.errors} />

        <fieldset disabled={!editable} className="space-y-6">
          <Card title="Points for orders">
            <div className="grid grid-cols-1 gap-4 sm:grid-cols-3">
              <Field field={earning.pointsPerUnit} label={`Points per ${currency} 1 spent`} inputMode="numeric" hint="A whole number from 0 to 10,000." />
              <Select
                field={earning.rounding}
                label="Rounding"
                options={ROUNDING}
                hint="Points are worked out exactly from the amount in cents, then rounded once. Multipliers round down."
              />
              <Field
                field={earning.minimumOrder}
                label={`Minimum order (${currency})`}
                inputMode="decimal"
                hint={`Orders below it earn nothing. Type ${amountLabel}; 0 for none.`}
              />
            </div>
          </Card>

          <Card title="Bonuses">
            <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-4">
              <Field field={bonuses.signup} label="Sign-up bonus" inputMode="numeric" />
              <Field field={bonuses.firstOrder} label="First-order bonus" inputMode="numeric" hint="Added to the first order's points; not multiplied." />
              <Field field={bonuses.birthday} label="Birthday bonus" inputMode="numeric" hint="Once a year, on the member's birthday in your time zone." />
              <Field field={bonuses.profileCompleted} label="Profile-completed bonus" inputMode="numeric" />
            </div>
          </Card>

          <Card
            title="Custom events"
            actions={
              editable && events.length < 50 ? (
                <Button
                  variant="secondary"
                  size="sm"
                  {...form.insert.getButtonProps({ name: fields.customEvents.name, defaultValue: { key: "", label: "", points: "10" } })}
                >
                  Add event
                </Button>
              ) : null
            }
          >
            <p className="mb-3 text-sm text-stone-600">
              Events your systems post through the API (for example <code>review_posted</code>), each worth a fixed number of points.
            </p>
            {events.length === 0 ? <p className="text-sm text-stone-500">No custom events.</p> : null}
            <ul className="space-y-3">
              {events.map((row, i) => {
                const e = row.getFieldset();
                return (
                  <li key={row.key}>
                    <fieldset className="grid grid-cols-1 items-start gap-3 rounded-md border border-stone-200 p-3 sm:grid-cols-[1fr_1fr_8rem_auto]">
                      <legend className="px-1 text-xs font-medium text-stone-600">Event {i + 1}</legend>
                      <Field field={e.key} label="Key" placeholder="review_posted" maxLength={50} autoComplete="off" />
                      <Field field={e.label} label="Name" placeholder="Review posted" maxLength={80} />
                      <Field field={e.points} label="Points" inputMode="numeric" />
                      {editable ? (
                        <Button
                          variant="ghost"
                          size="sm"
                          className="sm:mt-6"
                          aria-label={`Remove event ${i + 1}`}
                          {...form.remove.getButtonProps({ name: fields.customEvents.name, index: i })}
                        >
                          Remove
                        </Button>
                      ) : null}
                    </fieldset>
                  </li>
                );
              })}
            </ul>
            <FormErrors errors={fields.customEvents.errors} />
          </Card>

          <Card title="Caps per member">
            <p className="mb-3 text-sm text-stone-600">
              Limits on points from orders and custom events (bonuses are not capped). Days and months follow your time zone ({timezone}). Leave empty for no
              cap.
            </p>
            <div className="grid grid-cols-1 gap-4 sm:grid-cols-3">
              <Field field={caps.perDay} label="Per day" inputMode="numeric" />
              <Field field={caps.perMonth} label="Per month" inputMode="numeric" />
              <Field field={caps.lifetime} label="Lifetime" inputMode="numeric" />
            </div>
          </Card>

          <Card
            title="Bonus campaigns"
            actions={
              editable && campaigns.length < 50 ? (
                <Button
                  variant="secondary"
                  size="sm"
                  {...form.insert.getButtonProps({
                    name: fields.campaigns.name,
                    defaultValue: { id: newCampaignId(), name: "", startsAt: "", endsAt: "", multiplierPercent: "200", appliesTo: "orders" },
                  })}
                >
                  Add campaign
                </Button>
              ) : null
            }
          >
            <p className="mb-3 text-sm text-stone-600">
              Multiply points for a while: 200% is double points. When campaigns overlap, the highest applies. Times are in {timezone}; a campaign ends just
              before its end time.
            </p>
            {campaigns.length === 0 ? <p className="text-sm text-stone-500">No campaigns.</p> : null}
            <ul className="space-y-3">
              {campaigns.map((row, i) => {
                const c = row.getFieldset();
                return (
                  <li key={row.key}>
                    <fieldset className="grid grid-cols-1 items-start gap-3 rounded-md border border-stone-200 p-3 sm:grid-cols-2 lg:grid-cols-3">
                      <legend className="px-1 text-xs font-medium text-stone-600">Campaign {i + 1}</legend>
                      <input type="hidden" name={c.id.name} value={c.id.value ?? ""} key={c.id.key} />
                      <Field field={c.name} label="Name" placeholder="Double points weekend" maxLength={80} />
                      <Field field={c.startsAt} label="Starts" type="datetime-local" />
                      <Field field={c.endsAt} label="Ends" type="datetime-local" />
                      <Field field={c.multiplierPercent} label="Multiplier (%)" inputMode="numeric" hint="100 to 1,000." />
                      <Select field={c.appliesTo} label="Applies to" options={APPLIES_TO} />
                      {editable ? (
                        <Button
                          variant="ghost"
                          size="sm"
                          className="self-end"
                          aria-label={`Remove campaign ${i + 1}`}
                          {...form.remove.getButtonProps({ name: fields.campaigns.name, index: i })}
                        >
                          Remove
                        </Button>
                      ) : null}
                    </fieldset>
                  </li>
                );
              })}
            </ul>
            <FormErrors errors={fields.campaigns.errors} />
          </Card>

          <Card title="Pending period and expiry">
            <div className="grid grid-cols-1 gap-4 sm:grid-cols-3">
              <Field
                field={fields.pendingDays}
                label="Pending days"
                inputMode="numeric"
                hint="Your return window: points wait this many days before they can be spent. 0 for none."
              />
              <Select field={expiry.mode} label="Points expire" options={EXPIRY} />
              {expiry.mode.value !== "never" ? (
                <Field field={expiry.months} label="After how many months" inputMode="numeric" hint="1 to 120. Members get an e-mail 30 days before." />
              ) : null}
            </div>
          </Card>

          <Card title="What a point is worth">
            <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
              <Field field={pointValue.points} label="Points" inputMode="numeric" />
              <Field field={pointValue.amount} label={`Are worth (${currency})`} inputMode="decimal" hint="Used to value outstanding points as a liability." />
            </div>
          </Card>
        </fieldset>
        {editable ? (
          <Button type="submit" busy={nav.state === "submitting"}>
            Save earning rules
          </Button>
        ) : null}
      </Form>
    </div>
  );
}

/** "Try an order of …": recomputed from the form as it is edited, with the same schema and math as the server. */
function Preview({ formValue, currency, timezone, at }: { formValue: unknown; currency: string; timezone: string; at: string }) {
  const digits = minorDigits(currency);
  const [amount, setAmount] = useState(formatMajorAmount(4250 * 10 ** Math.max(0, digits - 2), digits));
  const schema = useMemo(() => earningRulesFormSchema({ currency, timezone }), [currency, timezone]);
  const amountMinor = parseMajorAmount(amount, digits);

  let text: string;
  const value = (formValue ?? {}) as Record<string, unknown>;
  const full = schema.safeParse(value);
  // A half-typed campaign or event should not blank the preview of the order rules.
  const rules = full.success ? full.data : schema.safeParse({ ...value, campaigns: [], customEvents: [] }).data;
  if (amountMinor === null) text = `Type ${digits === 0 ? "a whole amount" : "an amount"} to see what it earns.`;
  else if (!rules) text = "Fix the fields above to see what an order earns.";
  else text = previewText(rules, amountMinor, currency, new Date(at));

  return (
    <Card title="Preview">
      <div className="grid grid-cols-1 items-end gap-4 sm:grid-cols-[12rem_1fr]">
        <TextField label={`Try an order of (${currency})`} id="preview-amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
        <p className="pb-2 text-sm font-medium text-stone-900" role="status" aria-live="polite">
          {text}
        </p>
      </div>
      <p className="mt-2 text-xs text-stone-500">
        Points are amount × points per unit, worked out exactly and rounded once as chosen; campaign and tier multipliers round down; bonuses are added as they
        are; caps apply last. Campaigns count as of when this page was loaded.
      </p>
    </Card>
  );
}
