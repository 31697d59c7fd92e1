import { describe, expect, it } from "vitest";
import { shareLinks } from "./share-links";

describe("shareLinks", () => {
  const url = "https://rewards.example.com/r/AB7KQ9";
  const links = Object.fromEntries(shareLinks(url, "Bean & Leaf", "500 points when you join").map((l) => [l.key, l.href]));

  it("puts the link and the message into every app's compose URL, encoded", () => {
    expect(new URL(links.whatsapp!).searchParams.get("text")).toBe(`Join me at Bean & Leaf: 500 points when you join ${url}`);
    const x = new URL(links.x!);
    expect(x.searchParams.get("url")).toBe(url);
    expect(x.searchParams.get("text")).toBe("Join me at Bean & Leaf: 500 points when you join");
    expect(new URL(links.facebook!).searchParams.get("u")).toBe(url);
  });

  it("keeps the ampersand in the program name from splitting the query", () => {
    expect(links.sms).toBe(`sms:?&body=${encodeURIComponent(`Join me at Bean & Leaf: 500 points when you join ${url}`)}`);
    const mail = new URL(links.email!);
    expect(mail.protocol).toBe("mailto:");
    expect(decodeURIComponent(links.email!.split("body=")[1]!)).toBe(`Join me at Bean & Leaf: 500 points when you join\n\n${url}`);
  });

  it("words the message without an offer", () => {
    const [wa] = shareLinks(url, "Shop", null);
    expect(new URL(wa!.href).searchParams.get("text")).toBe(`Join me at Shop rewards ${url}`);
  });
});
