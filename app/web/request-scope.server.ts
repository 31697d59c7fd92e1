/**
 * What the loaders of one page request share: a document request runs the layout's and the page's loaders at once,
 * and each guards itself (a client navigation may run either alone), so an admin page asked the database for the same
 * session, merchant and memberships up to three times (10 guard statements before its own query; the page benchmark,
 * tests/bench/pages.bench.ts). The HTTP layer opens a scope per GET/HEAD request under a fresh id in
 * REQUEST_SCOPE_HEADER (a client's copy is replaced) and closes it when the response ends; a lookup asked twice in
 * one scope reuses the first answer. Only reads are scoped: a POST may run an action that changes what the guards
 * read (a role, a session) before its loaders, so it is never memoised. Without a scope (a loader called directly,
 * as the tests do) every call runs.
 */
export const REQUEST_SCOPE_HEADER = "x-perennial-request-scope";

// On globalThis, as db.server.ts's pool: the HTTP layer (loaded by tsx from app/) opens the scopes and the loaders
// (in the Vite-built server bundle, a second copy of this module) read them; two module-level Maps never met.
const scopes = ((globalThis as { __perennialRequestScopes?: Map<string, Map<string, Promise<unknown>>> }).__perennialRequestScopes ??= new Map());

export function openRequestScope(id: string): void {
  scopes.set(id, new Map());
}

export function closeRequestScope(id: string): void {
  scopes.delete(id);
}

export function oncePerRequest<T>(request: Request, key: string, fn: () => Promise<T>): Promise<T> {
  const id = request.headers.get(REQUEST_SCOPE_HEADER);
  const scope = id ? scopes.get(id) : undefined;
  if (!scope) return fn();
  let hit = scope.get(key) as Promise<T> | undefined;
  if (!hit) {
    hit = fn();
    scope.set(key, hit);
  }
  return hit;
}

/** Open scopes (for tests: every response closes its own). */
export function openRequestScopes(): number {
  return scopes.size;
}
