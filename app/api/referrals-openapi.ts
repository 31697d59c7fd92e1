import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import { COMMON_ERRORS, errs, json } from "./openapi-paths";
import { MemberIdParams } from "./schemas";
import {
  AttributeBody,
  AttributionSchema,
  DecideReviewBody,
  MemberReferralSchema,
  MemberReferralsSchema,
  ReferralListQuery,
  ReviewIdParams,
  ReviewListQuery,
  ReviewListSchema,
  ReviewSchema,
} from "./referrals-schemas";

/** The referrals API's operations (issue 5), registered into the shared document by app/api/openapi.ts. */

export function registerReferralPaths(
  registry: OpenAPIRegistry,
  ctx: { security: RouteConfig["security"]; requiredIdempotencyKey: { $ref: string } },
): void {
  const routes: RouteConfig[] = [
    {
      method: "get",
      path: "/api/v1/members/{id}/referral",
      tags: ["Referrals"],
      operationId: "getMemberReferral",
      summary: "Get a member's referral code, link and stats",
      description: "Creates the member's code on first use. `code` and `link` are null when the program is off, or the member is held out or blocked. Requires the `referrals:read` scope.",
      security: ctx.security,
      request: { params: MemberIdParams },
      responses: { 200: { description: "The member's referral facts", content: json(MemberReferralSchema) }, ...errs({ 401: COMMON_ERRORS[401], 403: COMMON_ERRORS[403], 404: "No such member (`not_found`)" }) },
    },
    {
      method: "get",
      path: "/api/v1/members/{id}/referrals",
      tags: ["Referrals"],
      operationId: "listMemberReferrals",
      summary: "List a member's referrals and network value",
      description: "Direct referrals newest first, and the network value by level (own value plus everyone below). Requires the `referrals:read` scope.",
      security: ctx.security,
      request: { params: MemberIdParams, query: ReferralListQuery },
      responses: { 200: { description: "Referrals and network", content: json(MemberReferralsSchema) }, ...errs({ ...COMMON_ERRORS, 404: "No such member (`not_found`)" }) },
    },
    {
      method: "post",
      path: "/api/v1/referrals/attributions",
      tags: ["Referrals"],
      operationId: "attributeReferral",
      summary: "Attribute a member to a referral code",
      description:
        "For shops that sign customers up elsewhere. One referrer per member, never changed: the same code again answers 200 with `created: false`. Fraud rules run as for a portal sign-up (the result may be `rejected` or `flagged`). Requires the `referrals:write` scope and an Idempotency-Key.",
      security: ctx.security,
      parameters: [ctx.requiredIdempotencyKey],
      request: { body: { required: true, content: json(AttributeBody) } },
      responses: {
        201: { description: "Attributed", content: json(AttributionSchema) },
        200: { description: "Already attributed to this code", content: json(AttributionSchema) },
        ...errs({
          ...COMMON_ERRORS,
          404: "Unknown member or unknown/unusable code (`not_found`)",
          409: "`already_referred` (another referrer), `existing_customer`, `has_referrals`, `program_disabled`, or `idempotency_conflict`",
          422: "`self_referral`, or a field failed validation (`validation_failed`)",
        }),
      },
    },
    {
      method: "get",
      path: "/api/v1/referrals/reviews",
      tags: ["Referrals"],
      operationId: "listReferralReviews",
      summary: "List fraud review items",
      description: "Open items first, newest first. Requires the `referrals:read` scope.",
      security: ctx.security,
      request: { query: ReviewListQuery },
      responses: { 200: { description: "Review items", content: json(ReviewListSchema) }, ...errs(COMMON_ERRORS) },
    },
    {
      method: "post",
      path: "/api/v1/referrals/reviews/{id}/decision",
      tags: ["Referrals"],
      operationId: "decideReferralReview",
      summary: "Decide a fraud review item",
      description: "approve (the referral pays when qualified), reject, or block_referrer (audited). Requires the `referrals:write` scope and an Idempotency-Key.",
      security: ctx.security,
      parameters: [ctx.requiredIdempotencyKey],
      request: { params: ReviewIdParams, body: { required: true, content: json(DecideReviewBody) } },
      responses: {
        200: { description: "The decided item", content: json(ReviewSchema) },
        ...errs({ ...COMMON_ERRORS, 404: "No such review item (`not_found`)", 409: "Already decided (`conflict`) or `idempotency_conflict`" }),
      },
    },
  ];
  for (const r of routes) registry.registerPath(r);
}
