/**
 * Expected failures are typed domain errors with a stable code (and, optionally, the input field at fault). They carry
 * no HTTP status: the one code → status table is app/api/error-status.ts (`httpStatus(err)`), which the API's
 * `toApiError` and the web's form actions both use. A new code gets its row there (a unit test fails until it does).
 */
export class DomainError extends Error {
  readonly code: string;
  readonly field?: string;

  constructor(code: string, message: string, opts: { field?: string } = {}) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.field = opts.field;
  }
}

export const notFound = (what: string) => new DomainError("not_found", `${what} not found`);
export const forbidden = (message = "You do not have access to this resource") => new DomainError("forbidden", message);
export const conflict = (message: string, field?: string) => new DomainError("conflict", message, { field });
export const validationFailed = (message: string, field?: string) =>
  new DomainError("validation_failed", message, { field });
