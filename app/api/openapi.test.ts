/* eslint-disable @typescript-eslint/no-explicit-any -- the generated document is untyped JSON that these tests walk */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "./openapi";

const doc = openApiDocument("https://loyalty.example.com") as unknown as Record<string, any>;

function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refs(n, out));
  else if (node && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string") out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 with info, servers and a bearer scheme", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(doc.servers).toEqual([{ url: "https://loyalty.example.com" }]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("resolves every $ref", () => {
    for (const ref of refs(doc)) {
      const target = ref.replace(/^#\//, "").split("/").reduce<any>((n, k) => n?.[k], doc);
      expect(target, ref).toBeTruthy();
    }
  });

  it("documents every operation with security, responses and the error schema", () => {
    const ops = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([p, item]) => Object.entries(item).map(([m, op]) => ({ p, m, op })));
    expect(ops.map((o) => `${o.m.toUpperCase()} ${o.p}`).sort()).toEqual([
      "GET /api/v1/cltv",
      "GET /api/v1/members",
      "GET /api/v1/members/{id}",
      "GET /api/v1/members/{id}/cltv",
      "GET /api/v1/members/{id}/ledger",
      "GET /api/v1/members/{id}/offers",
      "GET /api/v1/members/{id}/points",
      "GET /api/v1/members/{id}/redemptions",
      "GET /api/v1/members/{id}/referral",
      "GET /api/v1/members/{id}/referrals",
      "GET /api/v1/members/{id}/tier",
      "GET /api/v1/referrals/reviews",
      "GET /api/v1/reports/incrementality",
      "GET /api/v1/rewards",
      "GET /api/v1/rewards/{id}",
      "GET /api/v1/segments",
      "GET /api/v1/settings/cltv",
      "GET /api/v1/subscriptions/summary",
      "PATCH /api/v1/settings/cltv",
      "POST /api/v1/codes/release",
      "POST /api/v1/codes/use",
      "POST /api/v1/codes/validate",
      "POST /api/v1/events",
      "POST /api/v1/members",
      "POST /api/v1/members/{id}/offers/{offerId}/claim",
      "POST /api/v1/members/{id}/points/adjust",
      "POST /api/v1/members/{id}/points/spend",
      "POST /api/v1/members/{id}/redemptions",
      "POST /api/v1/orders",
      "POST /api/v1/referrals/attributions",
      "POST /api/v1/referrals/reviews/{id}/decision",
      "POST /api/v1/refunds",
      "POST /api/v1/rewards",
    ]);
    for (const { p, m, op } of ops) {
      expect(op.operationId, `${m} ${p}`).toBeTruthy();
      expect(op.security).toEqual([{ bearerAuth: [] }]);
      expect(op.responses["401"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
      for (const param of (p.match(/\{(\w+)\}/g) ?? []).map((s) => s.slice(1, -1))) {
        expect(op.parameters.some((x: any) => x.in === "path" && x.name === param && x.required)).toBe(true);
      }
      if (m === "post") {
        // Optional where the write is naturally idempotent (member upsert by e-mail, a code used once per order,
        // validate/release, catalog edits); required on every points write and every grant.
        // validate is a read that takes a body: no key at all.
        const optionalKey = ["/api/v1/members", "/api/v1/codes/use", "/api/v1/codes/release", "/api/v1/rewards"];
        const ledgerWrite = !optionalKey.includes(p);
        if (p !== "/api/v1/codes/validate") expect(op.parameters).toContainEqual({ $ref: `#/components/parameters/${ledgerWrite ? "IdempotencyKeyRequired" : "IdempotencyKey"}` });
        // Claiming an offer names everything in its path: no body.
        if (p !== "/api/v1/members/{id}/offers/{offerId}/claim") expect(op.requestBody?.content["application/json"].schema.$ref, `${m} ${p} body`).toBeTruthy();
      }
    }
    expect(doc.components.parameters.IdempotencyKey).toMatchObject({ name: "Idempotency-Key", in: "header" });
    expect(doc.components.parameters.IdempotencyKeyRequired).toMatchObject({ name: "Idempotency-Key", in: "header", required: true });
  });

  it("describes the member and upsert shapes (snake_case, strict body)", () => {
    expect(Object.keys(doc.components.schemas.Member.properties)).toEqual(["id", "email", "name", "birthday", "external_id", "status", "created_at", "updated_at"]);
    const upsert = doc.components.schemas.UpsertMemberRequest;
    expect(upsert.required).toEqual(["email"]);
    expect(upsert.additionalProperties).toBe(false);
    expect(doc.components.schemas.Error.properties.error.required).toEqual(["code", "message"]);
  });

  it("has an entry for every /api/v1 resource route that serves data", () => {
    // A new api.v1.* route without an OpenAPI entry fails here.
    const routes = fs
      .readdirSync(path.resolve("app/routes"))
      .filter((f) => f.startsWith("api.v1.") && !["api.v1.$.tsx", "api.v1.docs.tsx", "api.v1.docs._index.tsx", "api.v1.docs.$tag.tsx", "api.v1.openapi[.json].ts"].includes(f) && !f.includes(".test."))
      .map((f) => `/${f.replace(/\.tsx?$/, "").replace(/\./g, "/").replace(/\$(\w+)/g, "{$1}")}`);
    expect(routes.length).toBeGreaterThan(0);
    for (const r of routes) expect(Object.keys(doc.paths), r).toContain(r);
  });
});

describe("edge validation in the document", () => {
  it("every operation that takes a path or query parameter or a body documents the 422 of the edge's text check", () => {
    const missing: string[] = [];
    for (const [p, item] of Object.entries(doc.paths as Record<string, Record<string, { parameters?: Array<{ in: string }>; requestBody?: unknown; responses: Record<string, unknown> }>>)) {
      for (const [method, op] of Object.entries(item)) {
        const takesInput = Boolean(op.requestBody) || (op.parameters ?? []).some((x) => x.in === "path" || x.in === "query");
        if (takesInput && !op.responses["422"]) missing.push(`${method.toUpperCase()} ${p}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
