import { describe, expect, it } from "vitest";
import { closeRequestScope, oncePerRequest, openRequestScope, openRequestScopes, REQUEST_SCOPE_HEADER } from "./request-scope.server";

const request = (scope?: string) => new Request("http://localhost/admin/x", { headers: scope ? { [REQUEST_SCOPE_HEADER]: scope } : {} });

describe("per-request memo of the guards' lookups", () => {
  it("runs a lookup once per open scope, and every time without one", async () => {
    let calls = 0;
    const lookup = async () => ++calls;
    openRequestScope("a");
    // The layout's and the page's loaders get distinct Request objects carrying the same scope header.
    expect(await Promise.all([oncePerRequest(request("a"), "k", lookup), oncePerRequest(request("a"), "k", lookup)])).toEqual([1, 1]);
    expect(await oncePerRequest(request("a"), "other", lookup)).toBe(2);
    expect(await oncePerRequest(request(), "k", lookup)).toBe(3);
    // An id nobody opened (a client's own header would be replaced by the HTTP layer anyway) is not a scope.
    expect(await oncePerRequest(request("forged"), "k", lookup)).toBe(4);
    closeRequestScope("a");
    expect(await oncePerRequest(request("a"), "k", lookup)).toBe(5);
    expect(openRequestScopes()).toBe(0);
  });
});
