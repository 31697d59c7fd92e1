import { httpStatus } from "~/api/error-status";
import { DomainError } from "~/lib/errors";

/**
 * A domain error as a client sees it, status included (read from the one table in app/api/error-status.ts, since
 * domain errors carry none), for `toMatchObject({ code, status })`; anything else is returned as it is.
 */
export function withHttpStatus(err: unknown): unknown {
  return err instanceof DomainError ? { name: err.name, code: err.code, message: err.message, field: err.field, status: httpStatus(err) } : err;
}

/** What `fn` throws; fails when it returns. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to throw");
}
