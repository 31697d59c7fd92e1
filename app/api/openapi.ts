import { OpenApiGeneratorV31, OpenAPIRegistry, type ResponseConfig, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import { API_SCOPES, type ApiScope } from "~/domain/api-keys/scopes";
import { IDEMPOTENCY_HEADER, REPLAYED_HEADER } from "~/domain/idempotency/request-hash";
import { ErrorSchema, ListMembersQuery, ListMembersResponse, MemberIdParams, MemberSchema, UpsertMemberBody } from "./schemas";

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
  for (const r of routes) registry.registerPath(r);
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
        "POST requests accept an optional `Idempotency-Key` header; send one whenever you may retry.",
    },
    servers: [{ url: serverUrl }],
    tags: [{ name: "Members", description: "The people in your loyalty program" }],
  });
  cache.set(serverUrl, doc);
  return doc;
}
