import { getFormProps, useForm, type SubmissionResult } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, useNavigation } from "@remix-run/react";
import { useMemo, useState } from "react";
import { Button, Card, FormErrors, SelectField, TextAreaField, TextField } from "~/components/ui";
import { LIMIT_PERIODS, REWARD_KIND_LABELS, REWARD_KINDS } from "~/domain/rewards/schemas";
import { rewardFormSchema, uses, type RewardFormValues } from "~/web/forms/rewards";

/** The catalog editor: one form for every reward type; fields that do not apply to the chosen type are hidden. */
export function RewardEditor({
  defaultValue,
  lastResult,
  currency,
  timezone,
  tiers,
  submitLabel,
}: {
  defaultValue: RewardFormValues;
  lastResult?: SubmissionResult<string[]>;
  currency: string;
  timezone: string;
  tiers: Array<{ id: string; name: string }>;
  submitLabel: string;
}) {
  const nav = useNavigation();
  const schema = useMemo(() => rewardFormSchema(currency, timezone), [currency, timezone]);
  const [form, fields] = useForm({
    id: "reward-editor",
    defaultValue,
    lastResult: nav.state === "idle" ? lastResult : undefined,
    onValidate: ({ formData }) => parseWithZod(formData, { schema }),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
  });
  const [kind, setKind] = useState(defaultValue.kind || "fixed_discount");
  // Conform's field key is passed separately at each call site: React refuses `key` inside a spread.
  const f = (name: keyof typeof fields) => ({ id: fields[name].id, name: fields[name].name, defaultValue: fields[name].initialValue as string | undefined, errors: fields[name].errors });
  const k = (name: keyof typeof fields) => fields[name].key;
  const money = `in ${currency}, e.g. 5.00`;
  return (
    <Form method="post" {...getFormProps(form)} className="space-y-6">
      <FormErrors errors={form.errors} id={form.errorId} />
      <Card title="What the member gets">
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField {...f("name")} key={k("name")} label="Name" required maxLength={120} />
          <SelectField
            {...f("kind")} key={k("kind")}
            label="Type"
            options={REWARD_KINDS.map((k) => ({ value: k, label: REWARD_KIND_LABELS[k] }))}
            onChange={(e) => setKind(e.currentTarget.value)}
          />
          <TextAreaField {...f("description")} key={k("description")} label="Description (shown to members)" rows={2} maxLength={1000} className="sm:col-span-2" />
          <TextField
            {...f("pointsCost")} key={k("pointsCost")}
            label={kind === "points_discount" ? "Points per step" : "Points cost"}
            type="number"
            inputMode="numeric"
            min={1}
            step={1}
            required
            hint={kind === "points_discount" ? "e.g. 100 points…" : undefined}
          />
          {/* Every type's fields stay mounted (hidden when they do not apply) so the form always knows them. */}
          <TextField
            {...f("discount")}
            key={k("discount")}
            label={kind === "points_discount" ? "…are worth (amount off)" : "Amount"}
            inputMode="decimal"
            hint={money}
            className={uses(kind, "discount") ? undefined : "hidden"}
          />
          <TextField {...f("percentOff")} key={k("percentOff")} label="Percent off" type="number" inputMode="numeric" min={1} max={100} step={1} className={uses(kind, "percentOff") ? undefined : "hidden"} />
          <TextField {...f("minOrder")} key={k("minOrder")} label="Minimum order (optional)" inputMode="decimal" hint={money} className={uses(kind, "minOrder") ? undefined : "hidden"} />
          <TextField {...f("maxDiscount")} key={k("maxDiscount")} label="Cap per order" inputMode="decimal" hint={money} className={uses(kind, "maxDiscount") ? undefined : "hidden"} />
          <TextField {...f("productName")} key={k("productName")} label="Product" maxLength={200} className={uses(kind, "productName") ? undefined : "hidden"} />
          <TextField
            {...f("cost")}
            key={k("cost")}
            label="Cost to you per unit (optional)"
            inputMode="decimal"
            hint={`What one costs you (${money}). A free product or gift counts this in the incrementality report when used or handed over; rewards bought with points may be costed by it (Settings › CLTV).`}
          />
        </div>
      </Card>
      <Card title="Who, how many, how often">
        <div className="grid gap-4 sm:grid-cols-2">
          <SelectField {...f("minTierId")} key={k("minTierId")} label="Minimum tier" options={[{ value: "", label: "Every member" }, ...tiers.map((t) => ({ value: t.id, label: `${t.name} and above` }))]} />
          <TextField {...f("stockTotal")} key={k("stockTotal")} label="Stock (empty = unlimited)" type="number" inputMode="numeric" min={0} step={1} />
          <TextField {...f("limitCount")} key={k("limitCount")} label="Per-member limit (optional)" type="number" inputMode="numeric" min={1} step={1} />
          <SelectField
            {...f("limitPeriod")} key={k("limitPeriod")}
            label="Limit period"
            hint={`Days, weeks (from Monday), months and years in ${timezone}`}
            options={[{ value: "", label: "No limit" }, ...LIMIT_PERIODS.map((p) => ({ value: p, label: p === "lifetime" ? "Lifetime" : `Per ${p}` }))]}
          />
          <TextField {...f("codeValidDays")} key={k("codeValidDays")} label="Codes valid for (days, empty = no expiry)" type="number" inputMode="numeric" min={1} step={1} />
          <div />
          <TextField {...f("startsAt")} key={k("startsAt")} label="Available from (optional)" type="datetime-local" hint={timezone} />
          <TextField {...f("endsAt")} key={k("endsAt")} label="Available until (optional)" type="datetime-local" hint={timezone} />
        </div>
      </Card>
      <Button type="submit" busy={nav.state === "submitting"}>
        {submitLabel}
      </Button>
    </Form>
  );
}
