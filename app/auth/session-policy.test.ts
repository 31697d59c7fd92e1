import { describe, expect, it } from "vitest";
import { ABSOLUTE_MS, cookieExpiry, IDLE_MS, initialExpiry, judgeSession } from "./session-policy";

const t0 = new Date("2026-03-01T12:00:00Z");
const at = (ms: number) => new Date(t0.getTime() + ms);
const fresh = () => ({ createdAt: t0, expiresAt: initialExpiry(t0) });

describe("judgeSession (S2)", () => {
  it("is valid right after creation and during the first half of the idle window", () => {
    expect(judgeSession(fresh(), t0)).toEqual({ kind: "valid" });
    expect(judgeSession(fresh(), at(IDLE_MS / 2 - 1000))).toEqual({ kind: "valid" });
  });

  it("renews in the second half of the idle window, sliding expiry forward", () => {
    const now = at(IDLE_MS / 2 + 1000);
    expect(judgeSession(fresh(), now)).toEqual({ kind: "renew", expiresAt: new Date(now.getTime() + IDLE_MS) });
  });

  it("expires after the idle timeout without use", () => {
    expect(judgeSession(fresh(), at(IDLE_MS))).toEqual({ kind: "expired" });
    expect(judgeSession(fresh(), at(IDLE_MS + 1))).toEqual({ kind: "expired" });
  });

  it("caps an active session at the absolute lifetime", () => {
    // A session renewed regularly still dies at created + ABSOLUTE_MS.
    let s = fresh();
    let now = t0;
    while (true) {
      now = new Date(now.getTime() + IDLE_MS / 2 + 60_000);
      const v = judgeSession(s, now);
      if (v.kind === "expired") break;
      if (v.kind === "renew") {
        expect(v.expiresAt.getTime()).toBeLessThanOrEqual(t0.getTime() + ABSOLUTE_MS);
        s = { createdAt: t0, expiresAt: v.expiresAt };
      }
    }
    expect(now.getTime()).toBeGreaterThanOrEqual(t0.getTime() + ABSOLUTE_MS - IDLE_MS);
    expect(judgeSession({ createdAt: t0, expiresAt: at(ABSOLUTE_MS + IDLE_MS) }, at(ABSOLUTE_MS))).toEqual({ kind: "expired" });
  });

  it("sets the cookie to outlive the server-side expiry", () => {
    expect(cookieExpiry(t0).getTime()).toBeGreaterThanOrEqual(initialExpiry(t0).getTime());
  });
});
