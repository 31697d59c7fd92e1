import { describe, expect, it } from "vitest";
import { attachReadAheadBody, readBoundedBody } from "./body.server";

const tooLarge = () => new Error("too large");

describe("readBoundedBody with a body read ahead by the HTTP layer", () => {
  it("returns the bytes once, without a body stream", async () => {
    const request = attachReadAheadBody(new Request("http://x/api", { method: "POST" }), Buffer.from('{"a":1}'));
    expect((await readBoundedBody(request, 100, tooLarge)).toString()).toBe('{"a":1}');
    expect((await readBoundedBody(request, 100, tooLarge)).byteLength).toBe(0);
  });

  it("applies the same bound", async () => {
    const request = attachReadAheadBody(new Request("http://x/api", { method: "POST" }), Buffer.alloc(101));
    await expect(readBoundedBody(request, 100, tooLarge)).rejects.toThrow("too large");
  });

  it("reads a streamed body as before", async () => {
    const request = new Request("http://x/api", { method: "POST", body: "hello" });
    expect((await readBoundedBody(request, 100, tooLarge)).toString()).toBe("hello");
    await expect(readBoundedBody(new Request("http://x/api", { method: "POST", body: "x".repeat(101) }), 100, tooLarge)).rejects.toThrow("too large");
  });
});
