import { readBoundedBody } from "~/lib/body.server";
import { parseWithZod } from "@conform-to/zod/v4";
import { z } from "zod";
import { findUnstorableText, jsonTooDeep, printable, unstorableReason } from "~/lib/storable-text";

// Our forms are a few kilobytes (file uploads go through app/domain/imports/upload.server.ts, not here).
export const MAX_FORM_BYTES = 1024 * 1024;

/**
 * The request body as form data: the one reader every form action uses. A body that is not a form (wrong content
 * type, garbage) reads as an empty form, so it fails validation with field errors and a 400 instead of a 500.
 * Refused with a thrown 4xx before any route sees them: a body over MAX_FORM_BYTES (413) and Conform's own control
 * fields (`__intent__`, `__state__`) that its parser would crash on. Text PostgreSQL could not store (NUL, unpaired
 * surrogates) is refused too — a thrown 400 naming the field — unless `unstorable: "report"`: then the caller must
 * parse with `parseSubmission`, which turns it into a field error. Browsers never send these; scripts do.
 */
export async function readForm(request: Request, opts: { unstorable?: "refuse" | "report" } = {}): Promise<FormData> {
  const form = await parseFormBody(request);
  for (const [name, value] of form) {
    // A field *name* nobody can correct in the form: always refused.
    const reason = unstorableReason(name) ?? (opts.unstorable !== "report" && typeof value === "string" ? unstorableReason(value) : null);
    if (reason) throw badForm(`The field “${printable(name)}” ${reason}. Nothing was saved.`);
  }
  for (const control of ["__intent__", "__state__"]) {
    const v = form.get(control);
    if (v !== null && (typeof v !== "string" || jsonTooDeep(v, 16))) throw badForm(`The form control “${control}” is malformed. Nothing was saved.`);
  }
  const bad = unstorableField(form);
  if (bad && opts.unstorable !== "report") throw badForm(`The field “${bad.field}” ${bad.reason}. Nothing was saved.`);
  return form;
}

/** Refuses (thrown 400) text PostgreSQL could not store, for a branch of an action read with `unstorable: "report"` that does not go through `parseSubmission`. */
export function refuseUnstorable(form: FormData): void {
  const bad = unstorableField(form);
  if (bad) throw badForm(`The field “${bad.field}” ${bad.reason}. Nothing was saved.`);
}

/**
 * Conform's parseWithZod, plus a field error for any value PostgreSQL could not store (NUL, unpaired surrogates), so
 * the form shows it beside the field and nothing is written. Use with `readForm(request, { unstorable: "report" })`.
 */
export function parseSubmission<S extends z.ZodType>(form: FormData, opts: { schema: S }) {
  const bad = unstorableField(form);
  if (!bad) return parseWithZod(form, opts);
  const path = bad.field.split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const schema = opts.schema.superRefine((_value, ctx) => {
    ctx.addIssue({ code: "custom", path, message: `This field ${bad.reason}` });
  }) as unknown as S;
  return parseWithZod(form, { schema });
}

/** The one reader + parser for a form action that validates one schema: field errors for every kind of bad input. */
export async function readSubmission<S extends z.ZodType>(request: Request, opts: { schema: S }) {
  return parseSubmission(await readForm(request, { unstorable: "report" }), opts);
}

/** The first field (Conform path, dotted) whose value PostgreSQL could not store, after Conform's intents are applied. */
function unstorableField(form: FormData) {
  let payload: unknown;
  try {
    // A dry run of the parser every route uses, with no schema: a malformed intent (bad JSON, a list operation on
    // a field that is not a list) throws here rather than as a 500 inside the route. An `update` intent can carry
    // values of its own (JSON escapes included), so the payload is what is checked.
    payload = parseWithZod(form, { schema: z.any() }).payload;
  } catch {
    throw badForm("The form's control fields are malformed. Nothing was saved.");
  }
  return findUnstorableText(payload);
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
