import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import { errs } from "./openapi-paths";
import { IncrementalityQuery, IncrementalityResponse } from "./incrementality-schemas";

/** The incrementality report's operation (issue 6), registered into the shared document by app/api/openapi.ts. */

export function registerIncrementalityPaths(registry: OpenAPIRegistry, ctx: { security: RouteConfig["security"] }): void {
  registry.registerPath({
    method: "get",
    path: "/api/v1/reports/incrementality",
    tags: ["Reports"],
    operationId: "getIncrementalityReport",
    summary: "Incremental CLTV of a program against its holdout",
    description:
      "Each arm of a program's experiment against its control (randomized holdout or an imported external assignment): members, " +
      "net value per member (gross margin + predicted residual CLTV − program cost; minor units), Welch's lift with its 95% interval " +
      "and p-value, the CUPED variant on pre-assignment spend (θ, variance reduction), program cost and the incremental value net " +
      "of cost per member and in total. Requires the `reports:read` scope.",
    security: ctx.security,
    request: { query: IncrementalityQuery },
    responses: {
      200: { description: "The report", content: { "application/json": { schema: IncrementalityResponse } } },
      ...errs({
        401: "Missing, malformed, unknown or revoked API key (`unauthenticated`)",
        403: "The key lacks the `reports:read` scope (`insufficient_scope`)",
        404: "No such program or arm (`not_found`)",
        422: "A query parameter failed validation (`validation_failed`); `field` names it",
      }),
    },
  });
}
