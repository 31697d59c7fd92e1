import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { clientIp } from "~/auth/guards.server";
import { db, withTenant, type Trx } from "~/db.server";
import { authenticateApiKey, requireScope, type ApiKeyAuth } from "~/domain/api-keys/api-keys.server";
import type { ApiScope } from "~/domain/api-keys/scopes";
import type { Actor } from "~/domain/audit/audit.server";
import { withIdempotency, type StoredResponse } from "~/domain/idempotency/idempotency.server";
import { IDEMPOTENCY_HEADER, parseIdempotencyKey, REPLAYED_HEADER, requestHash } from "~/domain/idempotency/request-hash";
import { DomainError } from "~/lib/errors";
import { apiJson, toApiError } from "./errors";

/**
 * Request plumbing shared by every `/api/v1` route: error mapping, bearer authentication, JSON body and query
 * parsing, and the idempotent POST runner. Routes stay: authenticate → parse → one domain call → respond.
 */

export interface ApiContext extends ApiKeyAuth {
  actor: Actor;
}

type Args = LoaderFunctionArgs | ActionFunctionArgs;

/** Wraps a loader/action so that every failure, expected or not, leaves as a JSON error (never HTML). */
export function apiHandler(fn: (args: Args) => Promise<Response>) {
  return async (args: Args): Promise<Response> => {
    try {
      return await fn(args);
    } catch (err) {
      return toApiError(err);
    }
  };
}

/** For an action that supports only some methods (Remix sends PUT/PATCH/DELETE to the action too). */
export function requireMethod(request: Request, ...allowed: string[]): void {
  if (!allowed.includes(request.method.toUpperCase())) {
    throw new DomainError("method_not_allowed", `${request.method} is not supported here; use ${allowed.join(" or ")}`, { status: 405 });
  }
}

/** The `action` of a read-only resource route: any write method is a JSON 405. */
export function methodNotAllowed(...allowed: string[]) {
  return apiHandler(async ({ request }) => {
    requireMethod(request, ...allowed);
    // requireMethod always throws here: actions never receive GET/HEAD.
    throw new DomainError("method_not_allowed", `${request.method} is not supported here`, { status: 405 });
  });
}

export async function authenticate(request: Request, scope: ApiScope): Promise<ApiContext> {
  const auth = await authenticateApiKey(db(), request.headers.get("Authorization"));
  requireScope(auth, scope);
  return { ...auth, actor: { type: "api_key", id: auth.keyId, ip: clientIp(request) } };
}

// Far above any legitimate member payload; bounds the memory a single request can take.
export const MAX_BODY_BYTES = 64 * 1024;

/** The parsed JSON body (any JSON value; the route's schema decides what is acceptable). */
export async function readJsonBody(request: Request): Promise<unknown> {
  const declared = Number(request.headers.get("Content-Length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw payloadTooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text, "utf8") > MAX_BODY_BYTES) throw payloadTooLarge();
  if (!text.trim()) throw new DomainError("invalid_json", "The request body must be a JSON object", { status: 400 });
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new DomainError("invalid_json", "The request body is not valid JSON", { status: 400 });
  }
}

const payloadTooLarge = () => new DomainError("payload_too_large", `The request body must be at most ${MAX_BODY_BYTES} bytes`, { status: 413 });

/** Parses with Zod; a ZodError becomes 422 with the first issue's field in toApiError. */
export function queryObject(request: Request): Record<string, string> {
  const out: Record<string, string> = {};
  // The last value wins for repeated parameters, like most frameworks; none of ours is multi-valued.
  for (const [k, v] of new URL(request.url).searchParams) out[k] = v;
  return out;
}

export interface PostInput {
  body: unknown;
  idempotencyKey: string | null;
}

/** A POST's `Idempotency-Key` (checked first, so a bad key is reported before the body) and its JSON body. */
export async function readPost(request: Request): Promise<PostInput> {
  const parsed = parseIdempotencyKey(request.headers.get(IDEMPOTENCY_HEADER));
  if (!parsed.ok) throw new DomainError("invalid_idempotency_key", parsed.message, { status: 400, field: IDEMPOTENCY_HEADER });
  return { idempotencyKey: parsed.key, body: await readJsonBody(request) };
}

/** readPost for writes that must never apply twice (the points ledger): `Idempotency-Key` is required. */
export async function readKeyedPost(request: Request): Promise<PostInput & { idempotencyKey: string }> {
  if (request.headers.get(IDEMPOTENCY_HEADER) === null) {
    throw new DomainError("idempotency_key_required", `This endpoint requires an ${IDEMPOTENCY_HEADER} header (a UUID per operation)`, {
      status: 400,
      field: IDEMPOTENCY_HEADER,
    });
  }
  const post = await readPost(request);
  return { body: post.body, idempotencyKey: post.idempotencyKey! };
}

/**
 * Runs a POST's write, idempotently when the request carried `Idempotency-Key`. Without the header the write
 * simply runs once per request (documented in the OpenAPI description); endpoints that must never double-apply
 * (the points ledger) will require the header.
 */
export async function runPost(request: Request, auth: ApiContext, input: PostInput, write: (trx: Trx) => Promise<StoredResponse>): Promise<Response> {
  if (input.idempotencyKey === null) {
    const res = await withTenant(db(), auth.merchantId, write);
    return apiJson(res.body, res.status);
  }
  const idempotent = {
    key: input.idempotencyKey,
    method: request.method.toUpperCase(),
    path: new URL(request.url).pathname,
    requestHash: requestHash(input.body),
  };
  const res = await withIdempotency(db(), auth.merchantId, idempotent, write);
  return apiJson(res.body, res.status, res.replayed ? { [REPLAYED_HEADER]: "true" } : {});
}
