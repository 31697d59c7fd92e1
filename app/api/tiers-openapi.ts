import type { OpenAPIRegistry, ResponseConfig, RouteConfig } from "@asteasolutions/zod-to-openapi";
import { ErrorSchema, MemberIdParams } from "./schemas";
import { MemberTierSchema } from "./tiers-schemas";

/** GET /api/v1/members/{id}/tier: its OpenAPI operation (shape in tiers-schemas.ts). */

export function registerTierPaths(registry: OpenAPIRegistry, ctx: { security: RouteConfig["security"] }): void {
  const err = (d: string): ResponseConfig => ({ description: d, content: { "application/json": { schema: ErrorSchema } } });
  registry.registerPath({
    method: "get",
    path: "/api/v1/members/{id}/tier",
    tags: ["Points"],
    operationId: "getMemberTier",
    summary: "Get a member's tier",
    description:
      "The member's current tier with its benefits, the qualifying figure, progress to the next tier and any scheduled downgrade. " +
      "Upgrades show here the moment an order or event crosses a threshold. Requires the `points:read` scope.",
    security: ctx.security,
    request: { params: MemberIdParams },
    responses: {
      200: { description: "The member's tier", content: { "application/json": { schema: MemberTierSchema } } },
      401: err("Missing, malformed, unknown or revoked API key (`unauthenticated`)"),
      403: err("The key lacks the scope this endpoint needs (`insufficient_scope`)"),
      404: err("No such member (`not_found`)"),
    },
  });
}
