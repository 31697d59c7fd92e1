import { describe, expect, it } from "vitest";
import { backoffSeconds, memberThrottleKey, secondsUntil, staffThrottleKey, throttledMessage } from "./throttle";

describe("backoffSeconds", () => {
  it.each([
    [0, 0],
    [1, 0],
    [2, 0],
    [3, 0],
    [4, 1],
    [5, 2],
    [6, 4],
    [7, 8],
    [11, 128],
    [12, 256],
    [13, 300],
    [50, 300],
    [10_000, 300],
  ])("after %i failures waits %i s", (failures, seconds) => {
    expect(backoffSeconds(failures)).toBe(seconds);
  });

  it("never exceeds 300 s and never decreases", () => {
    let prev = 0;
    for (let f = 0; f < 200; f++) {
      const s = backoffSeconds(f);
      expect(s).toBeLessThanOrEqual(300);
      expect(s).toBeGreaterThanOrEqual(prev);
      prev = s;
    }
  });

  it("treats nonsense as no wait", () => {
    expect(backoffSeconds(Number.NaN)).toBe(0);
    expect(backoffSeconds(-5)).toBe(0);
  });
});

describe("secondsUntil", () => {
  const t = new Date("2026-01-01T00:00:00Z");
  it("rounds up partial seconds and is 0 in the past", () => {
    expect(secondsUntil(new Date(t.getTime() + 1), t)).toBe(1);
    expect(secondsUntil(new Date(t.getTime() + 2000), t)).toBe(2);
    expect(secondsUntil(t, t)).toBe(0);
    expect(secondsUntil(new Date(t.getTime() - 5000), t)).toBe(0);
  });
});

describe("keys and messages", () => {
  it("normalise e-mail case and scope members per merchant", () => {
    expect(staffThrottleKey(" Ann@Example.com ")).toBe("staff:ann@example.com");
    expect(memberThrottleKey("mch_a", "Ann@Example.com")).toBe("member:mch_a:ann@example.com");
    expect(memberThrottleKey("mch_a", "x@y.z")).not.toBe(memberThrottleKey("mch_b", "x@y.z"));
  });
  it("says how long to wait", () => {
    expect(throttledMessage(1)).toBe("Too many attempts, try again in 1 second.");
    expect(throttledMessage(300)).toBe("Too many attempts, try again in 300 seconds.");
  });
});
