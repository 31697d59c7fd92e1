import { z } from "zod";

/**
 * The API reference (/api/v1/docs) cut into pages: an outline of tags and their operations for the index, the
 * search over it, and one tag's slice of the OpenAPI document for its page. Pure functions over the document that
 * /api/v1/openapi.json serves, so no page can disagree with the spec. Types are loose on purpose: the document is
 * data, and anything unexpected is shown rather than crashing the page.
 */

type Json = Record<string, unknown>;
export interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers?: Array<{ url: string }>;
  tags?: Array<{ name: string; description?: string }>;
  paths?: Record<string, Record<string, Json>>;
  components?: { schemas?: Record<string, Json>; parameters?: Record<string, Json>; securitySchemes?: Record<string, Json> };
}

export const HTTP_METHODS = ["get", "post", "put", "patch", "delete"] as const;

export interface OperationSummary {
  method: string;
  path: string;
  summary: string;
  description: string;
  /** The operation's element id on its tag page (also the anchor the old single-page reference used). */
  anchor: string;
}

export interface TagOutline {
  name: string;
  slug: string;
  description?: string;
  operations: OperationSummary[];
}

export function operationAnchor(method: string, path: string): string {
  return `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, "-").replace(/-+$/, "").toLowerCase();
}

export function tagSlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "other";
}

export function tagHref(slug: string, anchor?: string): string {
  return `/api/v1/docs/${slug}${anchor ? `#${anchor}` : ""}`;
}

function operationTag(op: Json): string {
  return Array.isArray(op.tags) && typeof op.tags[0] === "string" ? op.tags[0] : "Other";
}

/** Tags in the document's declared order (undeclared ones after, as first seen), each with its operations. */
export function docsOutline(doc: OpenApiDoc): TagOutline[] {
  const byTag = new Map<string, OperationSummary[]>((doc.tags ?? []).map((t) => [t.name, []]));
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of HTTP_METHODS) {
      const op = item[method] as Json | undefined;
      if (!op) continue;
      const tag = operationTag(op);
      const summary = typeof op.summary === "string" ? op.summary : "";
      const description = typeof op.description === "string" ? op.description : "";
      byTag.set(tag, [...(byTag.get(tag) ?? []), { method, path, summary, description, anchor: operationAnchor(method, path) }]);
    }
  }
  return [...byTag.entries()]
    .filter(([, operations]) => operations.length > 0)
    .map(([name, operations]) => ({ name, slug: tagSlug(name), description: doc.tags?.find((t) => t.name === name)?.description, operations }));
}

/**
 * The `q` of the search form: control characters dropped (NUL would end up in the HTML), whitespace collapsed,
 * and cut to a length no real search needs. Never an error: a search box answers any text.
 */
export const DocsSearchQuery = z
  .string()
  .nullish()
  .transform((q) =>
    (q ?? "")
      .replace(/\p{Cc}/gu, " ")
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, 100),
  );

/**
 * Operations matching every word of `query` in their method, path, summary, description or tag name
 * (case-insensitive); tags without a match are dropped. An empty query keeps everything.
 */
export function searchOutline(outline: TagOutline[], query: string): TagOutline[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return outline;
  return outline
    .map((tag) => ({
      ...tag,
      operations: tag.operations.filter((op) => {
        const text = `${op.method} ${op.path} ${op.summary} ${op.description} ${tag.name}`.toLowerCase();
        return words.every((w) => text.includes(w));
      }),
    }))
    .filter((tag) => tag.operations.length > 0);
}

/** Every `#/components/<section>/<name>` reference reachable from `node`, following references into components. */
function reachableComponents(doc: OpenApiDoc, node: unknown): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>();
  const visit = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(visit);
    if (!n || typeof n !== "object") return;
    const ref = (n as Json).$ref;
    if (typeof ref === "string") {
      const [, , section, name] = ref.split("/");
      if (section && name && !found.get(section)?.has(name)) {
        found.set(section, (found.get(section) ?? new Set()).add(name));
        visit((doc.components as Record<string, Record<string, unknown> | undefined> | undefined)?.[section]?.[name]);
      }
    }
    Object.values(n).forEach(visit);
  };
  visit(node);
  return found;
}

function pick<T>(record: Record<string, T> | undefined, names: Set<string> | undefined): Record<string, T> {
  return Object.fromEntries(Object.entries(record ?? {}).filter(([name]) => names?.has(name)));
}

/**
 * One tag's page: the document cut to that tag's operations and the components they reference, so the page ships
 * (and renders) a few operations rather than the whole API. Null for a slug no tag has.
 */
export function tagDocument(doc: OpenApiDoc, slug: string): { tag: TagOutline; doc: OpenApiDoc } | null {
  const tag = docsOutline(doc).find((t) => t.slug === slug);
  if (!tag) return null;
  const paths: Record<string, Record<string, Json>> = {};
  for (const { method, path } of tag.operations) paths[path] = { ...paths[path], [method]: doc.paths![path]![method]! };
  const refs = reachableComponents(doc, paths);
  return {
    tag,
    doc: {
      openapi: doc.openapi,
      info: doc.info,
      servers: doc.servers,
      paths,
      components: {
        schemas: pick(doc.components?.schemas, refs.get("schemas")),
        parameters: pick(doc.components?.parameters, refs.get("parameters")),
        securitySchemes: doc.components?.securitySchemes,
      },
    },
  };
}

/** What the index page shows besides the outline: the introduction, authentication and the error body. */
export function overviewDocument(doc: OpenApiDoc): OpenApiDoc {
  const error = doc.components?.schemas?.Error;
  const refs = reachableComponents(doc, error);
  return {
    openapi: doc.openapi,
    info: doc.info,
    servers: doc.servers,
    components: {
      schemas: { ...pick(doc.components?.schemas, refs.get("schemas")), ...(error ? { Error: error } : {}) },
      securitySchemes: doc.components?.securitySchemes,
    },
  };
}
