import { describe, expect, it } from "vitest";
import { z } from "zod";
import { expectConsoleErrors } from "../../tests/support/fail-on-console-error";
import { DomainError } from "~/lib/errors";
import { toApiError } from "./errors";

async function body(res: Response) {
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  return res.json();
}

describe("toApiError", () => {
  it("maps a DomainError to its status, code and field", async () => {
    const res = toApiError(new DomainError("email_taken", "Taken", { field: "email" }));
    expect(res.status).toBe(409);
    expect(await body(res)).toEqual({ error: { code: "email_taken", message: "Taken", field: "email" } });
  });

  it("omits field when there is none and challenges on 401", async () => {
    const res = toApiError(new DomainError("unauthenticated", "No key"));
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
    expect(await body(res)).toEqual({ error: { code: "unauthenticated", message: "No key" } });
  });

  it("maps a ZodError to 422 with the dotted path of the first issue", async () => {
    const schema = z.object({ a: z.object({ b: z.array(z.string()) }) });
    const err = schema.safeParse({ a: { b: ["ok", 5] } }).error!;
    const res = toApiError(err);
    expect(res.status).toBe(422);
    expect(await body(res)).toMatchObject({ error: { code: "validation_failed", field: "a.b.1" } });
  });

  it("names an unknown field of a strict object", async () => {
    const err = z.strictObject({ email: z.string() }).safeParse({ email: "x", externalId: "1" }).error!;
    expect(await body(toApiError(err))).toEqual({ error: { code: "validation_failed", message: "Unknown field: externalId", field: "externalId" } });
  });

  it("logs anything else and answers a bland 500", async () => {
    const res = toApiError(new Error("relation \"secret_table\" does not exist"));
    expect(res.status).toBe(500);
    const json = await body(res);
    expect(json).toEqual({ error: { code: "internal_error", message: expect.any(String) } });
    expect(JSON.stringify(json)).not.toContain("secret_table");
    expect(expectConsoleErrors()).toHaveLength(1);
  });
});
