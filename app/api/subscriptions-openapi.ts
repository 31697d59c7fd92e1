import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import { COMMON_ERRORS, errs } from "./openapi-paths";
import { SubscriptionSummaryResponse } from "./subscriptions-schemas";

/** The subscription operations, registered into the shared document by app/api/openapi.ts. */
export function registerSubscriptionPaths(registry: OpenAPIRegistry, ctx: { security: RouteConfig["security"] }): void {
  registry.registerPath({
    method: "get",
    path: "/api/v1/subscriptions/summary",
    tags: ["CLTV"],
    operationId: "getSubscriptionSummary",
    summary: "Get MRR, churn, cohort retention and subscription CLTV",
    description:
      "For merchants selling subscriptions through Stripe: MRR and churn per calendar month (last 24), retention per monthly " +
      "cohort with the shifted-beta-geometric (sBG) model's fit, and the subscription CLTV = ARPU × gross margin × discounted " +
      "expected lifetime. Computed on request from the subscriptions Stripe has sent. Requires the `reports:read` scope.",
    security: ctx.security,
    responses: {
      200: { description: "The subscription summary", content: { "application/json": { schema: SubscriptionSummaryResponse } } },
      ...errs({
        401: COMMON_ERRORS[401],
        403: "The key lacks the `reports:read` scope (`insufficient_scope`)",
      }),
    },
  });
}
