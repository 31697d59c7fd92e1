import { getFormProps, getInputProps, getSelectProps, getTextareaProps, useForm, type FieldMetadata, type SubmissionResult } from "@conform-to/react";
import { Form, useNavigation } from "@remix-run/react";
import { useState } from "react";
import { Alert, Button, Card, FormErrors, HoldoutSlider, SelectField, TextAreaField, TextField } from "~/components/ui";
import { DEFAULT_HOLDOUT_PERCENT } from "~/domain/offers/schemas";

export interface OfferFormValues {
  title: string;
  description: string;
  imageUrl: string;
  kind: "reward" | "multiplier";
  rewardId: string;
  multiplierPercent: string;
  multiplierDays: string;
  segmentId: string;
  startsAt: string;
  endsAt: string;
  stockTotal: string;
  holdoutPercent: string;
}

/**
 * Create or edit an offer. What it grants and the holdout are chosen once, at creation: members are drawn into
 * treatment and control with that share, so on edit both are shown read-only.
 */
export function OfferForm({
  values,
  segments,
  rewards,
  timezone,
  mode,
  lastResult,
  saved,
}: {
  values: OfferFormValues;
  segments: Array<{ id: string; name: string }>;
  rewards: Array<{ id: string; name: string }>;
  timezone: string;
  mode: "create" | "edit";
  lastResult?: SubmissionResult<string[]>;
  saved?: boolean;
}) {
  const nav = useNavigation();
  const [form, fields] = useForm({ lastResult, defaultValue: values });
  const [kind, setKind] = useState(values.kind);
  const creating = mode === "create";
  return (
    <Form method="post" {...getFormProps(form)} className="space-y-6">
      <input type="hidden" name="intent" value={creating ? "create" : "update"} />
      {saved ? <Alert tone="success">Offer saved.</Alert> : null}
      <FormErrors id={form.errorId} errors={form.errors} />
      <Card title="Offer">
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
          <TextField label="Title" className="sm:col-span-2" {...getInputProps(fields.title, { type: "text", ariaAttributes: false })} key={fields.title.key} errors={fields.title.errors} maxLength={120} />
          <TextAreaField
            label="Description"
            className="sm:col-span-2"
            {...getTextareaProps(fields.description, { ariaAttributes: false })}
            key={fields.description.key}
            errors={fields.description.errors}
            rows={3}
            maxLength={2000}
          />
          <TextField
            label="Image URL (optional)"
            className="sm:col-span-2"
            {...getInputProps(fields.imageUrl, { type: "url", ariaAttributes: false })}
            key={fields.imageUrl.key}
            errors={fields.imageUrl.errors}
            placeholder="https://…"
          />
          <SegmentSelect field={fields.segmentId} segments={segments} />
          <TextField
            label="Total stock (optional)"
            {...getInputProps(fields.stockTotal, { type: "number", ariaAttributes: false })}
            key={fields.stockTotal.key}
            errors={fields.stockTotal.errors}
            min={1}
            hint="How many members can claim it in total; empty for no limit. One claim per member."
          />
          <TextField label={`Starts (${timezone})`} {...getInputProps(fields.startsAt, { type: "datetime-local", ariaAttributes: false })} key={fields.startsAt.key} errors={fields.startsAt.errors} />
          <TextField label={`Ends (${timezone})`} {...getInputProps(fields.endsAt, { type: "datetime-local", ariaAttributes: false })} key={fields.endsAt.key} errors={fields.endsAt.errors} />
        </div>
      </Card>
      <Card title="What it grants">
        <fieldset disabled={!creating} className="grid grid-cols-1 gap-4 sm:grid-cols-2">
          <SelectField
            label="Grants"
            {...getSelectProps(fields.kind, { ariaAttributes: false })}
            key={fields.kind.key}
            errors={fields.kind.errors}
            onChange={(e) => setKind(e.target.value as "reward" | "multiplier")}
            options={[
              { value: "reward", label: "A reward from the catalog" },
              { value: "multiplier", label: "A points multiplier for a period" },
            ]}
          />
          {kind === "reward" ? (
            <RewardSelect field={fields.rewardId} rewards={rewards} />
          ) : (
            <>
              <TextField
                label="Multiplier (%)"
                {...getInputProps(fields.multiplierPercent, { type: "number", ariaAttributes: false })}
                key={fields.multiplierPercent.key}
                errors={fields.multiplierPercent.errors}
                min={101}
                max={1000}
                hint="200 = double points on every order"
              />
              <TextField
                label="For how many days after claiming"
                {...getInputProps(fields.multiplierDays, { type: "number", ariaAttributes: false })}
                key={fields.multiplierDays.key}
                errors={fields.multiplierDays.errors}
                min={1}
                max={365}
              />
            </>
          )}
        </fieldset>
        {!creating ? <p className="mt-2 text-xs text-stone-500">What an offer grants cannot change after it is created.</p> : null}
      </Card>
      <Card title="Holdout">
        <HoldoutSlider
          name="holdoutPercent"
          defaultPercent={Number(values.holdoutPercent || DEFAULT_HOLDOUT_PERCENT)}
          of="eligible members"
          locked={!creating}
          errors={fields.holdoutPercent.errors}
          hint="A random, sticky share of the segment never sees, receives or is e-mailed this offer: the control group that measures its real effect. 0–50%."
        />
      </Card>
      <Button type="submit" busy={nav.state === "submitting"}>
        {creating ? "Create offer" : "Save offer"}
      </Button>
    </Form>
  );
}

/** The segment an offer or gift targets (shared by the offer and surprise gift forms). */
export function SegmentSelect({ field, segments }: { field: FieldMetadata<string>; segments: Array<{ id: string; name: string }> }) {
  return (
    <SelectField
      label="Segment"
      {...getSelectProps(field, { ariaAttributes: false })}
      key={field.key}
      errors={field.errors}
      options={[{ value: "", label: "Choose a segment" }, ...segments.map((s) => ({ value: s.id, label: s.name }))]}
    />
  );
}

/** The catalog reward an offer or gift grants (shared by the offer and surprise gift forms). */
export function RewardSelect({ field, rewards }: { field: FieldMetadata<string>; rewards: Array<{ id: string; name: string }> }) {
  return (
    <SelectField
      label="Reward"
      {...getSelectProps(field, { ariaAttributes: false })}
      key={field.key}
      errors={field.errors}
      options={[{ value: "", label: rewards.length ? "Choose a reward" : "No active rewards in the catalog" }, ...rewards.map((r) => ({ value: r.id, label: r.name }))]}
    />
  );
}
