import { data } from "@remix-run/node";
import type { Submission, SubmissionResult } from "@conform-to/zod/v4";
import { httpStatus } from "~/api/error-status";
import { DomainError } from "~/lib/errors";

/**
 * Where a form action's expected failures become replies: the web twin of `apiHandler`/`toApiError`. Statuses come
 * from the one table in app/api/error-status.ts; anything that is not a DomainError is a bug and is rethrown.
 */

export interface ReplyOptions {
  /** Fields the form shows errors beside; an error on another field (or none) becomes a form-level error. */
  fields?: string[];
  hideFields?: string[];
  /** A `not_found` error is a thrown 404 page instead of a reply (with this text, or the error's own when `true`). */
  notFound?: true | string;
  /** The form's name for a field the domain names differently. */
  fieldName?: (field: string) => string;
  /** The form's own wording for some error codes (a form-level error). */
  messages?: Partial<Record<string, string>>;
}

/** A form's status for a domain error. Conform forms have always answered 400 where the API says 422. */
export function formStatus(err: DomainError): number {
  const status = httpStatus(err);
  return status === 422 ? 400 : status;
}

/** A Conform reply for a domain error: a field error when the error names a field the form has, else a form error. */
export function replyWithDomainError<I, O, X extends object = object>(submission: Submission<I, string[], O>, err: unknown, opts: ReplyOptions & { extra?: X } = {}) {
  if (!(err instanceof DomainError)) throw err;
  if (opts.notFound && err.code === "not_found") throw notFoundResponse(opts.notFound === true ? err.message : opts.notFound);
  const worded = opts.messages?.[err.code];
  const onField = !worded && err.field && (!opts.fields || opts.fields.includes(err.field));
  const result: SubmissionResult<string[]> = onField
    ? submission.reply({ fieldErrors: { [opts.fieldName ? opts.fieldName(err.field!) : err.field!]: [err.message] }, hideFields: opts.hideFields })
    : submission.reply({ formErrors: [worded ?? err.message], hideFields: opts.hideFields });
  return data({ ...(opts.extra as X), result }, { status: formStatus(err) });
}

/**
 * The body of a form action: an invalid submission answers 400 with its field errors, a valid one runs `run`, and a
 * domain error thrown by it becomes a Conform reply (see replyWithDomainError). `extra` is merged into both error
 * replies, for actions whose data carries more than `result` (e.g. `{ sent: null }`).
 */
export async function formAction<I, O, R, X extends object = object>(
  submission: Submission<I, string[], O>,
  run: (value: O) => Promise<R>,
  opts: ReplyOptions & { extra?: X; listIntents?: boolean } = {},
) {
  // listIntents: a list add/remove sent without JavaScript (status undefined) is not a failed save: 200.
  const invalid = opts.listIntents && submission.status === undefined ? 200 : 400;
  if (submission.status !== "success") return data({ ...(opts.extra as X), result: submission.reply({ hideFields: opts.hideFields }) }, { status: invalid });
  try {
    return await run(submission.value);
  } catch (err) {
    return replyWithDomainError(submission, err, opts);
  }
}

/**
 * Any other reply body for a domain error, at the table's status (no 422 → 400 here: these replies never had it).
 * `only`: the codes this action answers; any other error is rethrown.
 */
export function domainErrorData<B>(err: unknown, body: (err: DomainError) => B, opts: { only?: string[]; notFound?: true | string } = {}) {
  if (!(err instanceof DomainError) || (opts.only && !opts.only.includes(err.code))) throw err;
  if (opts.notFound && err.code === "not_found") throw notFoundResponse(opts.notFound === true ? err.message : opts.notFound);
  return data(body(err), { status: httpStatus(err) });
}

export const notFoundResponse = (message = "Not found") => new Response(message, { status: 404 });

/** Awaits `work`; any domain error becomes a thrown 400 with its message (a cursor or parameter we did not issue). */
export async function orBadRequest<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof DomainError) throw new Response(err.message, { status: 400 });
    throw err;
  }
}

/** Awaits `work`; a `not_found` domain error becomes a thrown 404 (with `message`, or the error's own). */
export async function orNotFound<T>(work: Promise<T>, message?: string): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof DomainError && err.code === "not_found") throw notFoundResponse(message ?? err.message);
    throw err;
  }
}
