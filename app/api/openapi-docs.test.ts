import { describe, expect, it } from "vitest";
import { openApiDocument } from "./openapi";
import { docsOutline, DocsSearchQuery, HTTP_METHODS, overviewDocument, searchOutline, tagDocument, tagSlug, type OpenApiDoc } from "./openapi-docs";

const doc = openApiDocument("https://loyalty.example.com") as unknown as OpenApiDoc;
const outline = docsOutline(doc);
const operationsOf = (d: OpenApiDoc) =>
  Object.entries(d.paths ?? {}).flatMap(([path, item]) => HTTP_METHODS.filter((m) => item[m]).map((m) => `${m} ${path}`));

/** Every `$ref` in `node` points at something inside `within`. */
function danglingRefs(node: unknown, within: OpenApiDoc): string[] {
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== "object") return;
    const ref = (n as Record<string, unknown>).$ref;
    if (typeof ref === "string" && ref.replace(/^#\//, "").split("/").reduce<unknown>((x, k) => (x as Record<string, unknown> | undefined)?.[k], within) === undefined) out.push(ref);
    Object.values(n).forEach(walk);
  };
  walk(node);
  return out;
}

describe("docsOutline", () => {
  it("lists every operation exactly once, under the document's tags in their declared order", () => {
    const listed = outline.flatMap((t) => t.operations.map((o) => `${o.method} ${o.path}`));
    expect(listed.sort()).toEqual(operationsOf(doc).sort());
    expect(outline.map((t) => t.name)).toEqual(doc.tags!.map((t) => t.name));
    expect(new Set(outline.map((t) => t.slug)).size).toBe(outline.length);
    expect(outline[0]).toMatchObject({ name: "Members", slug: "members", description: expect.any(String) });
  });

  it("slugs are lower-case words joined by dashes", () => {
    expect(tagSlug("CLTV")).toBe("cltv");
    expect(tagSlug(" Fraud & review ")).toBe("fraud-review");
    expect(tagSlug("!!!")).toBe("other");
  });
});

describe("search", () => {
  const found = (q: string) => searchOutline(outline, q).flatMap((t) => t.operations.map((o) => o.summary));

  it("matches every word, case-insensitively, in method, path, summary, description or tag", () => {
    expect(found("REFUND")).toContain("Record a refund");
    expect(found("post members")).toContain("Create or update a member");
    expect(found("post members")).not.toContain("List members");
    expect(found("checkout")).toEqual(expect.arrayContaining(["Validate a reward code for an order"]));
    expect(found("/api/v1/members/{id}/ledger")).toEqual(["List a member's ledger"]);
  });

  it("keeps everything for an empty query and drops tags without a match", () => {
    expect(searchOutline(outline, "")).toBe(outline);
    expect(searchOutline(outline, "no-such-word-anywhere")).toEqual([]);
    const ledger = searchOutline(outline, "ledger");
    expect(ledger.length).toBeLessThan(outline.length);
    expect(ledger.every((t) => t.operations.length > 0)).toBe(true);
  });

  it("normalises the q parameter: missing is empty, control characters go, long text is cut", () => {
    expect(DocsSearchQuery.parse(null)).toBe("");
    expect(DocsSearchQuery.parse(undefined)).toBe("");
    expect(DocsSearchQuery.parse("  spend\u0000 points\n")).toBe("spend points");
    expect(DocsSearchQuery.parse("x".repeat(5000))).toHaveLength(100);
  });
});

describe("tagDocument", () => {
  it("cuts the document to one tag's operations, with every schema they reference and no others", () => {
    const page = tagDocument(doc, "members")!;
    expect(page.tag.name).toBe("Members");
    expect(operationsOf(page.doc).sort()).toEqual(["get /api/v1/members", "get /api/v1/members/{id}", "post /api/v1/members"]);
    expect(danglingRefs(page.doc.paths, page.doc)).toEqual([]);
    expect(Object.keys(page.doc.components!.schemas!).length).toBeLessThan(Object.keys(doc.components!.schemas!).length);
    expect(page.doc.components!.securitySchemes).toEqual(doc.components!.securitySchemes);
  });

  it("every tag's page is self-contained, and the pages together hold every operation", () => {
    const all = outline.flatMap((t) => {
      const page = tagDocument(doc, t.slug)!;
      expect(danglingRefs(page.doc, page.doc), t.slug).toEqual([]);
      return operationsOf(page.doc);
    });
    expect(all.sort()).toEqual(operationsOf(doc).sort());
  });

  it("is null for a slug no tag has", () => {
    expect(tagDocument(doc, "nope")).toBeNull();
    expect(tagDocument(doc, "Members")).toBeNull();
    expect(tagDocument(doc, "")).toBeNull();
  });
});

describe("overviewDocument", () => {
  it("carries the introduction, the security schemes and the error body, and no operations", () => {
    const overview = overviewDocument(doc);
    expect(overview.info).toEqual(doc.info);
    expect(overview.paths).toBeUndefined();
    expect(overview.components!.schemas!.Error).toEqual(doc.components!.schemas!.Error);
    expect(danglingRefs(overview, overview)).toEqual([]);
  });
});
