import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import { COMMON_ERRORS, errs, json } from "./openapi-paths";
import { CltvSettingsPatch, CltvSettingsResponse } from "./cltv-settings-schemas";

/** GET/PATCH /api/v1/settings/cltv: their OpenAPI operations (shapes in cltv-settings-schemas.ts). */

export function registerCltvSettingsPaths(registry: OpenAPIRegistry, ctx: { security: RouteConfig["security"] }): void {
  registry.registerPath({
    method: "get",
    path: "/api/v1/settings/cltv",
    tags: ["CLTV"],
    operationId: "getCltvSettings",
    summary: "Get the CLTV settings",
    description:
      "The settings the CLTV models and the incrementality report read: gross margin, acquisition and retention cost, discount rate, " +
      "how the purchase models are fitted, and `points_cost_basis` (how rewards bought with points are costed). Defaults until the " +
      "merchant sets them. Requires the `reports:read` scope.",
    security: ctx.security,
    responses: {
      200: {
        description: "The CLTV settings",
        content: json(CltvSettingsResponse),
      },
      ...errs({
        401: COMMON_ERRORS[401],
        403: "The key lacks the `reports:read` scope (`insufficient_scope`)",
      }),
    },
  });
  registry.registerPath({
    method: "patch",
    path: "/api/v1/settings/cltv",
    tags: ["CLTV"],
    operationId: "updateCltvSettings",
    summary: "Change CLTV settings",
    description:
      "Changes the settings given and keeps the others; answers with all of them. Each changed group (economics, model fitting, " +
      "points cost basis) is recorded in the audit log with this API key as the actor. The reports' summaries recompute on their " +
      "next read. Requires the `settings:write` scope.",
    security: ctx.security,
    request: { body: { required: true, content: json(CltvSettingsPatch) } },
    responses: {
      200: {
        description: "The CLTV settings after the change",
        content: json(CltvSettingsResponse),
      },
      ...errs({
        400: "The body is not a JSON object (`invalid_json`)",
        401: COMMON_ERRORS[401],
        403: "The key lacks the `settings:write` scope (`insufficient_scope`)",
        413: "The body is larger than 64 KiB (`payload_too_large`)",
        422: "A setting failed validation, is unknown, or none was given (`validation_failed`); `field` names it",
      }),
    },
  });
}
