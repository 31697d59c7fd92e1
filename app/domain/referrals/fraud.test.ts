import { describe, expect, it } from "vitest";
import { isDisposableEmail, normalizeEmail } from "./fraud";

describe("normalizeEmail", () => {
  it.each([
    ["Jane.Doe+promo@GMail.com", "janedoe@gmail.com"],
    ["j.a.n.e.doe@googlemail.com", "janedoe@gmail.com"],
    ["JANEDOE@gmail.com", "janedoe@gmail.com"],
    ["jane.doe+x@example.com", "jane.doe@example.com"],
    ["Jane.Doe@Example.com", "jane.doe@example.com"],
  ])("%s → %s", (input, out) => expect(normalizeEmail(input)).toBe(out));

  it("keeps dots outside gmail", () => expect(normalizeEmail("a.b@outlook.com")).not.toBe(normalizeEmail("ab@outlook.com")));
});

describe("isDisposableEmail", () => {
  it("matches the domain and its subdomains only", () => {
    expect(isDisposableEmail("x@mailinator.com", ["mailinator.com"])).toBe(true);
    expect(isDisposableEmail("x@eu.Mailinator.com", ["mailinator.com"])).toBe(true);
    expect(isDisposableEmail("x@notmailinator.com", ["mailinator.com"])).toBe(false);
  });
});
