import { getFormProps, getInputProps, useForm, type SubmissionResult } from "@conform-to/react";
import { Form, useNavigation } from "@remix-run/react";
import { canAct } from "~/components/admin/use-admin";
import { Alert, Button, Card, FormErrors, TextField } from "~/components/ui";
import { scaledToDecimal } from "~/domain/cltv/settings-schema";
import type { StaffRole } from "~db/schema";

export interface CltvSettingsView {
  grossMarginBps: number;
  acquisitionCostMinor: number;
  retentionCostMinorPerYear: number;
  annualDiscountRateBps: number;
}

/** CLTV economics. Validated on the server (Conform + Zod); errors come back next to each field. */
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
    },
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
            <TextField
              label="Gross margin (%)"
              {...getInputProps(fields.grossMarginPercent, { type: "text", ariaAttributes: false })}
              key={fields.grossMarginPercent.key}
              errors={fields.grossMarginPercent.errors}
              inputMode="decimal"
              hint="The share of a sale you keep after the cost of goods. CLTV is margin, not revenue."
            />
            <TextField
              label="Annual discount rate (%)"
              {...getInputProps(fields.discountRatePercent, { type: "text", ariaAttributes: false })}
              key={fields.discountRatePercent.key}
              errors={fields.discountRatePercent.errors}
              inputMode="decimal"
              hint="What future margin is discounted by per year, e.g. your cost of capital. 10 is common."
            />
          </div>
        </Card>
        <Card title={`Costs per member (${currency})`}>
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
            <TextField
              label="Acquisition cost per member"
              {...getInputProps(fields.acquisitionCost, { type: "text", ariaAttributes: false })}
              key={fields.acquisitionCost.key}
              errors={fields.acquisitionCost.errors}
              inputMode="decimal"
              hint="What it costs to win one member (ads, sign-up bonus). Used by the classic LTV figures."
            />
            <TextField
              label="Retention cost per member per year"
              {...getInputProps(fields.retentionCostPerYear, { type: "text", ariaAttributes: false })}
              key={fields.retentionCostPerYear.key}
              errors={fields.retentionCostPerYear.errors}
              inputMode="decimal"
              hint="What keeping a member costs each year (rewards, e-mails, service)."
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
