import { getFormProps, getInputProps, useForm, type SubmissionResult } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Form, useNavigation } from "@remix-run/react";
import { Button, FormErrors, TextField } from "~/components/ui";
import { API_SCOPES, newApiKeySchema } from "~/domain/api-keys/scopes";

/** A new API key: its name and the scopes it carries (one checkbox per scope in API_SCOPES). */
export function ApiKeyCreateForm({ lastResult }: { lastResult?: SubmissionResult<string[]> }) {
  const busy = useNavigation().formData?.get("intent") === "create";
  const [form, fields] = useForm({
    id: "create-api-key",
    lastResult,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: newApiKeySchema }),
    // Errors clear while typing, not on blur: a message vanishing on blur shifts the button away from the click.
    shouldValidate: "onSubmit",
    shouldRevalidate: "onInput",
  });
  const scopeErrors = fields.scopes.errors;
  return (
    <Form method="post" {...getFormProps(form)} className="space-y-4">
      <input type="hidden" name="intent" value="create" />
      <FormErrors errors={form.errors} />
      <TextField
        label="Name"
        hint="Where the key is used, e.g. “Shopify sync”."
        errors={fields.name.errors}
        {...getInputProps(fields.name, { type: "text" })}
        key={fields.name.key}
        maxLength={80}
      />
      <fieldset aria-describedby={scopeErrors?.length ? "scopes-error" : undefined}>
        <legend className="text-sm font-medium text-stone-800">Scopes</legend>
        <div className="mt-2 space-y-2">
          {Object.entries(API_SCOPES).map(([scope, description]) => (
            <label key={scope} className="flex items-start gap-2 text-sm">
              <input type="checkbox" name={fields.scopes.name} value={scope} className="mt-0.5" />
              <span>
                <code className="font-mono text-stone-900">{scope}</code> <span className="text-stone-600">— {description}</span>
              </span>
            </label>
          ))}
        </div>
        {scopeErrors?.length ? (
          <p id="scopes-error" role="alert" className="mt-1 text-sm text-red-700">
            {scopeErrors[0]}
          </p>
        ) : null}
      </fieldset>
      <Button type="submit" busy={busy}>
        Create key
      </Button>
    </Form>
  );
}
