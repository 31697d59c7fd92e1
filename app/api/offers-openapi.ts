import type { OpenAPIRegistry, RouteConfig } from "@asteasolutions/zod-to-openapi";
import { COMMON_ERRORS, errs, json } from "./openapi-paths";
import { MemberOffersSchema, OfferClaimSchema, OfferIdParams, SegmentsSchema } from "./offers-schemas";
import { MemberIdParams } from "./schemas";

/** The offers and segments API's operations, registered into the shared document by app/api/openapi.ts. */

const AUTH = { 401: COMMON_ERRORS[401], 403: COMMON_ERRORS[403] };

export function registerOfferPaths(registry: OpenAPIRegistry, ctx: { security: RouteConfig["security"]; requiredIdempotencyKey: { $ref: string } }): void {
  const routes: RouteConfig[] = [
    {
      method: "get",
      path: "/api/v1/segments",
      tags: ["Offers"],
      operationId: "listSegments",
      summary: "List segments",
      description: "The merchant's segments, each with its rule and how many active members match it now. Requires the `offers:read` scope.",
      security: ctx.security,
      responses: { 200: { description: "The segments", content: json(SegmentsSchema) }, ...errs(AUTH) },
    },
    {
      method: "get",
      path: "/api/v1/members/{id}/offers",
      tags: ["Offers"],
      operationId: "listMemberOffers",
      summary: "List the offers a member can see",
      description:
        "Running offers whose segment includes the member now (or that the member already claimed), minus those the member is held out of " +
        "(the randomized control group never sees an offer). Listing records exposure (`seen`). Requires the `offers:read` scope.",
      security: ctx.security,
      request: { params: MemberIdParams },
      responses: { 200: { description: "The member's offers", content: json(MemberOffersSchema) }, ...errs({ ...AUTH, 404: "Unknown member (`not_found`)" }) },
    },
    {
      method: "post",
      path: "/api/v1/members/{id}/offers/{offerId}/claim",
      tags: ["Offers"],
      operationId: "claimOffer",
      summary: "Claim an offer for a member",
      description:
        "Atomic: one claim per member, stock never oversold under concurrent claims. A reward offer grants its catalog reward (the response " +
        "carries the code); a multiplier offer multiplies the points the member earns for its number of days. An offer the member may not see " +
        "(not in the segment, held out, ended) is a 404, exactly like an unknown id. Requires the `offers:write` scope and an `Idempotency-Key`.",
      security: ctx.security,
      request: { params: OfferIdParams },
      parameters: [ctx.requiredIdempotencyKey],
      responses: {
        201: { description: "The claim", content: json(OfferClaimSchema) },
        ...errs({
          ...AUTH,
          400: "Missing or invalid Idempotency-Key",
          404: "Unknown member or offer, or an offer this member may not see (`not_found`)",
          409: "Already claimed (`already_claimed`), out of stock (`out_of_stock`), or `idempotency_conflict`",
        }),
      },
    },
  ];
  for (const r of routes) registry.registerPath(r);
}
