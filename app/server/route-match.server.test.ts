import path from "node:path";
import { flatRoutes } from "@remix-run/dev/dist/config/flat-routes.js";
import type { ServerBuild } from "@remix-run/node";
import { matchRoutes } from "@remix-run/react";
import { describe, expect, it } from "vitest";
import remixConfig from "../../remix.config.js";
import { compileRouteMatcher } from "./route-match.server";

/**
 * The precompiled matcher against React Router's own `matchRoutes` (what Remix calls per request), on this app's
 * route files: the same route and the same params for every route's own path and for spellings around it.
 */

type Routes = ServerBuild["routes"];

function appRoutes(): Routes {
  const manifest = flatRoutes(path.resolve("app"), remixConfig.ignoredRouteFiles);
  const routes: Routes = { root: { id: "root", path: "", module: {} } as Routes[string] };
  for (const r of Object.values(manifest)) {
    routes[r.id] = { id: r.id, parentId: r.parentId ?? "root", path: r.path, index: r.index, caseSensitive: r.caseSensitive, module: {} } as Routes[string];
  }
  return routes;
}

/** Remix's createRoutes: the manifest as a tree, siblings in manifest order. */
function tree(routes: Routes, parentId = ""): unknown[] {
  return Object.values(routes)
    .filter((r) => (r.parentId || "") === parentId)
    .map((r) => ({ ...r, children: tree(routes, r.id) }));
}

function fullPaths(routes: Routes): string[] {
  const full = (id: string | undefined): string => {
    if (!id) return "";
    const r = routes[id]!;
    return [full(r.parentId), r.path ?? ""].filter(Boolean).join("/");
  };
  return Object.keys(routes).map((id) => `/${full(id)}`);
}

const VALUES = ["abc", "mbr_01HXYZ", "a%20b", "%E2%9C%93", "x.y", "A-B_c", "1", "%25", "caf%C3%A9", "a+b", "%3Cscript%3E"];

function samplePaths(routes: Routes): string[] {
  const out = new Set<string>(["/", "", "/api", "/api/", "/api/v1", "/api/v1/", "/API/V1/ORDERS", "/Api/v1/Orders/", "/api/v1/orders//", "/api/v2/orders"]);
  for (const p of fullPaths(routes)) {
    VALUES.forEach((v, i) => {
      const filled = p.replace(/:[\w-]+/g, () => VALUES[(i + out.size) % VALUES.length]!).replace(/\*$/, v);
      out.add(filled);
      out.add(`${filled}/`);
      out.add(filled.toUpperCase());
      out.add(`${filled}/extra`);
      out.add(`${filled}/${v}/more`);
      out.add(filled.replace(/\/[^/]*$/, ""));
      out.add(`${filled}.data`);
    });
  }
  return [...out];
}

describe("compileRouteMatcher", () => {
  const routes = appRoutes();
  const matcher = compileRouteMatcher({ routes, basename: "/" })!;

  // React Router's matcher takes ≈ 1 ms per path here (what the dispatcher saves), hence the timeout.
  it("chooses the route and params React Router chooses, for every route file and spellings around it", { timeout: 60_000 }, () => {
    const paths = samplePaths(routes);
    expect(paths.length).toBeGreaterThan(3000);
    const routeTree = tree(routes);
    let apiMatches = 0;
    for (const p of paths) {
      const theirs = matchRoutes(routeTree as never, p) as Array<{ route: { id: string }; params: Record<string, string> }> | null;
      const leaf = theirs?.[theirs.length - 1];
      const mine = matcher.match(p);
      const same = (mine?.route.id ?? null) === (leaf?.route.id ?? null) && JSON.stringify(mine?.params ?? null) === JSON.stringify(leaf?.params ?? null);
      if (!same) expect({ path: p, id: mine?.route.id ?? null, params: mine?.params ?? null }).toEqual({ path: p, id: leaf?.route.id ?? null, params: leaf?.params ?? null });
      if (mine?.path.startsWith("/api/v1/")) apiMatches++;
    }
    expect(apiMatches).toBeGreaterThan(200);
  });

  it("reports each route's full path pattern", () => {
    expect(matcher.match("/api/v1/members/m1/points")).toMatchObject({ path: "/api/v1/members/:id/points", params: { id: "m1" } });
    expect(matcher.match("/api/v1/orders")?.route.id).toBe("routes/api.v1.orders");
    expect(matcher.match("/api/v1/nothing/here")?.route.id).toBe("routes/api.v1.$");
  });

  it("declines builds it does not cover (a basename, optional segments)", () => {
    expect(compileRouteMatcher({ routes, basename: "/shop" })).toBeNull();
    expect(compileRouteMatcher({ routes: { ...routes, x: { id: "x", parentId: "root", path: "a/:b?", module: {} } as Routes[string] }, basename: "/" })).toBeNull();
  });
});
