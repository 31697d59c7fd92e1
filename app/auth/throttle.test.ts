import { describe, expect, it } from "vitest";
import {
  accountSourceKey,
  backoffSeconds,
  memberThrottleKey,
  secondsUntil,
  sourceBackoffSeconds,
  staffThrottleKey,
  throttledMessage,
  throttleSource,
} from "./throttle";

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

describe("sourceBackoffSeconds", () => {
  it.each([
    [0, 0],
    [20, 0],
    [21, 1],
    [22, 2],
    [29, 256],
    [30, 300],
    [1_000, 300],
  ])("after %i failures from one source waits %i s", (failures, seconds) => {
    expect(sourceBackoffSeconds(failures)).toBe(seconds);
  });

  it("never outruns one account's backoff, so a single account from a single source is throttled exactly as before", () => {
    for (let f = 0; f < 100; f++) expect(sourceBackoffSeconds(f)).toBeLessThanOrEqual(backoffSeconds(f));
    expect(sourceBackoffSeconds(Number.NaN)).toBe(0);
  });
});

describe("throttleSource", () => {
  it.each([
    ["203.0.113.7", "ip:203.0.113.7"],
    [" 203.0.113.7 ", "ip:203.0.113.7"],
    ["::ffff:203.0.113.7", "ip:203.0.113.7"],
    ["::FFFF:cb00:7107", "ip:203.0.113.7"],
    ["127.0.0.1", "ip:127.0.0.1"],
    ["2001:db8:1:2::1", "ip:2001:db8:1:2::/64"],
    ["2001:0DB8:0001:0002:ffff:ffff:ffff:ffff", "ip:2001:db8:1:2::/64"],
    ["[2001:db8:1:2::9]", "ip:2001:db8:1:2::/64"],
    ["fe80::1%eth0", "ip:fe80:0:0:0::/64"],
    ["::1", "ip:0:0:0:0::/64"],
    ["::", "ip:0:0:0:0::/64"],
    ["2001:db8::1.2.3.4", "ip:2001:db8:0:0::/64"],
  ])("%s → %s", (ip, source) => {
    expect(throttleSource(ip)).toBe(source);
  });

  it("puts every address of one /64 in one source and a neighbouring /64 in another", () => {
    expect(throttleSource("2001:db8:1:2:aaaa::1")).toBe(throttleSource("2001:db8:1:2:bbbb:cccc:dddd:eeee"));
    expect(throttleSource("2001:db8:1:3::1")).not.toBe(throttleSource("2001:db8:1:2::1"));
  });

  it.each(["", "garbage", "256.1.1.1", "1.2.3", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "::ffff:1.2.3.999", "x".repeat(5000)])(
    "%j shares the unknown source",
    (ip) => {
      expect(throttleSource(ip)).toBe("ip:unknown");
    },
  );

  it("has no source without an address", () => {
    expect(throttleSource(null)).toBeNull();
    expect(throttleSource(undefined)).toBeNull();
  });

  it("keys an account per source, and by the account alone without one", () => {
    expect(accountSourceKey("staff:a@b.c", "ip:1.2.3.4")).toBe("staff:a@b.c|ip:1.2.3.4");
    expect(accountSourceKey("staff:a@b.c", null)).toBe("staff:a@b.c");
  });
});
