import { ZodError } from "zod";
import { attachBodyText } from "~/lib/body.server";
import { DomainError } from "~/lib/errors";
import { httpStatus } from "./error-status";

/**
 * The one place API failures become HTTP: every error body is `{ "error": { "code", "message", "field"? } }`.
 * Expected failures get their status from the table in error-status.ts; anything unexpected is logged and answered with a bland 500 so
 * internals (SQL, stack traces) never reach a client.
 */
export interface ApiErrorBody {
  error: { code: string; message: string; field?: string };
}

export function apiErrorBody(code: string, message: string, field?: string): ApiErrorBody {
  return { error: field ? { code, message, field } : { code, message } };
}

export function apiJson(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("Content-Type", "application/json; charset=utf-8");
  // API responses are per-key data: never cached by browsers or shared proxies.
  h.set("Cache-Control", "no-store");
  const text = JSON.stringify(body);
  // A known length lets the compression middleware skip small bodies (gzip costs more CPU than it saves below ~1 KiB).
  h.set("Content-Length", String(Buffer.byteLength(text)));
  return attachBodyText(new Response(text, { status, headers: h }), text);
}

export function apiErrorResponse(status: number, code: string, message: string, field?: string, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  if (status === 401) h.set("WWW-Authenticate", 'Bearer realm="perennial"');
  return apiJson(apiErrorBody(code, message, field), status, h);
}

/** Dotted path of a Zod issue (`address.lines.0`); undefined for the root. */
export function issuePath(path: ReadonlyArray<PropertyKey>): string | undefined {
  return path.length ? path.map(String).join(".") : undefined;
}

export function toApiError(err: unknown): Response {
  if (err instanceof DomainError) {
    return apiErrorResponse(httpStatus(err), err.code, err.message, err.field);
  }
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    // An unknown key is reported on the key itself, which is what a client needs to fix.
    const path = issue?.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]!] : issue?.path ?? [];
    const message = issue?.code === "unrecognized_keys" ? `Unknown field: ${issue.keys.join(", ")}` : issue?.message ?? "Invalid request";
    return apiErrorResponse(422, "validation_failed", message, issuePath(path));
  }
  console.error("[api] unexpected error:", err);
  return apiErrorResponse(500, "internal_error", "Something went wrong on our side; the error has been logged");
}
