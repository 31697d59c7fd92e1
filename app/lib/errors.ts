/**
 * Expected failures are typed domain errors with a stable code. Routes map them to HTTP in one place
 * (app/api/errors.ts for the API, route modules for forms); the domain never knows about status codes beyond this table.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  insufficient_scope: 403,
  not_found: 404,
  conflict: 409,
  idempotency_conflict: 409,
  insufficient_points: 409,
  method_not_allowed: 405,
  payload_too_large: 413,
  validation_failed: 422,
  rate_limited: 429,
  out_of_stock: 409,
  limit_reached: 409,
  not_eligible: 403,
  inactive: 409,
  expired: 410,
  used: 409,
  below_minimum: 422,
  wrong_member: 403,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS | (string & {});

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly field?: string;

  constructor(code: ErrorCode, message: string, opts: { status?: number; field?: string } = {}) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.status = opts.status ?? (ERROR_STATUS as Record<string, number>)[code] ?? 400;
    this.field = opts.field;
  }
}

export const notFound = (what: string) => new DomainError("not_found", `${what} not found`);
export const forbidden = (message = "You do not have access to this resource") => new DomainError("forbidden", message);
export const conflict = (message: string, field?: string) => new DomainError("conflict", message, { field });
export const validationFailed = (message: string, field?: string) =>
  new DomainError("validation_failed", message, { field });
