import { getFormProps, getInputProps, getTextareaProps, useForm, type SubmissionResult } from "@conform-to/react";
import { Form, useNavigation } from "@remix-run/react";
import { Alert, Button, Card, FormErrors, TextAreaField, TextField } from "~/components/ui";
import type { Rule } from "~/domain/segments/rule";
import { SegmentBuilder } from "./segment-builder";

/** Create / edit a segment: name, description and the rule builder with its live count. */
export function SegmentForm({
  segment,
  slug,
  currency,
  tiers,
  editable,
  lastResult,
  saved,
}: {
  segment: { name: string; description: string | null; rule: Rule };
  slug: string;
  currency: string;
  tiers: Array<{ id: string; name: string }>;
  editable: boolean;
  lastResult?: SubmissionResult<string[]>;
  saved?: boolean;
}) {
  const nav = useNavigation();
  const [form, fields] = useForm({ lastResult, defaultValue: { name: segment.name, description: segment.description ?? "", rule: "" } });
  return (
    <Form method="post" {...getFormProps(form)} className="space-y-6">
      {saved ? <Alert tone="success">Segment saved.</Alert> : null}
      {!editable ? <Alert tone="info">You can view this segment; changing it needs the admin role.</Alert> : null}
      <FormErrors id={form.errorId} errors={form.errors} />
      <Card title="Segment">
        <fieldset disabled={!editable} className="grid grid-cols-1 gap-4">
          <TextField label="Name" {...getInputProps(fields.name, { type: "text", ariaAttributes: false })} key={fields.name.key} errors={fields.name.errors} maxLength={120} />
          <TextAreaField
            label="Description (optional)"
            {...getTextareaProps(fields.description, { ariaAttributes: false })}
            key={fields.description.key}
            errors={fields.description.errors}
            maxLength={500}
            rows={2}
          />
        </fieldset>
      </Card>
      <Card title="Rule">
        <SegmentBuilder
          initial={segment.rule}
          countUrl={`/admin/${slug}/segments/count`}
          memberHref={(id) => `/admin/${slug}/members/${id}`}
          currency={currency}
          tiers={tiers}
          disabled={!editable}
        />
        {fields.rule.errors?.length ? (
          <p className="mt-2 text-sm text-red-700" role="alert">
            {fields.rule.errors[0]}
          </p>
        ) : null}
      </Card>
      {editable ? (
        <Button type="submit" busy={nav.state === "submitting"}>
          Save segment
        </Button>
      ) : null}
    </Form>
  );
}
