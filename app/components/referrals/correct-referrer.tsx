import { getFormProps, getInputProps, getTextareaProps, useForm, type SubmissionResult } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { useFetcher } from "@remix-run/react";
import { Alert, Button, FormErrors, TextAreaField, TextField } from "~/components/ui";
import { CorrectReferrerSchema } from "~/web/forms/referrals";

export interface CorrectReferrerResult {
  result: SubmissionResult<string[]>;
  done: string | null;
}

/**
 * Staff correction of who referred a member (issue 5): allowed only before any reward of the referral was paid and
 * for a member who refers nobody yet; the domain enforces both and the reason goes to the audit trail.
 */
export function CorrectReferrerForm({ memberName, hasReferrer }: { memberName: string; hasReferrer: boolean }) {
  const fetcher = useFetcher<CorrectReferrerResult>();
  const [form, fields] = useForm({
    id: "correct-referrer",
    lastResult: fetcher.state === "idle" ? fetcher.data?.result : undefined,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: CorrectReferrerSchema }),
    shouldValidate: "onSubmit",
    shouldRevalidate: "onInput",
  });
  const done = fetcher.state === "idle" ? fetcher.data?.done : null;
  const busy = (intent: string) => fetcher.state !== "idle" && fetcher.formData?.get("intent") === intent;
  return (
    <section aria-labelledby="correct-referrer-heading" className="rounded-lg border border-stone-200 bg-white p-4 shadow-sm">
      <h2 id="correct-referrer-heading" className="text-lg font-semibold text-stone-900">
        Correct the referrer
      </h2>
      <p className="mt-1 text-sm text-stone-600">
        Possible until a reward of {memberName}'s referral has been paid, and only while {memberName} refers nobody. The reason is recorded in the audit trail.
      </p>
      {done ? (
        <div className="mt-3">
          <Alert tone="success">{done}</Alert>
        </div>
      ) : null}
      <fetcher.Form method="post" {...getFormProps(form)} className="mt-3 space-y-3">
        <FormErrors errors={form.errors} id={form.errorId} />
        <TextField
          label="New referrer"
          hint="Their e-mail address or referral code."
          errors={fields.referrer.errors}
          autoComplete="off"
          {...getInputProps(fields.referrer, { type: "text", ariaAttributes: false })}
          key={fields.referrer.key}
        />
        <TextAreaField label="Reason" rows={2} errors={fields.reason.errors ?? fields.intent.errors} {...getTextareaProps(fields.reason, { ariaAttributes: false })} key={fields.reason.key} />
        <div className="flex flex-wrap gap-2">
          <Button type="submit" name="intent" value="set" size="sm" busy={busy("set")}>
            Set referrer
          </Button>
          {hasReferrer ? (
            <Button type="submit" name="intent" value="remove" variant="secondary" size="sm" busy={busy("remove")}>
              Remove the referrer
            </Button>
          ) : null}
        </div>
      </fetcher.Form>
    </section>
  );
}
