import { parseCrontab, runOnce } from "graphile-worker";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { advanceClock, resetClock } from "~/lib/clock.server";
import { accountSourceKey, memberThrottleKey, staffThrottleKey, throttleSource } from "~/auth/throttle";
import { claimLoginAttempt, clearLoginFailures, throttleWait } from "~/auth/throttle.server";
import { CRONTAB, jobsLogger, prepareJobsSchema } from "~/jobs/worker.server";
import { LOGIN_THROTTLE_PRUNE_TASK, loginThrottleTasks } from "~/jobs/tasks/login-throttle";
import * as login from "~/routes/login";
import * as portalLogin from "~/routes/p.$merchant.login";
import * as portalSignup from "~/routes/p.$merchant.signup";
import { ownerUrl, testDb } from "../../support/db";
import { newMerchant, PASSWORD, post, run, uniq } from "../../support/auth";

// reliability.md S6: per-account throttling with exponential backoff capped at 300 s, same answer for everyone.
// Issue 12 §4: the backoff is per account *and source*, plus a budget per source (IPv4 address, IPv6 /64).
afterEach(() => resetClock());

/** A request as http.server.ts hands it to Remix: the client address in x-perennial-client-ip (or none at all). */
function withIp(request: Request, ip: string | undefined): Request {
  if (ip !== undefined) request.headers.set("x-perennial-client-ip", ip);
  return request;
}

async function attempt(email: string, password: string, ip?: string) {
  return run(() => login.action({ request: withIp(post("/login", { email, password }), ip), params: {}, context: {} }));
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

describe("login throttling per source (issue 12 §4)", () => {
  const ownerWait = (email: string, ip: string) => throttleWait(testDb(), accountSourceKey(staffThrottleKey(email), throttleSource(ip)));

  it("30 wrong guesses from one address do not stop the owner's correct login from another, and are throttled as before", async () => {
    const { owner } = await newMerchant();
    const attacker = "198.51.100.7";
    // The attack that used to lock the owner out: one wrong guess each time the window opens.
    const statuses: number[] = [];
    const waits: number[] = [];
    for (let i = 1; i <= 30; i++) {
      advanceClock((await ownerWait(owner.email, attacker)) * 1000);
      statuses.push((await attempt(owner.email, `wrong-${i}-password`, attacker)).status);
      waits.push(await ownerWait(owner.email, attacker));
    }
    expect(statuses).toEqual(Array(30).fill(401));
    expect(waits.slice(0, 13)).toEqual([0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
    expect(waits.slice(13)).toEqual(Array(17).fill(300));
    // From the attacker's address even the right password is refused unchecked, exactly as before.
    const refused = await attempt(owner.email, PASSWORD, attacker);
    expect(refused.status).toBe(429);
    expect(formError(refused)).toBe("Too many attempts, try again in 300 seconds.");
    // The owner, elsewhere, logs straight in without waiting.
    const ok = await attempt(owner.email, PASSWORD, "203.0.113.20");
    expect(ok.status).toBe(302);
    expect(ok.setCookie).toBeTruthy();
    // …and that success does not reset the attacker's backoff.
    expect((await attempt(owner.email, PASSWORD, attacker)).status).toBe(429);
  });

  it("30 wrong guesses as fast as possible from one address: only four are checked, other addresses are untouched", async () => {
    const { owner } = await newMerchant();
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await attempt(owner.email, `fast-${i}`, "198.51.100.8")).status);
    expect(statuses).toEqual([...Array(4).fill(401), ...Array(26).fill(429)]);
    expect((await attempt(owner.email, "one typo", "203.0.113.21")).status).toBe(401);
    expect((await attempt(owner.email, PASSWORD, "203.0.113.21")).status).toBe(302);
  });

  it("gives each source a budget across accounts, answering unknown and known e-mails alike", async () => {
    const { owner } = await newMerchant();
    const sprayer = "198.51.100.9";
    const answers: string[] = [];
    // 20 failures over 20 accounts (never more than one per account): all checked.
    for (let i = 0; i < 20; i++) {
      const email = i === 7 ? owner.email : `${uniq("spray")}@example.com`;
      const o = await attempt(email, "Winter2026!", sprayer);
      answers.push(`${o.status} ${formError(o)}`);
    }
    expect(answers).toEqual(Array(20).fill("401 Wrong e-mail or password."));
    // The 21st is still checked, and starts the source's own backoff.
    expect((await attempt(`${uniq("spray")}@example.com`, "Winter2026!", sprayer)).status).toBe(401);
    const ghost = await attempt(`${uniq("spray")}@example.com`, "Winter2026!", sprayer);
    const real = await attempt(owner.email, PASSWORD, sprayer);
    expect(`${ghost.status} ${formError(ghost)}`).toBe("429 Too many attempts, try again in 1 second.");
    expect(`${real.status} ${formError(real)}`).toBe(`${ghost.status} ${formError(ghost)}`);
    // Other sources are not slowed by it.
    expect((await attempt(owner.email, PASSWORD, "203.0.113.22")).status).toBe(302);
    advanceClock(1000);
    expect((await attempt(`${uniq("spray")}@example.com`, "Winter2026!", sprayer)).status).toBe(401); // → 2 s
    expect(formError(await attempt(owner.email, PASSWORD, sprayer))).toBe("Too many attempts, try again in 2 seconds.");
  });

  it("treats the addresses of one IPv6 /64 as one source, for the account and for the budget", async () => {
    const { owner } = await newMerchant();
    const a = "2001:db8:77:1::a";
    const b = "2001:db8:77:1:ffff:1:2:b";
    const c = "2001:db8:77:2::a"; // the neighbouring /64
    // Rotating through the /64 does not buy fresh guesses at one account.
    for (let i = 0; i < 4; i++) expect((await attempt(owner.email, `v6-${i}`, i % 2 ? a : b)).status).toBe(401);
    expect((await attempt(owner.email, PASSWORD, `2001:db8:77:1::${(1234).toString(16)}`)).status).toBe(429);
    expect((await attempt(owner.email, PASSWORD, c)).status).toBe(302);
    // Nor fresh budget across accounts: 17 more failures make 21, and the 21st opens the source's backoff.
    for (let i = 0; i < 17; i++) expect((await attempt(`${uniq("v6")}@example.com`, "guess", i % 2 ? a : b)).status).toBe(401);
    expect((await attempt(`${uniq("v6")}@example.com`, "guess", `[${b}]`)).status).toBe(429);
    expect((await attempt(`${uniq("v6")}@example.com`, "guess", c)).status).toBe(401);
  });

  it("gives the budget back on a successful login, so a busy office behind one address is not slowed", async () => {
    const { owner } = await newMerchant();
    const office = "192.0.2.50";
    for (let i = 0; i < 19; i++) await attempt(`${uniq("typo")}@example.com`, "typo", office);
    for (let i = 0; i < 10; i++) expect((await attempt(owner.email, PASSWORD, office)).status).toBe(302);
    const row = await testDb().selectFrom("login_throttle").selectAll().where("key", "=", throttleSource(office)!).executeTakeFirstOrThrow();
    expect(row.failures).toBe(19);
    expect((await attempt(`${uniq("typo")}@example.com`, "typo", office)).status).toBe(401); // the 20th: still free
    expect(await throttleWait(testDb(), throttleSource(office)!)).toBe(0);
  });

  it("a success from a slowed source that is free again leaves it free, and keeps its count", async () => {
    const { owner } = await newMerchant();
    const busy = "192.0.2.51";
    const source = throttleSource(busy)!;
    for (let i = 0; i < 22; i++) {
      advanceClock((await throttleWait(testDb(), source)) * 1000);
      expect((await attempt(`${uniq("busy")}@example.com`, "typo", busy)).status).toBe(401);
    }
    expect(await throttleWait(testDb(), source)).toBe(2);
    advanceClock(2000);
    expect((await attempt(owner.email, PASSWORD, busy)).status).toBe(302);
    expect(await throttleWait(testDb(), source)).toBe(0);
    const row = await testDb().selectFrom("login_throttle").selectAll().where("key", "=", source).executeTakeFirstOrThrow();
    expect(row.failures).toBe(22);
    expect((await attempt(`${uniq("busy")}@example.com`, "typo", busy)).status).toBe(401); // the 23rd → 4 s
    expect(await throttleWait(testDb(), source)).toBe(4);
  });

  it("lets only one of many parallel guesses from one address through once backoff starts", async () => {
    const { owner } = await newMerchant();
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt(owner.email, `parallel guess ${i}`, "198.51.100.10")));
    expect(outcomes.map((o) => o.status).sort()).toEqual([401, 401, 401, 401, 429, 429, 429, 429, 429, 429]);
    expect((await attempt(owner.email, PASSWORD, "198.51.100.11")).status).toBe(302);
  });

  it("throttles portal members per source too", async () => {
    const { merchant } = await newMerchant();
    const email = `${uniq("mem")}@example.com`;
    const joined = await run(() =>
      portalSignup.action({
        request: post(`/p/${merchant.slug}/signup`, { name: "Mia Member", email, password: PASSWORD }),
        params: { merchant: merchant.slug },
        context: {},
      }),
    );
    expect(joined.status).toBe(302);
    const memberAttempt = (password: string, ip: string) =>
      run(() =>
        portalLogin.action({
          request: withIp(post(`/p/${merchant.slug}/login`, { email, password }), ip),
          params: { merchant: merchant.slug },
          context: {},
        }),
      );
    for (let i = 0; i < 8; i++) await memberAttempt(`wrong-${i}`, "198.51.100.12");
    expect((await memberAttempt(PASSWORD, "198.51.100.12")).status).toBe(429);
    expect((await memberAttempt(PASSWORD, "203.0.113.23")).status).toBe(302);
  });

  it("a password reset clears the account's failures from every source, not the sources' budgets", async () => {
    const key = memberThrottleKey("mch_x", `${uniq("reset")}@example.com`);
    for (const ip of ["198.51.100.13", "198.51.100.14", null]) await claimLoginAttempt(testDb(), key, ip);
    const sources = ["ip:198.51.100.13", "ip:198.51.100.14"];
    const rows = () =>
      testDb()
        .selectFrom("login_throttle")
        .select("key")
        .where((eb) => eb.or([eb("account", "=", key), eb("key", "in", sources)]));
    expect((await rows().execute()).length).toBe(5);
    await clearLoginFailures(testDb(), key);
    expect((await rows().execute()).map((r) => r.key).sort()).toEqual(sources);
  });
});

describe("pruning idle throttle rows", () => {
  it("is scheduled, and deletes rows idle for over an hour while keeping recent ones", async () => {
    expect(parseCrontab(CRONTAB).map((c) => c.task)).toContain(LOGIN_THROTTLE_PRUNE_TASK);

    const { owner } = await newMerchant();
    const idle = "198.51.100.15";
    for (let i = 0; i < 14; i++) await attempt(owner.email, `idle-${i}`, idle);
    await attempt(owner.email, "no source");
    const idleKeys = [accountSourceKey(staffThrottleKey(owner.email), throttleSource(idle)), throttleSource(idle)!, staffThrottleKey(owner.email)];
    advanceClock(61 * 60 * 1000);
    const recent = "198.51.100.16";
    await attempt(owner.email, "recent", recent);
    const recentKeys = [accountSourceKey(staffThrottleKey(owner.email), throttleSource(recent)), throttleSource(recent)!];
    const present = async (keys: string[]) =>
      (await testDb().selectFrom("login_throttle").select("key").where("key", "in", keys).execute()).map((r) => r.key).sort();
    expect(await present(idleKeys)).toEqual([...idleKeys].sort());

    await prepareJobsSchema(ownerUrl);
    await sql`select graphile_worker.add_job(${LOGIN_THROTTLE_PRUNE_TASK}, '{}'::json)`.execute(testDb());
    await runOnce({ connectionString: ownerUrl, taskList: loginThrottleTasks(), logger: jobsLogger });

    expect(await present(idleKeys)).toEqual([]);
    expect(await present(recentKeys)).toEqual([...recentKeys].sort());
    // Pruned rows were worth nothing: the owner logs in from the idle address at once.
    expect((await attempt(owner.email, PASSWORD, idle)).status).toBe(302);
  });
});
