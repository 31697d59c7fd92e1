import type { ServerBuild } from "@remix-run/node";

/**
 * Remix's route matching (React Router 6's `matchRoutes`, @remix-run/router 1.23), with the work it repeats on every
 * request done once: it flattens the whole route tree into branches, ranks them and compiles a regex per path segment
 * for each request (≈ 120 routes here, the largest single cost of an API request in the accrual bench's profile).
 * `compileRouteMatcher` does that once per server build and `match` then only tests the precompiled regexes in rank
 * order. The functions below follow React Router's `flattenRoutes`, `computeScore`, `compareIndexes`, `compilePath`,
 * `matchPath`, `matchRouteBranch` and `decodePath` line by line, so the match (route and params) is the same;
 * `route-match.server.test.ts` checks that against React Router's own matcher on every route and on awkward paths.
 * Only what this build needs is covered: no basename and no optional segments (`:x?`) — for a build that has them
 * `compileRouteMatcher` returns null and the caller keeps plain Remix.
 */

type BuildRoute = ServerBuild["routes"][string];

export interface RouteMatch {
  /** The deepest matched route (the one Remix answers a resource request with). */
  route: BuildRoute;
  /** The route's full path pattern (`/api/v1/members/:id`). */
  path: string;
  params: Record<string, string | undefined>;
}

export interface RouteMatcher {
  match(pathname: string): RouteMatch | null;
}

interface Segment {
  regex: RegExp;
  params: string[];
}

interface Branch {
  path: string;
  score: number;
  childrenIndexes: number[];
  segments: Segment[];
  leaf: BuildRoute;
}

const PARAM = /^:[\w-]+$/;

/** null when the build uses something this copy of the matcher does not cover (then plain Remix must answer). */
export function compileRouteMatcher(build: Pick<ServerBuild, "routes" | "basename">): RouteMatcher | null {
  if ((build.basename ?? "/") !== "/") return null;
  const routes = Object.values(build.routes);
  if (routes.some((r) => r.path?.includes("?"))) return null;
  const children = new Map<string, BuildRoute[]>();
  for (const r of routes) {
    const parent = r.parentId || "";
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent)!.push(r);
  }
  const branches: Branch[] = [];
  flatten(children, "", branches, [], "");
  branches.sort((a, b) => (a.score !== b.score ? b.score - a.score : compareIndexes(a.childrenIndexes, b.childrenIndexes)));
  return {
    match(pathname) {
      const decoded = decodePath(pathname || "/");
      for (const b of branches) {
        const m = matchBranch(b, decoded);
        if (m) return m;
      }
      return null;
    },
  };
}

interface Meta {
  relativePath: string;
  caseSensitive: boolean;
  childrenIndex: number;
}

function flatten(children: Map<string, BuildRoute[]>, parentId: string, branches: Branch[], parentsMeta: Array<Meta & { route: BuildRoute }>, parentPath: string): void {
  (children.get(parentId) ?? []).forEach((route, index) => {
    const meta = { relativePath: route.path || "", caseSensitive: route.caseSensitive === true, childrenIndex: index, route };
    if (meta.relativePath.startsWith("/")) {
      if (!meta.relativePath.startsWith(parentPath)) throw new Error(`Absolute route path "${meta.relativePath}" nested under path "${parentPath}" is not valid`);
      meta.relativePath = meta.relativePath.slice(parentPath.length);
    }
    const path = joinPaths([parentPath, meta.relativePath]);
    const routesMeta = parentsMeta.concat(meta);
    const kids = children.get(route.id) ?? [];
    if (kids.length > 0) {
      if (route.index === true) throw new Error(`Index routes must not have child routes ("${path}")`);
      flatten(children, route.id, branches, routesMeta, path);
    }
    // Routes without a path never match by themselves unless they are index routes.
    if (route.path == null && !route.index) return;
    branches.push({
      path,
      score: computeScore(path, route.index),
      childrenIndexes: routesMeta.map((m) => m.childrenIndex),
      segments: routesMeta.map((m, i) => compileSegment(m.relativePath, m.caseSensitive, i === routesMeta.length - 1)),
      leaf: route,
    });
  });
}

function computeScore(path: string, index: boolean | undefined): number {
  const segments = path.split("/");
  let score = segments.length;
  if (segments.some((s) => s === "*")) score += -2;
  if (index) score += 2;
  return segments.filter((s) => s !== "*").reduce((acc, s) => acc + (PARAM.test(s) ? 3 : s === "" ? 1 : 10), score);
}

function compareIndexes(a: number[], b: number[]): number {
  const siblings = a.length === b.length && a.slice(0, -1).every((n, i) => n === b[i]);
  // Siblings keep their declaration order; other branches of equal score rank equally (a stable sort keeps them).
  return siblings ? a[a.length - 1]! - b[b.length - 1]! : 0;
}

function compileSegment(path: string, caseSensitive: boolean, end: boolean): Segment {
  const params: string[] = [];
  let source =
    "^" +
    path
      .replace(/\/*\*?$/, "")
      .replace(/^\/*/, "/")
      .replace(/[\\.*+^${}|()[\]]/g, "\\$&")
      .replace(/\/:([\w-]+)(\?)?/g, (_, name: string) => {
        params.push(name);
        return "/([^\\/]+)";
      });
  if (path.endsWith("*")) {
    params.push("*");
    source += path === "*" || path === "/*" ? "(.*)$" : "(?:\\/(.+)|\\/*)$";
  } else if (end) {
    source += "\\/*$";
  } else if (path !== "" && path !== "/") {
    source += "(?:(?=\\/|$))";
  }
  return { regex: new RegExp(source, caseSensitive ? undefined : "i"), params };
}

function matchBranch(branch: Branch, pathname: string): RouteMatch | null {
  const params: Record<string, string | undefined> = {};
  let matchedPathname = "/";
  for (const segment of branch.segments) {
    const remaining = matchedPathname === "/" ? pathname : pathname.slice(matchedPathname.length) || "/";
    const m = segment.regex.exec(remaining);
    if (!m) return null;
    const matched = m[0];
    let base = matched.replace(/(.)\/+$/, "$1");
    segment.params.forEach((name, i) => {
      const value = m[i + 1];
      if (name === "*") base = matched.slice(0, matched.length - (value || "").length).replace(/(.)\/+$/, "$1");
      params[name] = (value || "").replace(/%2F/g, "/");
    });
    if (base !== "/") matchedPathname = joinPaths([matchedPathname, base]);
  }
  return { route: branch.leaf, path: branch.path, params };
}

function decodePath(value: string): string {
  try {
    return value
      .split("/")
      .map((v) => decodeURIComponent(v).replace(/\//g, "%2F"))
      .join("/");
  } catch {
    return value;
  }
}

const joinPaths = (paths: string[]) => paths.join("/").replace(/\/\/+/g, "/");
