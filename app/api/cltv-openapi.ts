import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import { COMMON_ERRORS, errs } from "./openapi-paths";
import { CltvModelQuery, CltvModelResponse, MemberCltvSchema } from "./cltv-schemas";
import { MemberIdParams } from "./schemas";

/** The CLTV operations, registered into the shared document by app/api/openapi.ts. */

const UNAUTHENTICATED = COMMON_ERRORS[401];

export function registerCltvPaths(registry: OpenAPIRegistry, ctx: { security: RouteConfig["security"] }): void {
  registry.registerPath({
    method: "get",
    path: "/api/v1/members/{id}/cltv",
    tags: ["CLTV"],
    operationId: "getMemberCltv",
    summary: "Get a member's predicted lifetime value",
    description:
      "The member's scores from the current CLTV model (BG/NBD for repeat purchases, Gamma-Gamma for spend, refitted nightly): " +
      "expected purchases and probability alive, expected order value, 12/24/36-month CLTV (gross margin, discounted), percentile, " +
      "value segment and the at-risk flag, with the model id and when the member was scored. A member the model has not scored yet " +
      "(no orders, or no model yet) is `scored: false` with null scores. Requires the `members:read` scope.",
    security: ctx.security,
    request: { params: MemberIdParams },
    responses: {
      200: { description: "The member's CLTV scores", content: { "application/json": { schema: MemberCltvSchema } } },
      ...errs({
        401: UNAUTHENTICATED,
        403: "The key lacks the `members:read` scope (`insufficient_scope`)",
        404: "No such member (`not_found`)",
      }),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/api/v1/cltv",
    tags: ["CLTV"],
    operationId: "getCltvModel",
    summary: "Get the current CLTV model",
    description:
      "The merchant's current CLTV model as stored: BG/NBD (r, α, a, b) and Gamma-Gamma (p, q, γ) parameters with their " +
      "log-likelihoods, customer counts, when it was fitted and on which orders, the fit diagnostics (actual against expected " +
      "customers by repeat purchases, the holdout validation), and the members it scored by value segment (top 20%, middle 60%, " +
      "bottom 20% by 12-month CLTV, at risk). `model` is null before the first fit. `include=classic` adds the classic formulas. " +
      "Requires the `reports:read` scope.",
    security: ctx.security,
    request: { query: CltvModelQuery },
    responses: {
      200: { description: "The current model", content: { "application/json": { schema: CltvModelResponse } } },
      ...errs({
        401: UNAUTHENTICATED,
        403: "The key lacks the `reports:read` scope (`insufficient_scope`)",
        422: "A query parameter failed validation (`validation_failed`); `field` names it",
      }),
    },
  });
}
