import { getFormProps, getInputProps, useForm, type FieldMetadata, type SubmissionResult } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, useNavigation } from "@remix-run/react";
import { canAct } from "~/components/admin/use-admin";
import { Alert, Button, Card, FormErrors, SelectField, TextField } from "~/components/ui";
import { cltvSettingsFormSchema, scaledToDecimal } from "~/web/forms/cltv-settings";
import type { StaffRole } from "~db/schema";

export interface CltvSettingsView {
  grossMarginBps: number;
  acquisitionCostMinor: number;
  retentionCostMinorPerYear: number;
  annualDiscountRateBps: number;
  pointsCostBasis: "point_value" | "reward_cost";
  penalizer: number;
  discretePeriodDays: number | null;
}

/** CLTV economics. Validated in the browser and on the server with one schema (Conform + Zod); errors sit next to each field. */
export function CltvSettingsForm({
  settings,
  role,
  currency,
  digits,
  lastResult,
}: {
  settings: CltvSettingsView;
  role: StaffRole;
  currency: string;
  digits: number;
  lastResult?: SubmissionResult<string[]>;
}) {
  const nav = useNavigation();
  const editable = canAct(role, "admin");
  const [form, fields] = useForm({
    lastResult,
    defaultValue: {
      grossMarginPercent: scaledToDecimal(settings.grossMarginBps, 2),
      acquisitionCost: scaledToDecimal(settings.acquisitionCostMinor, digits),
      retentionCostPerYear: scaledToDecimal(settings.retentionCostMinorPerYear, digits),
      discountRatePercent: scaledToDecimal(settings.annualDiscountRateBps, 2),
      pointsCostBasis: settings.pointsCostBasis,
      penalizer: String(settings.penalizer),
      discretePeriodDays: settings.discretePeriodDays === null ? "" : String(settings.discretePeriodDays),
    },
    // Validated in the browser too: without it every keystroke after a failed save posts to the server to
    // revalidate, each post cancelling the one before.
    onValidate: ({ formData }) => parseWithZod(formData, { schema: cltvSettingsFormSchema(digits) }),
    shouldRevalidate: "onInput",
  });
  return (
    <Form method="post" {...getFormProps(form)} className="space-y-6">
      {lastResult?.status === "success" ? <Alert tone="success">CLTV settings saved. Members are rescored with them at the next nightly run.</Alert> : null}
      {!editable ? <Alert tone="info">You can view these settings; changing them needs the admin role.</Alert> : null}
      <FormErrors id={form.errorId} errors={form.errors} />
      <fieldset disabled={!editable} className="space-y-6">
        <Card title="Margin and discounting">
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
            <DecimalField field={fields.grossMarginPercent} label="Gross margin (%)" hint="The share of a sale you keep after the cost of goods. CLTV is margin, not revenue." />
            <DecimalField field={fields.discountRatePercent} label="Annual discount rate (%)" hint="What future margin is discounted by per year, e.g. your cost of capital. 10 is common." />
          </div>
        </Card>
        <Card title={`Costs per member (${currency})`}>
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
            <DecimalField field={fields.acquisitionCost} label="Acquisition cost per member" hint="What it costs to win one member (ads, sign-up bonus). Used by the classic LTV figures." />
            <DecimalField field={fields.retentionCostPerYear} label="Retention cost per member per year" hint="What keeping a member costs each year (rewards, e-mails, service)." />
          </div>
        </Card>
        <Card title="Rewards bought with points (incrementality report)">
          <SelectField
            id={fields.pointsCostBasis.id}
            name={fields.pointsCostBasis.name}
            defaultValue={fields.pointsCostBasis.initialValue as string | undefined}
            key={fields.pointsCostBasis.key}
            label="Cost of a reward bought with points"
            errors={fields.pointsCostBasis.errors}
            hint="Point value: the points spent × what a point is worth (earning rules). Reward's cost: what the reward costs you, where you set one on the reward (else the point value)."
            options={[
              { value: "point_value", label: "Point value (nominal)" },
              { value: "reward_cost", label: "The reward's cost to you, where set" },
            ]}
          />
        </Card>
        <Card title="How the purchase model is fitted">
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
            <DecimalField
              field={fields.penalizer}
              label="Penalizer (shrinkage)"
              hint="0 fits by plain maximum likelihood. With few repeat buyers, 0.001–0.1 keeps the parameters plausible (lifetimes' penalizer_coef, on the log-parameters)."
            />
            <DecimalField
              field={fields.discretePeriodDays}
              label="Purchase opportunities are discrete: one every … days"
              hint="Leave empty when customers can buy any time (the model is chosen by holdout error). Set it when they can buy only once per period, e.g. 365 for a yearly appeal: members are then scored with BG/BB."
            />
          </div>
        </Card>
      </fieldset>
      {editable ? (
        <Button type="submit" busy={nav.state === "submitting"}>
          Save CLTV settings
        </Button>
      ) : null}
    </Form>
  );
}

/** One decimal text input bound to a Conform field, with its errors and hint. */
function DecimalField({ field, label, hint }: { field: FieldMetadata<string | undefined>; label: string; hint: string }) {
  return (
    <TextField
      label={label}
      {...getInputProps(field, { type: "text", ariaAttributes: false })}
      key={field.key}
      errors={field.errors}
      inputMode="decimal"
      hint={hint}
    />
  );
}
