import { OpenApiGeneratorV31, OpenAPIRegistry, type ResponseConfig, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import { API_SCOPES, type ApiScope } from "~/domain/api-keys/scopes";
import { IDEMPOTENCY_HEADER, REPLAYED_HEADER } from "~/domain/idempotency/request-hash";
import { ErrorSchema, ListMembersQuery, ListMembersResponse, MemberIdParams, MemberSchema, UpsertMemberBody } from "./schemas";
import {
  AdjustmentSchema,
  AdjustPointsBody,
  EventEarningSchema,
  LedgerPageSchema,
  LedgerQuery,
  OrderSchema,
  PointsBalanceSchema,
  RecordEventBody,
  RecordOrderBody,
  RecordRefundBody,
  RefundSchema,
  SpendPointsBody,
  SpendSchema,
} from "./points-schemas";
import { registerRewardPaths } from "./rewards-openapi";
import { registerReferralPaths } from "./referrals-openapi";
import { registerIncrementalityPaths } from "./incrementality-openapi";
import { registerOfferPaths } from "./offers-openapi";
import { registerTierPaths } from "./tiers-openapi";
import { registerCltvPaths } from "./cltv-openapi";
import { registerCltvSettingsPaths } from "./cltv-settings-openapi";
import { registerSubscriptionPaths } from "./subscriptions-openapi";

/**
 * The OpenAPI 3.1 document for /api/v1, generated from the Zod schemas the routes validate with.
 *
 * Why zod-to-openapi rather than Zod's own `z.toJSONSchema`: the latter converts single schemas only, so paths,
 * parameters (one per query field), security and shared components would be assembled by hand. The registry does
 * that, and it reads Zod 4's native `.meta()` — so no `extendZodWithOpenApi(z)` prototype patching is needed.
 * Every route under app/routes/api.v1.* registers its operation here; tests check the paths match the routes.
 */

export const API_VERSION = "1.0.0";

// openapi3-ts is only a transitive dependency, so the type is taken from the generator rather than imported.
export type OpenAPIObject = ReturnType<OpenApiGeneratorV31["generateDocument"]>;

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Malformed request: the body is not JSON, or the Idempotency-Key header is invalid (`invalid_json`, `invalid_idempotency_key`)",
  401: "Missing, malformed, unknown or revoked API key (`unauthenticated`)",
  403: "The key lacks the scope this endpoint needs (`insufficient_scope`)",
  404: "No such resource for this merchant (`not_found`)",
  409: "Conflict with existing data (`email_taken`, `external_id_taken`) or an Idempotency-Key reused for a different request (`idempotency_conflict`)",
  413: "The request body exceeds 64 KiB (`payload_too_large`)",
  422: "A field failed validation (`validation_failed`); `field` names it with a dotted path",
};

function errors(...statuses: number[]): Record<string, ResponseConfig> {
  return Object.fromEntries(
    statuses.map((s) => [String(s), { description: ERROR_DESCRIPTIONS[s]!, content: { "application/json": { schema: ErrorSchema } } }]),
  );
}

/** Like errors(), with this endpoint's own description for some statuses (its specific error codes). */
function errorsWith(own: Record<number, string>, ...statuses: number[]): Record<string, ResponseConfig> {
  return Object.fromEntries(
    statuses.map((s) => [String(s), { description: own[s] ?? ERROR_DESCRIPTIONS[s]!, content: { "application/json": { schema: ErrorSchema } } }]),
  );
}

function scopeNote(scope: ApiScope): string {
  return `Requires the \`${scope}\` scope.`;
}

function buildRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "prn_<key id>_<secret>",
    description: "An API key created under Settings → API keys, sent as `Authorization: Bearer prn_…`.",
  });
  const idempotencyKey = registry.registerComponent("parameters", "IdempotencyKey", {
    name: IDEMPOTENCY_HEADER,
    in: "header",
    required: false,
    description:
      "Optional, 1–255 visible ASCII characters, unique per request you intend to make once (a UUID is ideal). " +
      "Retrying with the same key and the same body returns the first response again, with the header " +
      `\`${REPLAYED_HEADER}: true\`; the same key with a different body or endpoint is a 409 \`idempotency_conflict\` ` +
      "and changes nothing. Failed requests (4xx) are not stored, so they can be retried with the same key. " +
      "Keys are scoped to your merchant.",
    schema: { type: "string", minLength: 1, maxLength: 255 },
  });
  const requiredIdempotencyKey = registry.registerComponent("parameters", "IdempotencyKeyRequired", {
    name: IDEMPOTENCY_HEADER,
    in: "header",
    required: true,
    description:
      "Required on every points write (orders, refunds, events, spends, adjustments): 1–255 visible ASCII characters, a new one " +
      "(a UUID) per operation and the same one on every retry of it. A retry with the same key and body returns the first " +
      `response byte for byte, with \`${REPLAYED_HEADER}: true\`; the same key with a different body or endpoint is a 409 ` +
      "`idempotency_conflict` and changes nothing; without the header the request is refused with 400 `idempotency_key_required`. " +
      "Failed requests (4xx) are not stored, so they can be retried with the same key. Keys are scoped to your merchant.",
    schema: { type: "string", minLength: 1, maxLength: 255 },
  });
  const replayedHeader = {
    [REPLAYED_HEADER]: { description: "`true` when this response is a replay of an earlier request with the same Idempotency-Key", schema: { type: "string" as const, enum: ["true"] } },
  };
  const security = [{ [bearer.name]: [] }];

  const routes: RouteConfig[] = [
    {
      method: "get",
      path: "/api/v1/members",
      tags: ["Members"],
      operationId: "listMembers",
      summary: "List members",
      description: `Newest first, with cursor pagination: follow \`next_cursor\` until it is null. ${scopeNote("members:read")}`,
      security,
      request: { query: ListMembersQuery },
      responses: {
        200: { description: "A page of members", content: { "application/json": { schema: ListMembersResponse } } },
        ...errors(401, 403, 422),
      },
    },
    {
      method: "post",
      path: "/api/v1/members",
      tags: ["Members"],
      operationId: "upsertMember",
      summary: "Create or update a member",
      description:
        "Matches an existing member by `external_id` when given, otherwise by e-mail, and updates it; creates a new " +
        "member when none matches. A member found by e-mail that has no external id yet is linked to the given one. " +
        "Fields you omit keep their value. Unknown fields are rejected with 422. " +
        `${scopeNote("members:write")}`,
      security,
      parameters: [idempotencyKey.ref],
      request: { body: { required: true, content: { "application/json": { schema: UpsertMemberBody } } } },
      responses: {
        200: { description: "An existing member was updated (or already matched)", headers: replayedHeader, content: { "application/json": { schema: MemberSchema } } },
        201: { description: "A new member was created", headers: replayedHeader, content: { "application/json": { schema: MemberSchema } } },
        ...errors(400, 401, 403, 409, 413, 422),
      },
    },
    {
      method: "get",
      path: "/api/v1/members/{id}",
      tags: ["Members"],
      operationId: "getMember",
      summary: "Get a member",
      description: `${scopeNote("members:read")}`,
      security,
      request: { params: MemberIdParams },
      responses: {
        200: { description: "The member", content: { "application/json": { schema: MemberSchema } } },
        ...errors(401, 403, 404),
      },
    },
  ];

  // ---- points (issue 3) ----------------------------------------------------------------------------------
  const keyed400 = "Malformed request: no `Idempotency-Key` header (`idempotency_key_required`), an invalid one (`invalid_idempotency_key`), or a body that is not JSON (`invalid_json`)";
  const json = (schema: Parameters<typeof registry.register>[1]) => ({ "application/json": { schema } });
  routes.push(
    {
      method: "post",
      path: "/api/v1/orders",
      tags: ["Orders"],
      operationId: "recordOrder",
      summary: "Record an order",
      description:
        "Records a purchase once and earns its points by your earning rules (pending during the return window, then available). " +
        "The member is found by `member.id`, else matched by `external_id` / `email` and created when new (a new member also earns " +
        "the sign-up bonus). Sending the same `order_id` again with the same facts returns the order (200) and earns nothing more; " +
        `with different facts it is a 409 \`order_conflict\`. ${scopeNote("orders:write")}`,
      security,
      parameters: [requiredIdempotencyKey.ref],
      request: { body: { required: true, content: json(RecordOrderBody) } },
      responses: {
        201: { description: "The order was recorded", headers: replayedHeader, content: json(OrderSchema) },
        200: { description: "This order was already recorded with the same facts", headers: replayedHeader, content: json(OrderSchema) },
        ...errorsWith(
          {
            400: keyed400,
            404: "`member.id` is not one of your members (`not_found`)",
            409: "`order_conflict` (this order id was recorded with another member, amount, currency or date), `email_taken`, or `idempotency_conflict`",
            422: "A field failed validation (`validation_failed`, `field` names it), or the currency is not your store's (`currency_mismatch`)",
          },
          400, 401, 403, 404, 409, 413, 422,
        ),
      },
    },
    {
      method: "post",
      path: "/api/v1/refunds",
      tags: ["Orders"],
      operationId: "recordRefund",
      summary: "Record a refund",
      description:
        "A refund of an order recorded through POST /api/v1/orders. Refunds of an order accumulate and may not exceed it; the points " +
        "the order earned are reversed in proportion to the refunded share (rounded down, so a full refund reverses exactly what " +
        "was earned). Points already spent become a clawback debt, settled from the member's next earnings. The same `refund_id` " +
        `again is a replay (200). ${scopeNote("orders:write")}`,
      security,
      parameters: [requiredIdempotencyKey.ref],
      request: { body: { required: true, content: json(RecordRefundBody) } },
      responses: {
        201: { description: "The refund was recorded", headers: replayedHeader, content: json(RefundSchema) },
        200: { description: "This refund id was already recorded with the same amount", headers: replayedHeader, content: json(RefundSchema) },
        ...errorsWith(
          {
            400: keyed400,
            404: "No order with this `order_id` was recorded through the API (`not_found`)",
            409: "`refund_conflict` (this refund id was recorded with another amount) or `idempotency_conflict`",
            422: "A field failed validation (`validation_failed`), or refunds would exceed the order (`refund_exceeds_order`, field `amount_minor`)",
          },
          400, 401, 403, 404, 409, 413, 422,
        ),
      },
    },
    {
      method: "post",
      path: "/api/v1/events",
      tags: ["Orders"],
      operationId: "recordEvent",
      summary: "Post a custom event",
      description:
        "Earns the points you configured for a custom event (e.g. `review_posted`) under Programs → Earning rules, within your caps. " +
        `The member is found or created as for orders. ${scopeNote("orders:write")}`,
      security,
      parameters: [requiredIdempotencyKey.ref],
      request: { body: { required: true, content: json(RecordEventBody) } },
      responses: {
        201: { description: "The event was recorded", headers: replayedHeader, content: json(EventEarningSchema) },
        ...errorsWith(
          {
            400: keyed400,
            404: "`member.id` is not one of your members (`not_found`)",
            409: "`email_taken` or `idempotency_conflict`",
            422: "A field failed validation (`validation_failed`), or no earning rule exists for this event (`unknown_event`, field `event`)",
          },
          400, 401, 403, 404, 409, 413, 422,
        ),
      },
    },
    {
      method: "get",
      path: "/api/v1/members/{id}/points",
      tags: ["Points"],
      operationId: "getPointsBalance",
      summary: "Get a member's points balance",
      description: `Available and pending points (with release dates), the next expiry, clawback debt and lifetime totals. ${scopeNote("points:read")}`,
      security,
      request: { params: MemberIdParams },
      responses: {
        200: { description: "The balance", content: json(PointsBalanceSchema) },
        ...errors(401, 403, 404),
      },
    },
    {
      method: "get",
      path: "/api/v1/members/{id}/ledger",
      tags: ["Points"],
      operationId: "listLedger",
      summary: "List a member's ledger",
      description: `Every change to the member's points, newest first, with the running balance after each line; follow \`next_cursor\` until it is null. ${scopeNote("points:read")}`,
      security,
      request: { params: MemberIdParams, query: LedgerQuery },
      responses: {
        200: { description: "A page of ledger lines", content: json(LedgerPageSchema) },
        ...errors(401, 403, 404, 422),
      },
    },
    {
      method: "post",
      path: "/api/v1/members/{id}/points/spend",
      tags: ["Points"],
      operationId: "spendPoints",
      summary: "Spend points",
      description:
        "Takes points from the member's available balance (oldest points first). Concurrent spends are serialised per member, so " +
        `a balance can never be overdrawn: a spend that does not fit is a 409 \`insufficient_points\`. ${scopeNote("points:write")}`,
      security,
      parameters: [requiredIdempotencyKey.ref],
      request: { params: MemberIdParams, body: { required: true, content: json(SpendPointsBody) } },
      responses: {
        201: { description: "The points were spent", headers: replayedHeader, content: json(SpendSchema) },
        ...errorsWith(
          {
            400: keyed400,
            409: "The member has fewer available points than requested (`insufficient_points`, field `points`), or `idempotency_conflict`",
          },
          400, 401, 403, 404, 409, 413, 422,
        ),
      },
    },
    {
      method: "post",
      path: "/api/v1/members/{id}/points/adjust",
      tags: ["Points"],
      operationId: "adjustPoints",
      summary: "Adjust points",
      description:
        "A manual correction with a reason, recorded in the ledger and the audit log with this API key as the actor. Positive " +
        `points are added as available points; negative points are removed from the available balance (never below zero). ${scopeNote("points:write")}`,
      security,
      parameters: [requiredIdempotencyKey.ref],
      request: { params: MemberIdParams, body: { required: true, content: json(AdjustPointsBody) } },
      responses: {
        201: { description: "The adjustment was recorded", headers: replayedHeader, content: json(AdjustmentSchema) },
        ...errorsWith(
          {
            400: keyed400,
            409: "A negative adjustment larger than the available balance (`insufficient_points`), or `idempotency_conflict`",
          },
          400, 401, 403, 404, 409, 413, 422,
        ),
      },
    },
  );
  for (const r of routes) registry.registerPath(r);
  registerRewardPaths(registry, { security, requiredIdempotencyKey: requiredIdempotencyKey.ref, idempotencyKey: idempotencyKey.ref });
  registerReferralPaths(registry, { security, requiredIdempotencyKey: requiredIdempotencyKey.ref });
  registerIncrementalityPaths(registry, { security });
  registerOfferPaths(registry, { security, requiredIdempotencyKey: requiredIdempotencyKey.ref });
  registerTierPaths(registry, { security });
  registerCltvPaths(registry, { security });
  registerCltvSettingsPaths(registry, { security });
  registerSubscriptionPaths(registry, { security });
  return registry;
}

const cache = new Map<string, OpenAPIObject>();

/** The document, with `serverUrl` (the instance's public URL) as its only server. */
export function openApiDocument(serverUrl: string): OpenAPIObject {
  const hit = cache.get(serverUrl);
  if (hit) return hit;
  const doc = new OpenApiGeneratorV31(buildRegistry().definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Perennial API",
      version: API_VERSION,
      description:
        "Manage your loyalty program's members from your own systems. Authenticate with an API key " +
        "(`Authorization: Bearer prn_…`) created by an owner under Settings → API keys; each key belongs to one " +
        "merchant and carries scopes: " +
        Object.entries(API_SCOPES)
          .map(([s, d]) => `\`${s}\` (${d.toLowerCase()})`)
          .join(", ") +
        ". Every error is JSON of the shape `{ \"error\": { \"code\", \"message\", \"field\"? } }`. " +
        "POST requests accept an optional `Idempotency-Key` header; send one whenever you may retry. The points endpoints " +
        "(orders, refunds, events, spend, adjust) require it.",
    },
    servers: [{ url: serverUrl }],
    tags: [
      { name: "Members", description: "The people in your loyalty program" },
      { name: "Orders", description: "Purchases, refunds and custom events: what earns (and takes back) points" },
      { name: "Points", description: "Members' balances and ledgers; spending and adjusting points" },
      { name: "Rewards", description: "The reward catalog and members' redemptions" },
      { name: "Checkout", description: "Validating, using and releasing reward codes at checkout" },
      { name: "Offers", description: "Segments, and the offers members can see and claim" },
      { name: "Referrals", description: "Members' referral codes and referrals, attribution, and the fraud review queue" },
      { name: "Reports", description: "What each program caused: incremental CLTV against its randomized holdout" },
      { name: "CLTV", description: "Predicted customer lifetime value: each member's scores and the model behind them" },
    ],
  });
  documentEdgeValidation(doc);
  cache.set(serverUrl, doc);
  return doc;
}

/**
 * Every path and query parameter and every body passes the edge check for text PostgreSQL cannot store (NUL, unpaired
 * surrogates: 422 naming the field, app/api/request.server.ts), so every operation that takes any can answer 422,
 * whether or not its own schema lists it.
 */
function documentEdgeValidation(doc: OpenAPIObject) {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of ["get", "post", "put", "patch", "delete"] as const) {
      const op = item[method];
      if (!op?.responses || op.responses["422"]) continue;
      const takesInput = Boolean(op.requestBody) || (op.parameters ?? []).some((p) => "in" in p && (p.in === "path" || p.in === "query"));
      const errorShape = op.responses["401"];
      if (takesInput && errorShape && "content" in errorShape) op.responses["422"] = { description: ERROR_DESCRIPTIONS[422]!, content: errorShape.content };
    }
  }
}
