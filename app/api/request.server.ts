import { readBoundedBody } from "~/lib/body.server";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { clientIp } from "~/auth/client-ip";
import { db, withTenant, type Trx } from "~/db.server";
import { authenticateApiKey, requireScope, type ApiKeyAuth } from "~/domain/api-keys/api-keys.server";
import type { ApiScope } from "~/domain/api-keys/scopes";
import type { Actor } from "~/domain/audit/audit.server";
import { withIdempotency, type IdempotencyOptions, type StoredResponse } from "~/domain/idempotency/idempotency.server";
import { IDEMPOTENCY_HEADER, parseIdempotencyKey, REPLAYED_HEADER, requestHash } from "~/domain/idempotency/request-hash";
import { DomainError } from "~/lib/errors";
import { findUnstorableText, jsonTooDeep, MAX_JSON_DEPTH, printable, unstorableReason } from "~/lib/storable-text";
import { apiJson, toApiError } from "./errors";

/**
 * Request plumbing shared by every `/api/v1` route: error mapping, bearer authentication, JSON body and query
 * parsing, and the idempotent POST runner. Routes stay: authenticate → parse → one domain call → respond.
 */

export interface ApiContext extends ApiKeyAuth {
  actor: Actor;
}

type Args = LoaderFunctionArgs | ActionFunctionArgs;

/**
 * Wraps a loader/action so that every failure, expected or not, leaves as a JSON error (never HTML). Path and
 * query values PostgreSQL could not store are refused here, before any route sees them.
 */
export function apiHandler(fn: (args: Args) => Promise<Response>) {
  return async (args: Args): Promise<Response> => {
    try {
      rejectUnstorableUrl(args);
      return await fn(args);
    } catch (err) {
      return toApiError(err);
    }
  };
}

function rejectUnstorableUrl({ request, params }: Args): void {
  const named: Array<[string, string]> = Object.entries(params).flatMap(([k, v]) => (v === undefined ? [] : [[k, v] as [string, string]]));
  for (const [k, v] of new URL(request.url).searchParams) named.push([printable(k), k], [printable(k), v]);
  for (const [field, value] of named) {
    const reason = unstorableReason(value);
    if (reason) throw new DomainError("validation_failed", `${field} ${reason}`, { field });
  }
}

/** For an action that supports only some methods (Remix sends PUT/PATCH/DELETE to the action too). */
export function requireMethod(request: Request, ...allowed: string[]): void {
  if (!allowed.includes(request.method.toUpperCase())) {
    throw new DomainError("method_not_allowed", `${request.method} is not supported here; use ${allowed.join(" or ")}`);
  }
}

/** The `action` of a read-only resource route: any write method is a JSON 405. */
export function methodNotAllowed(...allowed: string[]) {
  return apiHandler(async ({ request }) => {
    requireMethod(request, ...allowed);
    // requireMethod always throws here: actions never receive GET/HEAD.
    throw new DomainError("method_not_allowed", `${request.method} is not supported here`);
  });
}

export async function authenticate(request: Request, scope: ApiScope): Promise<ApiContext> {
  const auth = await authenticateApiKey(db(), request.headers.get("Authorization"));
  requireScope(auth, scope);
  return { ...auth, actor: { type: "api_key", id: auth.keyId, ip: clientIp(request) } };
}

// Far above any legitimate member payload; bounds the memory a single request can take.
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * The parsed JSON body (any JSON value; the route's schema decides what is acceptable). Refused before any schema
 * runs: more than MAX_BODY_BYTES (413, counted while reading, so a chunked body cannot grow past it), nesting
 * deeper than MAX_JSON_DEPTH (400), and strings or keys PostgreSQL could not store (422 naming the field).
 * `optional`: an empty body reads as null, for operations documented without one.
 */
export async function readJsonBody(request: Request, opts: { optional?: boolean } = {}): Promise<unknown> {
  const text = await readBodyText(request);
  if (!text.trim()) {
    if (opts.optional) return null;
    throw new DomainError("invalid_json", "The request body must be a JSON object");
  }
  if (jsonTooDeep(text)) throw new DomainError("invalid_json", `The request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new DomainError("invalid_json", "The request body is not valid JSON");
  }
  const bad = findUnstorableText(body);
  if (bad) throw new DomainError("validation_failed", bad.message, { field: bad.field });
  return body;
}

async function readBodyText(request: Request): Promise<string> {
  const bytes = await readBoundedBody(request, MAX_BODY_BYTES, payloadTooLarge);
  // Invalid UTF-8 becomes U+FFFD, as request.text() would do; only JSON escapes can produce lone surrogates.
  return new TextDecoder().decode(bytes);
}

const payloadTooLarge = () => new DomainError("payload_too_large", `The request body must be at most ${MAX_BODY_BYTES} bytes`);

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

export interface PostOptions {
  /**
   * "none" for operations documented without a request body (claiming an offer): no body and no Content-Type is
   * the normal call. A body sent anyway must still be valid JSON, and is ignored, also by the idempotency hash.
   */
  body?: "json" | "none";
}

/** A POST's `Idempotency-Key` (checked first, so a bad key is reported before the body) and its JSON body. */
export async function readPost(request: Request, opts: PostOptions = {}): Promise<PostInput> {
  const parsed = parseIdempotencyKey(request.headers.get(IDEMPOTENCY_HEADER));
  if (!parsed.ok) throw new DomainError("invalid_idempotency_key", parsed.message, { field: IDEMPOTENCY_HEADER });
  if (opts.body === "none") {
    await readJsonBody(request, { optional: true });
    return { idempotencyKey: parsed.key, body: null };
  }
  return { idempotencyKey: parsed.key, body: await readJsonBody(request) };
}

/** readPost for writes that must never apply twice (the points ledger): `Idempotency-Key` is required. */
export async function readKeyedPost(request: Request, opts: PostOptions = {}): Promise<PostInput & { idempotencyKey: string }> {
  if (request.headers.get(IDEMPOTENCY_HEADER) === null) {
    throw new DomainError("idempotency_key_required", `This endpoint requires an ${IDEMPOTENCY_HEADER} header (a UUID per operation)`, {
      field: IDEMPOTENCY_HEADER,
    });
  }
  const post = await readPost(request, opts);
  return { body: post.body, idempotencyKey: post.idempotencyKey! };
}

/**
 * Runs a POST's write, idempotently when the request carried `Idempotency-Key`. Without the header the write
 * simply runs once per request (documented in the OpenAPI description); endpoints that must never double-apply
 * (the points ledger) will require the header. `opts.claim`: see IdempotencyOptions (POST /orders stores the key
 * with its response).
 */
export async function runPost(
  request: Request,
  auth: ApiContext,
  input: PostInput,
  write: (trx: Trx) => Promise<StoredResponse>,
  opts: IdempotencyOptions = {},
): Promise<Response> {
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
  const res = await withIdempotency(db(), auth.merchantId, idempotent, write, opts);
  return apiJson(res.body, res.status, res.replayed ? { [REPLAYED_HEADER]: "true" } : {});
}
