import { describe, expect, it } from "vitest";
import { safeRedirect } from "./safe-redirect";

describe("safeRedirect", () => {
  it.each([
    ["/admin/acme", "/admin/acme"],
    ["/admin/acme/members?q=ann#top", "/admin/acme/members?q=ann#top"],
    ["/", "/"],
  ])("keeps local path %s", (input, out) => {
    expect(safeRedirect(input)).toBe(out);
  });

  it.each([
    "https://evil.example/",
    "//evil.example/path",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "javascript:alert(1)",
    "admin",
    "",
    "/" + "a".repeat(2001),
  ])("rejects %j", (input) => {
    expect(safeRedirect(input)).toBe("/admin");
  });

  it("falls back for missing values", () => {
    expect(safeRedirect(null, "/p/acme")).toBe("/p/acme");
    expect(safeRedirect(undefined)).toBe("/admin");
  });
});
