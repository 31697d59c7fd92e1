import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { ApiReference, curlExample, operationAnchor, type OpenApiDoc } from "~/components/ui/api-docs";
import { loader as docsLoader } from "~/routes/api.v1.docs";
import { api } from "../support/api";

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
    ]);
    expect(Object.keys(res.json.paths["/api/v1/members"]).sort()).toEqual(["get", "post"]);
    expect(res.json.components.securitySchemes.bearerAuth.scheme).toBe("bearer");
    expect(res.json.components.schemas.Error).toBeTruthy();
    expect(res.json.components.parameters.IdempotencyKey.name).toBe("Idempotency-Key");
  });
});

describe("/api/v1/docs", () => {
  it("renders every endpoint from the same document, with parameters, schemas and curl examples", async () => {
    const { doc } = await docsLoader();
    const html = renderToString(createElement(ApiReference, { doc, specHref: "/api/v1/openapi.json" }));
    for (const [method, path] of [["get", "/api/v1/members"], ["post", "/api/v1/members"], ["get", "/api/v1/members/{id}"]] as const) {
      expect(html.includes(path), path).toBe(true);
      expect(html.includes(`id="${operationAnchor(method, path)}"`), `${method} ${path}`).toBe(true);
    }
    for (const text of ["List members", "Create or update a member", "Get a member", "Idempotency-Key", "next_cursor", "external_id", "insufficient_scope", "Authorization: Bearer", "curl", "/api/v1/openapi.json"]) {
      expect(html.includes(text), text).toBe(true);
    }
    // Offline-safe: no external scripts, styles or fonts.
    expect(/<(script|link)[^>]+(src|href)="https?:/.test(html)).toBe(false);
  });

  it("builds a runnable curl example with an idempotency key and an example body", async () => {
    const { doc } = await docsLoader();
    const post = (doc as OpenApiDoc).paths!["/api/v1/members"]!.post!;
    const curl = curlExample(doc, { method: "post", path: "/api/v1/members", op: post });
    expect(curl).toContain("-X POST");
    expect(curl).toContain("Idempotency-Key");
    const body = JSON.parse(/-d '(.*)'$/m.exec(curl)![1]!);
    expect(body).toMatchObject({ email: "ada@example.com" });
    const get = curlExample(doc, { method: "get", path: "/api/v1/members/{id}", op: (doc as OpenApiDoc).paths!["/api/v1/members/{id}"]!.get! });
    expect(get).toMatch(/\/api\/v1\/members\/mbr_[a-z2-7]+'/);
  });
});
