import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import { COMMON_ERRORS, errs, json } from "./openapi-paths";
import { MemberIdParams } from "./schemas";
import {
  CodeCheckSchema,
  CreateRewardBody,
  RedeemBody,
  RedemptionListSchema,
  RedemptionSchema,
  ReleaseCodeBody,
  ReleasedSchema,
  RewardIdParams,
  RewardListSchema,
  RewardSchema,
  UseCodeBody,
  ValidateCodeBody,
} from "./rewards-schemas";

/** The rewards API's operations, registered into the shared document by app/api/openapi.ts. */

const CODE_ERRORS = {
  ...COMMON_ERRORS,
  403: "`insufficient_scope`, or the code belongs to another member (`wrong_member`)",
  404: "Unknown code (`not_found`)",
  409: "The code was already used by another order (`used`), or is still being created at Stripe (`inactive`)",
  410: "The code has expired or was cancelled (`expired`)",
  422: "The order is below the code's minimum (`below_minimum`), or a field failed validation (`validation_failed`)",
};

export function registerRewardPaths(
  registry: OpenAPIRegistry,
  ctx: { security: RouteConfig["security"]; requiredIdempotencyKey: { $ref: string }; idempotencyKey: { $ref: string } },
): void {
  const routes: RouteConfig[] = [
    {
      method: "get",
      path: "/api/v1/rewards",
      tags: ["Rewards"],
      operationId: "listRewards",
      summary: "List the reward catalog",
      description: "Active rewards, cheapest first. Requires the `rewards:read` scope.",
      security: ctx.security,
      responses: { 200: { description: "The catalog", content: json(RewardListSchema) }, ...errs({ 401: COMMON_ERRORS[401], 403: COMMON_ERRORS[403] }) },
    },
    {
      method: "post",
      path: "/api/v1/rewards",
      tags: ["Rewards"],
      operationId: "createReward",
      summary: "Add a reward",
      description: "Adds a reward to the catalog (audited). Requires the `rewards:write` scope.",
      security: ctx.security,
      parameters: [ctx.idempotencyKey],
      request: { body: { required: true, content: json(CreateRewardBody) } },
      responses: { 201: { description: "The reward", content: json(RewardSchema) }, ...errs(COMMON_ERRORS) },
    },
    {
      method: "get",
      path: "/api/v1/rewards/{id}",
      tags: ["Rewards"],
      operationId: "getReward",
      summary: "Get a reward",
      description: "Requires the `rewards:read` scope.",
      security: ctx.security,
      request: { params: RewardIdParams },
      responses: { 200: { description: "The reward", content: json(RewardSchema) }, ...errs({ 401: COMMON_ERRORS[401], 403: COMMON_ERRORS[403], 404: "No such reward (`not_found`)" }) },
    },
    {
      method: "get",
      path: "/api/v1/members/{id}/redemptions",
      tags: ["Rewards"],
      operationId: "listRedemptions",
      summary: "List a member's redemptions",
      description: "Newest first, with their codes and states. Requires the `rewards:read` scope.",
      security: ctx.security,
      request: { params: MemberIdParams },
      responses: { 200: { description: "The redemptions", content: json(RedemptionListSchema) }, ...errs({ 401: COMMON_ERRORS[401], 403: COMMON_ERRORS[403], 404: "No such member (`not_found`)" }) },
    },
    {
      method: "post",
      path: "/api/v1/members/{id}/redemptions",
      tags: ["Rewards"],
      operationId: "redeemReward",
      summary: "Redeem a reward",
      description:
        "One atomic operation: checks eligibility, spends the points, takes one unit of stock and issues a unique code. With Stripe " +
        "connected, discount codes and store credit are created at Stripe in the background: the redemption is `pending` until then, " +
        "and if Stripe refuses it the redemption becomes `void` and the points are returned. For `points_discount` rewards send " +
        "`points` (a multiple of the reward's points cost): the response's `discount_minor` is the discount and `code` applies it. " +
        "Requires the `rewards:write` scope.",
      security: ctx.security,
      parameters: [ctx.requiredIdempotencyKey],
      request: { params: MemberIdParams, body: { required: true, content: json(RedeemBody) } },
      responses: {
        201: { description: "The redemption", content: json(RedemptionSchema) },
        ...errs({
          400: "No `Idempotency-Key` header (`idempotency_key_required`), an invalid one, or a body that is not JSON",
          ...COMMON_ERRORS,
          403: "`insufficient_scope`, or the member may not have this reward (`not_eligible`: tier, holdout, blocked)",
          404: "No such member or reward (`not_found`)",
          409: "`insufficient_points`, `out_of_stock`, `limit_reached` (per-member limit for the period), `inactive` (outside its window or archived), or `idempotency_conflict`",
        }),
      },
    },
    {
      method: "post",
      path: "/api/v1/codes/validate",
      tags: ["Checkout"],
      operationId: "validateCode",
      summary: "Validate a reward code for an order",
      description: "Reads only. The discount this code gives on the order, or a precise error. Requires the `rewards:read` scope.",
      security: ctx.security,
      request: { body: { required: true, content: json(ValidateCodeBody) } },
      responses: { 200: { description: "The code applies", content: json(CodeCheckSchema) }, ...errs(CODE_ERRORS) },
    },
    {
      method: "post",
      path: "/api/v1/codes/use",
      tags: ["Checkout"],
      operationId: "useCode",
      summary: "Mark a code used by an order",
      description:
        "Idempotent per order: the same code and order again answers the same. A code used on an order that is later refunded stays " +
        "used and its points are not returned (spends are final in the ledger); release it only when the order is cancelled. " +
        "Requires the `rewards:write` scope.",
      security: ctx.security,
      parameters: [ctx.idempotencyKey],
      request: { body: { required: true, content: json(UseCodeBody) } },
      responses: { 200: { description: "The code is used by this order", content: json(CodeCheckSchema) }, ...errs(CODE_ERRORS) },
    },
    {
      method: "post",
      path: "/api/v1/codes/release",
      tags: ["Checkout"],
      operationId: "releaseCode",
      summary: "Release a code (order cancelled)",
      description: "Makes a code used by this order usable again; releasing an unused code is a no-op. Requires the `rewards:write` scope.",
      security: ctx.security,
      parameters: [ctx.idempotencyKey],
      request: { body: { required: true, content: json(ReleaseCodeBody) } },
      responses: {
        200: { description: "The code is usable again", content: json(ReleasedSchema) },
        ...errs({ ...COMMON_ERRORS, 404: "Unknown code (`not_found`)", 409: "The code was used by another order, or is not a used code (`conflict`)" }),
      },
    },
  ];
  for (const r of routes) registry.registerPath(r);
}
