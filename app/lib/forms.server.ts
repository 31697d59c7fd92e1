import { readBoundedBody } from "~/lib/body.server";
import { data } from "@remix-run/node";
import { parseWithZod, type Submission, type SubmissionResult } from "@conform-to/zod/v4";
import { z } from "zod";
import { DomainError } from "~/lib/errors";
import { findUnstorableText, jsonTooDeep, printable, unstorableReason } from "~/lib/storable-text";

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

// Our forms are a few kilobytes (file uploads go through app/domain/imports/upload.server.ts, not here).
export const MAX_FORM_BYTES = 1024 * 1024;

/**
 * The request body as form data: the one reader every form action uses. A body that is not a form (wrong content
 * type, garbage) reads as an empty form, so it fails validation with field errors and a 400 instead of a 500.
 * Refused with a thrown 4xx before any route sees them: a body over MAX_FORM_BYTES (413), a field name or value
 * PostgreSQL could not store (NUL, unpaired surrogates: 400 naming the field), and Conform's own control fields
 * (`__intent__`, `__state__`) that its parser would crash on. Browsers never send these; scripts do.
 */
export async function readForm(request: Request): Promise<FormData> {
  const form = await parseFormBody(request);
  for (const [name, value] of form) {
    const reason = unstorableReason(name) ?? (typeof value === "string" ? unstorableReason(value) : null);
    if (reason) throw badForm(`The field “${printable(name)}” ${reason}. Nothing was saved.`);
  }
  for (const control of ["__intent__", "__state__"]) {
    const v = form.get(control);
    if (v !== null && (typeof v !== "string" || jsonTooDeep(v, 16))) throw badForm(`The form control “${control}” is malformed. Nothing was saved.`);
  }
  let payload: unknown;
  try {
    // A dry run of the parser every route uses, with no schema: a malformed intent (bad JSON, a list operation on
    // a field that is not a list) throws here rather than as a 500 inside the route.
    payload = parseWithZod(form, { schema: z.any() }).payload;
  } catch {
    throw badForm("The form's control fields are malformed. Nothing was saved.");
  }
  // An `update` intent can carry values of its own (JSON escapes included).
  const bad = findUnstorableText(payload);
  if (bad) throw badForm(`The field “${bad.field}” ${bad.reason}. Nothing was saved.`);
  return form;
}

const badForm = (message: string) => new Response(message, { status: 400, headers: { "Content-Type": "text/plain; charset=utf-8" } });

async function parseFormBody(request: Request): Promise<FormData> {
  const bytes = await readBoundedBody(request, MAX_FORM_BYTES, tooLarge);
  try {
    return await new Response(bytes, { headers: { "Content-Type": request.headers.get("Content-Type") ?? "" } }).formData();
  } catch {
    return new FormData();
  }
}

const tooLarge = () => new Response(`The form is larger than ${MAX_FORM_BYTES / 1024 / 1024} MiB. Nothing was saved.`, { status: 413, headers: { "Content-Type": "text/plain; charset=utf-8" } });
