import type { DomainError } from "~/lib/errors";

/**
 * The one table that turns a domain error's code into an HTTP status, for the API (`toApiError`) and the forms
 * (`formAction`). Domain errors carry no status; every code the app throws has a row here, which
 * error-status.test.ts checks by scanning app/ for `new DomainError("…"`. One code, one status: a failure that needs
 * another status needs another code.
 */
export const ERROR_STATUS = {
  // 400: the request itself is malformed
  bad_request: 400,
  invalid_json: 400,
  invalid_payload: 400,
  invalid_signature: 400,
  invalid_event: 400,
  invalid_idempotency_key: 400,
  idempotency_key_required: 400,
  // 401, 403: who is asking
  unauthenticated: 401,
  forbidden: 403,
  insufficient_scope: 403,
  not_eligible: 403,
  wrong_member: 403,
  // 404, 405, 410, 413
  not_found: 404,
  method_not_allowed: 405,
  expired: 410,
  payload_too_large: 413,
  // 409: the request is fine but the state of things refuses it
  conflict: 409,
  idempotency_conflict: 409,
  order_conflict: 409,
  refund_conflict: 409,
  email_taken: 409,
  external_id_taken: 409,
  existing_customer: 409,
  already_member: 409,
  already_referred: 409,
  already_claimed: 409,
  has_referrals: 409,
  holdout_friend: 409,
  insufficient_points: 409,
  no_clawback_debt: 409,
  out_of_stock: 409,
  limit_reached: 409,
  inactive: 409,
  used: 409,
  reward_paid: 409,
  offer_not_running: 409,
  program_disabled: 409,
  stripe_not_connected: 409,
  // 422: well-formed, but the values do not make sense
  validation_failed: 422,
  below_minimum: 422,
  amount_too_large: 422,
  currency_mismatch: 422,
  refund_exceeds_order: 422,
  self_referral: 422,
  insufficient_data: 422,
  invalid_file: 422,
  unknown_event: 422,
  // 429
  rate_limited: 429,
} as const satisfies Record<string, number>;

/** What a code missing from the table answers: a client error, as DomainError's default has always been. */
export const UNKNOWN_CODE_STATUS = 400;

const reported = new Set<string>();

export function httpStatus(err: DomainError): number {
  const status = (ERROR_STATUS as Record<string, number>)[err.code];
  if (status !== undefined) return status;
  // A bug, not a client's fault: say so once per code (console.error fails a test), and answer 400 as before.
  if (!reported.has(err.code)) {
    reported.add(err.code);
    console.error(`[errors] the error code "${err.code}" has no HTTP status in app/api/error-status.ts; answering ${UNKNOWN_CODE_STATUS}`);
  }
  return UNKNOWN_CODE_STATUS;
}
