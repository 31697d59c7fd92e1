import { data } from "@remix-run/node";
import type { Submission, SubmissionResult } from "@conform-to/zod/v4";
import { DomainError } from "~/lib/errors";

/**
 * Turns an expected domain failure into a Conform reply: a field error when the error names a field the form has,
 * otherwise a form-level error; the HTTP status is the error's own (400, 401, 409, 429 …). Anything else is a bug
 * and is rethrown.
 */
export function replyWithDomainError<T>(submission: Submission<T>, err: unknown, opts: { fields?: string[]; hideFields?: string[] } = {}) {
  if (!(err instanceof DomainError)) throw err;
  const onField = err.field && (!opts.fields || opts.fields.includes(err.field));
  const result: SubmissionResult<string[]> = onField
    ? submission.reply({ fieldErrors: { [err.field!]: [err.message] }, hideFields: opts.hideFields })
    : submission.reply({ formErrors: [err.message], hideFields: opts.hideFields });
  return data({ result }, { status: err.status === 422 ? 400 : err.status });
}

/**
 * The request body as form data. A body that is not a form (wrong content type, garbage) reads as an empty form,
 * so it fails validation with field errors and a 400 instead of a 500.
 */
export async function readForm(request: Request): Promise<FormData> {
  try {
    return await request.formData();
  } catch {
    return new FormData();
  }
}
