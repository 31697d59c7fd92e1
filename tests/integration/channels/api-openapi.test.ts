import { describe, expect, it } from "vitest";
import { operationAnchor } from "~/api/openapi-docs";
import { curlExample } from "~/components/ui/api-docs";
import { loader as tagLoader } from "~/routes/api.v1.docs.$tag";
import { api } from "../../support/api";
import { docsIndexPage, docsTagPage } from "../../support/api-docs";

describe("GET /api/v1/openapi.json", () => {
  it("serves the OpenAPI 3.1 document without credentials", async () => {
    const res = await api("GET", "/api/v1/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(res.json.openapi).toBe("3.1.0");
    expect(Object.keys(res.json.paths).sort()).toEqual([
      "/api/v1/cltv",
      "/api/v1/codes/release",
      "/api/v1/codes/use",
      "/api/v1/codes/validate",
      "/api/v1/events",
      "/api/v1/members",
      "/api/v1/members/{id}",
      "/api/v1/members/{id}/cltv",
      "/api/v1/members/{id}/ledger",
      "/api/v1/members/{id}/offers",
      "/api/v1/members/{id}/offers/{offerId}/claim",
      "/api/v1/members/{id}/points",
      "/api/v1/members/{id}/points/adjust",
      "/api/v1/members/{id}/points/spend",
      "/api/v1/members/{id}/redemptions",
      "/api/v1/members/{id}/referral",
      "/api/v1/members/{id}/referrals",
      "/api/v1/members/{id}/tier",
      "/api/v1/orders",
      "/api/v1/referrals/attributions",
      "/api/v1/referrals/reviews",
      "/api/v1/referrals/reviews/{id}/decision",
      "/api/v1/refunds",
      "/api/v1/reports/incrementality",
      "/api/v1/rewards",
      "/api/v1/rewards/{id}",
      "/api/v1/segments",
      "/api/v1/settings/cltv",
      "/api/v1/subscriptions/summary",
    ]);
    expect(Object.keys(res.json.paths["/api/v1/members"]).sort()).toEqual(["get", "post"]);
    expect(res.json.components.securitySchemes.bearerAuth.scheme).toBe("bearer");
    expect(res.json.components.schemas.Error).toBeTruthy();
    expect(res.json.components.parameters.IdempotencyKey.name).toBe("Idempotency-Key");
  });
});

describe("/api/v1/docs", () => {
  // Offline-safe: no external scripts, styles or fonts.
  const externalAsset = (html: string) => /<(script|link)[^>]+(src|href)="https?:/.test(html);

  it("the index lists every tag with its operations, each linked to its place on the tag's page", async () => {
    const { html, outline } = await docsIndexPage();
    expect(outline.map((t) => t.slug)).toEqual(["members", "orders", "points", "rewards", "checkout", "offers", "referrals", "reports", "cltv"]);
    for (const tag of outline) {
      expect(html.includes(`href="/api/v1/docs/${tag.slug}"`), tag.slug).toBe(true);
      for (const op of tag.operations) expect(html.includes(`href="/api/v1/docs/${tag.slug}#${op.anchor}"`), `${op.method} ${op.path}`).toBe(true);
    }
    for (const text of ["List members", "Authentication", "Authorization: Bearer", "Errors", "33 operations in 9 sections"]) expect(html.includes(text), text).toBe(true);
    // An index, not the whole reference: no parameter tables or curl examples.
    expect(html).not.toContain("curl");
    expect(externalAsset(html)).toBe(false);
  });

  it("searches with a plain GET ?q= (no JavaScript needed): every word must match, the rest is left out", async () => {
    const { html, q } = await docsIndexPage("?q=%20Record%20REFUND%00");
    expect(q).toBe("Record REFUND");
    expect(html).toContain("Record a refund");
    expect(html).toContain("1 of 33 operations match “Record REFUND”");
    for (const text of ["List members", "Record an order", "Spend points"]) expect(html.includes(text), text).toBe(false);
    const none = await docsIndexPage("?q=no-such-operation");
    expect(none.html).toContain("0 of 33 operations match");
    expect(none.html).toContain("list every operation");
  });

  it("renders every endpoint on its tag's page, with parameters, schemas and curl examples", async () => {
    const members = await docsTagPage("members");
    for (const [method, path] of [["get", "/api/v1/members"], ["post", "/api/v1/members"], ["get", "/api/v1/members/{id}"]] as const) {
      expect(members.html.includes(`id="${operationAnchor(method, path)}"`), `${method} ${path}`).toBe(true);
      expect(members.html.includes(`href="#${operationAnchor(method, path)}"`), `table of contents: ${method} ${path}`).toBe(true);
    }
    for (const text of ["List members", "Create or update a member", "Get a member", "Idempotency-Key", "next_cursor", "external_id", "insufficient_scope", "Authorization: Bearer", "curl"]) {
      expect(members.html.includes(text), text).toBe(true);
    }
    expect(members.html).not.toContain("Record an order");
    expect(members.html).toContain('href="/api/v1/docs/orders"'); // the next section

    const { outline } = await docsIndexPage();
    for (const tag of outline) {
      const page = await docsTagPage(tag.slug);
      for (const op of tag.operations) expect(page.html.includes(`id="${op.anchor}"`), `${tag.slug}: ${op.method} ${op.path}`).toBe(true);
      expect(externalAsset(page.html), tag.slug).toBe(false);
    }
  });

  it("an unknown tag is a 404; a tag spelled in capitals redirects to its page", async () => {
    const status = async (tag: string | undefined) => {
      try {
        await tagLoader({ request: new Request("http://localhost/api/v1/docs/x"), params: { tag }, context: {} });
        return 200;
      } catch (thrown) {
        if (!(thrown instanceof Response)) throw thrown;
        return thrown.status === 301 ? `301 ${thrown.headers.get("Location")}` : thrown.status;
      }
    };
    expect(await status("members")).toBe(200);
    expect(await status("Members")).toBe("301 /api/v1/docs/members");
    for (const junk of ["nope", "", undefined, "\u0000", "x".repeat(10_000), "..%2f"]) expect(await status(junk), String(junk).slice(0, 20)).toBe(404);
  });

  it("builds a runnable curl example with an idempotency key and an example body", async () => {
    const { doc } = await docsTagPage("members");
    const post = doc.paths!["/api/v1/members"]!.post!;
    const curl = curlExample(doc, { method: "post", path: "/api/v1/members", op: post });
    expect(curl).toContain("-X POST");
    expect(curl).toContain("Idempotency-Key");
    const body = JSON.parse(/-d '(.*)'$/m.exec(curl)![1]!);
    expect(body).toMatchObject({ email: "ada@example.com" });
    const get = curlExample(doc, { method: "get", path: "/api/v1/members/{id}", op: doc.paths!["/api/v1/members/{id}"]!.get! });
    expect(get).toMatch(/\/api\/v1\/members\/mbr_[a-z2-7]+'/);
  });
});
