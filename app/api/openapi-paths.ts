import type { ResponseConfig } from "@asteasolutions/zod-to-openapi";
import type { ZodType } from "zod";
import { ErrorSchema } from "./schemas";

/** Small builders shared by the per-feature OpenAPI registration files (app/api/*-openapi.ts). */

export const json = (schema: ZodType) => ({ "application/json": { schema } });

/** Error responses, all with the `{ error: { code, message, field? } }` body, keyed by status. */
export function errs(own: Record<number, string>): Record<string, ResponseConfig> {
  return Object.fromEntries(Object.entries(own).map(([s, d]) => [s, { description: d, content: json(ErrorSchema) }]));
}

/** The errors every authenticated endpoint can answer. */
export const COMMON_ERRORS = {
  401: "Missing, malformed, unknown or revoked API key (`unauthenticated`)",
  403: "The key lacks the scope this endpoint needs (`insufficient_scope`)",
  422: "A field failed validation (`validation_failed`); `field` names it",
} as const;
