import { afterEach, describe, expect, it } from "vitest";
import { advanceClock, resetClock } from "~/auth/clock.server";
import { staffThrottleKey } from "~/auth/throttle";
import { throttleWait } from "~/auth/throttle.server";
import * as login from "~/routes/login";
import { testDb } from "../support/db";
import { newMerchant, PASSWORD, post, run, uniq } from "../support/auth";

// reliability.md S6: per-account throttling with exponential backoff capped at 300 s, same answer for everyone.
afterEach(() => resetClock());

async function attempt(email: string, password: string) {
  return run(() => login.action({ request: post("/login", { email, password }), params: {}, context: {} }));
}
const formError = (o: Awaited<ReturnType<typeof attempt>>) => o.data?.result?.error?.[""]?.[0] as string | undefined;

describe("login throttling", () => {
  it("backs off exponentially after three failures, refuses even the right password while throttled, and caps at 300 s", async () => {
    const { owner } = await newMerchant();
    for (let i = 1; i <= 3; i++) expect((await attempt(owner.email, `wrong-${i}-password`)).status).toBe(401);
    // 4th failure → wait 1 s.
    expect((await attempt(owner.email, "wrong-4-password")).status).toBe(401);
    const throttled = await attempt(owner.email, PASSWORD);
    expect(throttled.status).toBe(429);
    expect(formError(throttled)).toBe("Too many attempts, try again in 1 second.");
    expect(throttled.setCookie).toBeNull();

    advanceClock(1000);
    expect((await attempt(owner.email, "wrong-5-password")).status).toBe(401); // → 2 s
    expect(formError(await attempt(owner.email, PASSWORD))).toBe("Too many attempts, try again in 2 seconds.");

    // Keep failing: the wait doubles and stops at 300 s.
    const waits: number[] = [];
    for (let i = 6; i <= 14; i++) {
      advanceClock((await throttleWait(testDb(), staffThrottleKey(owner.email))) * 1000);
      expect((await attempt(owner.email, `wrong-${i}-password`)).status).toBe(401);
      waits.push(await throttleWait(testDb(), staffThrottleKey(owner.email)));
    }
    expect(waits).toEqual([4, 8, 16, 32, 64, 128, 256, 300, 300]);
    expect(formError(await attempt(owner.email, PASSWORD))).toBe("Too many attempts, try again in 300 seconds.");

    // After the wait the right password works, and success clears the count.
    advanceClock(300_000);
    expect((await attempt(owner.email, PASSWORD)).status).toBe(302);
    expect(await throttleWait(testDb(), staffThrottleKey(owner.email))).toBe(0);
    const row = await testDb().selectFrom("login_throttle").selectAll().where("key", "=", staffThrottleKey(owner.email)).executeTakeFirst();
    expect(row).toBeUndefined();
    expect((await attempt(owner.email, "one more typo")).status).toBe(401);
    expect((await attempt(owner.email, PASSWORD)).status).toBe(302);
  });

  it("throttles unknown e-mails exactly like known ones, with identical answers", async () => {
    const { owner } = await newMerchant();
    const unknown = `${uniq("ghost")}@example.com`;
    const known: string[] = [];
    const ghost: string[] = [];
    for (let i = 0; i < 6; i++) {
      const k = await attempt(owner.email, "not the password");
      const g = await attempt(unknown, "not the password");
      known.push(`${k.status} ${formError(k)}`);
      ghost.push(`${g.status} ${formError(g)}`);
    }
    expect(ghost).toEqual(known);
    expect(known.slice(0, 4)).toEqual(Array(4).fill("401 Wrong e-mail or password."));
    expect(known[4]).toMatch(/^429 Too many attempts, try again in 1 second\.$/);
  });

  it("takes about as long for an unknown e-mail as for a wrong password", async () => {
    const { owner } = await newMerchant();
    const time = async (email: string) => {
      const t = performance.now();
      await attempt(email, "definitely wrong");
      return performance.now() - t;
    };
    // Warm up the dummy hash, then compare medians of a few runs (each account stays below the free failures).
    await time(`${uniq("warm")}@example.com`);
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) {
      known.push(await time(owner.email));
      unknown.push(await time(`${uniq("ghost")}@example.com`));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[1]!;
    const ratio = median(unknown) / median(known);
    // Loose bounds so a busy CI machine does not flake; skipping the dummy hash would give a ratio near 0.02.
    expect(ratio).toBeGreaterThan(0.25);
    expect(ratio).toBeLessThan(4);
  });

  it("lets only one of many parallel guesses through once backoff starts", async () => {
    const { owner } = await newMerchant();
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt(owner.email, `parallel guess ${i}`)));
    const statuses = outcomes.map((o) => o.status).sort();
    // Three free failures, the fourth opens the 1 s backoff, everything else in that window is refused unchecked.
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429, 429, 429, 429, 429]);
  });

  it("forgets old failures after an hour of quiet", async () => {
    const { owner } = await newMerchant();
    for (let i = 0; i < 4; i++) await attempt(owner.email, "wrong wrong");
    expect(await throttleWait(testDb(), staffThrottleKey(owner.email))).toBe(1);
    advanceClock(61 * 60 * 1000);
    expect((await attempt(owner.email, "wrong again")).status).toBe(401);
    // Counting restarted at 1: no wait.
    expect(await throttleWait(testDb(), staffThrottleKey(owner.email))).toBe(0);
  });
});
