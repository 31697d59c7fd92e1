import { sql } from "kysely";
import { parseCrontab, runOnce } from "graphile-worker";
import { afterEach, describe, expect, it } from "vitest";
import { advanceClock, now, resetClock } from "~/lib/clock.server";
import { withTenant } from "~/db.server";
import { earnRecordedOrder, recordPurchase } from "~/domain/flows/purchase.server";
import { spendPoints } from "~/domain/points/ledger.server";
import {
  runBirthdays,
  runEarnedDigest,
  runExpiringSoonEmails,
  runInactivityExpiry,
  runReleaseAndExpiry,
} from "~/domain/flows/schedules.server";
import { addMonths, type EarningRules } from "~/domain/points/rules";
import { CRONTAB, jobsLogger, prepareJobsSchema } from "~/jobs/worker.server";
import { POINTS_TASKS, pointsTasks } from "~/jobs/tasks/points-jobs";
import { newId } from "~/lib/ids";
import { expectConsoleErrors } from "../../support/fail-on-console-error";
import { ownerUrl, testDb } from "../../support/db";
import { ledgerFixture, SYSTEM, type LedgerFixture } from "../../support/ledger";
import { statementsSent } from "../../support/sql-sent";

/**
 * The scheduled points jobs, driven directly with a fake clock: each is idempotent (a second run, or two at once,
 * changes nothing more) and scoped here to the test's own merchants (the worker database is shared by test files).
 */

const DAY = 86_400_000;
afterEach(() => resetClock());

async function order(f: LedgerFixture, memberId: string, amountMinor: number, occurredAt = now()) {
  return f.tx((trx) =>
    recordPurchase(
      trx,
      f.merchantId,
      {
        memberId,
        externalOrderId: `o-${newId("order").slice(-8)}`,
        amountMinor,
        currency: "USD",
        occurredAt,
        awardPoints: true,
      },
      { channel: "api", actor: SYSTEM },
    ),
  );
}

const only = (...f: LedgerFixture[]) => ({ merchantIds: f.map((x) => x.merchantId) });

async function outbox(f: LedgerFixture, template: string) {
  return withTenant(testDb(), f.merchantId, (trx) =>
    trx.selectFrom("email_outbox").selectAll().where("merchant_id", "=", f.merchantId).where("template", "=", template).orderBy("created_at").execute(),
  );
}

async function journals(f: LedgerFixture, memberId: string, kind: string) {
  return f.tx((trx) => trx.selectFrom("ledger_journals").selectAll().where("member_id", "=", memberId).where("kind", "=", kind as never).execute());
}

describe("release of pending points", () => {
  it("makes points available once the pending period has passed, once", async () => {
    const f = await ledgerFixture({ pendingDays: 14 });
    const member = await f.newMember();
    await order(f, member, 4250);
    expect(await f.balance(member)).toMatchObject({ available: 0, pending: 42 });

    expect((await runReleaseAndExpiry(now(), only(f))).released).toBe(0);
    advanceClock(13 * DAY);
    expect((await runReleaseAndExpiry(now(), only(f))).released).toBe(0);
    advanceClock(DAY + 60_000);
    const first = await runReleaseAndExpiry(now(), only(f));
    expect(first).toMatchObject({ released: 42, failed: 0 });
    expect(await f.balance(member)).toMatchObject({ available: 42, pending: 0 });

    // Run twice, and twice at once: nothing more happens.
    expect((await runReleaseAndExpiry(now(), only(f))).released).toBe(0);
    const [a, b] = await Promise.all([runReleaseAndExpiry(now(), only(f)), runReleaseAndExpiry(now(), only(f))]);
    expect(a.released + b.released).toBe(0);
    expect(await journals(f, member, "release")).toHaveLength(1);
    expect((await f.reconcile()).mismatches).toEqual([]);
  });

  it("releases concurrent runs exactly once per lot", async () => {
    const f = await ledgerFixture({ pendingDays: 1 });
    const members = [await f.newMember(), await f.newMember(), await f.newMember()];
    for (const m of members) await order(f, m, 1000);
    advanceClock(2 * DAY);
    const runs = await Promise.all([runReleaseAndExpiry(now(), only(f)), runReleaseAndExpiry(now(), only(f)), runReleaseAndExpiry(now(), only(f))]);
    expect(runs.reduce((s, r) => s + r.released, 0)).toBe(30);
    for (const m of members) {
      expect(await f.balance(m)).toMatchObject({ available: 10, pending: 0 });
      expect(await journals(f, m, "release")).toHaveLength(1);
    }
    expect((await f.reconcile()).mismatches).toEqual([]);
  });
});

describe("release and expiry across merchants (Citus: one finder statement per merchant)", () => {
  it("goes round the merchants: each one's due members come from a statement pinned to it; nothing due costs one", async () => {
    const [busy, quiet, idle] = [await ledgerFixture({ pendingDays: 1 }), await ledgerFixture({ pendingDays: 1 }), await ledgerFixture({ pendingDays: 1 })];
    for (const m of [await busy.newMember(), await busy.newMember()]) await order(busy, m, 1000);
    await order(quiet, await quiet.newMember(), 500);
    advanceClock(2 * DAY);
    const [report, sent] = await statementsSent(() => runReleaseAndExpiry(now(), only(busy, quiet, idle)));
    expect(report).toMatchObject({ members: 3, released: 25, failed: 0 });
    const finders = sent.filter((s) => s.includes("ledger_due_lots"));
    // One each: a batch that was not full held everything due.
    expect(finders).toHaveLength(3);
    expect(finders.every((s) => /ledger_due_lots\(\$1, \$2, \$3\)/.test(s))).toBe(true);

    const [again, idleSent] = await statementsSent(() => runReleaseAndExpiry(now(), only(idle)));
    expect(again).toMatchObject({ members: 0, released: 0 });
    // The merchants list and one finder statement: no transaction, no tenant setting.
    expect(idleSent).toHaveLength(2);
    for (const f of [busy, quiet]) expect((await f.reconcile()).mismatches).toEqual([]);
  });

  it("takes a backlog in batches, round after round, serving the other merchants in the first round", async () => {
    const [backlog, small] = [await ledgerFixture({ pendingDays: 1 }), await ledgerFixture({ pendingDays: 1 })];
    const members = [];
    for (let i = 0; i < 5; i++) members.push(await backlog.newMember());
    for (const m of members) await order(backlog, m, 1000);
    const one = await small.newMember();
    await order(small, one, 700);
    advanceClock(2 * DAY);
    const [report, sent] = await statementsSent(() => runReleaseAndExpiry(now(), { ...only(backlog, small), dueBatch: 2 }));
    expect(report).toMatchObject({ members: 6, released: 57, failed: 0 });
    // Round one, merchants in id order (ids are random): 2 of the backlog's 5 (a full batch) and the small merchant's 1;
    // then 2 and 1 more of the backlog.
    const memberTransactions = sent.filter((s) => s.includes("set local app.merchant_id"));
    const smallFirst = memberTransactions.findIndex((s) => s.includes(small.merchantId));
    expect(smallFirst).toBe(backlog.merchantId < small.merchantId ? 2 : 0);
    expect(memberTransactions.filter((s) => s.includes(backlog.merchantId))).toHaveLength(5);
    expect(sent.filter((s) => s.includes("ledger_due_lots"))).toHaveLength(4);
    for (const m of members) expect(await backlog.balance(m)).toMatchObject({ available: 10, pending: 0 });
  });
});

describe("expiry", () => {
  it("expires what is left of a lot N months after it was earned", async () => {
    const f = await ledgerFixture({ expiry: { mode: "after_earning", months: 12 } });
    const member = await f.newMember();
    const earnedAt = now();
    await order(f, member, 4200, earnedAt);
    await f.tx((trx) => spendPoints(trx, f.merchantId, { memberId: member, points: 10, idempotencyKey: "spend-1", description: "Reward: mug", actor: SYSTEM }));

    const deadline = addMonths(earnedAt, 12);
    expect((await runReleaseAndExpiry(new Date(deadline.getTime() - 1000), only(f))).expired).toBe(0);
    advanceClock(deadline.getTime() - now().getTime() + 1000);
    expect((await runReleaseAndExpiry(now(), only(f))).expired).toBe(32);
    expect(await f.balance(member)).toMatchObject({ available: 0, pending: 0 });
    expect((await runReleaseAndExpiry(now(), only(f))).expired).toBe(0);
    expect(await journals(f, member, "expire")).toHaveLength(1);
    expect((await f.reconcile()).mismatches).toEqual([]);
  });

  it("expires every point after N months without activity, and only then", async () => {
    const f = await ledgerFixture({ expiry: { mode: "inactivity", months: 6 }, pendingDays: 14 });
    const idle = await f.newMember();
    const busy = await f.newMember();
    await order(f, idle, 10_000); // 100 pending points
    advanceClock(15 * DAY);
    await runReleaseAndExpiry(now(), only(f));
    await order(f, idle, 2000); // 20 more, pending; last activity now
    const lastActivity = now();
    advanceClock(150 * DAY);
    await order(f, busy, 5000);

    expect((await runInactivityExpiry(now(), only(f))).points).toBe(0);
    const deadline = addMonths(lastActivity, 6);
    advanceClock(deadline.getTime() - now().getTime() - 60_000);
    expect((await runInactivityExpiry(now(), only(f))).points).toBe(0);
    advanceClock(2 * 60_000);
    expect((await runInactivityExpiry(now(), only(f))).points).toBe(120);
    expect(await f.balance(idle)).toMatchObject({ available: 0, pending: 0 });
    expect((await runInactivityExpiry(now(), only(f))).points).toBe(0);
    // The member who ordered 150 days later keeps their points.
    expect(await f.balance(busy)).toMatchObject({ pending: 50 });
    const expiry = await journals(f, idle, "expire");
    expect(expiry).toHaveLength(1);
    expect(expiry[0]!.description).toMatch(/without activity/);
    expect((await f.reconcile()).mismatches).toEqual([]);
  });
});

describe("birthday bonus", () => {
  it("is given on the birthday in the merchant's time zone, once per year", async () => {
    const auckland = await ledgerFixture({ bonuses: { signup: 0, firstOrder: 0, birthday: 25, profileCompleted: 0 } } as Partial<EarningRules>, { timezone: "Pacific/Auckland" });
    const la = await ledgerFixture({ bonuses: { signup: 0, firstOrder: 0, birthday: 25, profileCompleted: 0 } } as Partial<EarningRules>, { timezone: "America/Los_Angeles" });
    const kiwi = await auckland.newMember({ birthday: "1990-03-15" });
    const angeleno = await la.newMember({ birthday: "1990-03-15" });
    const other = await la.newMember({ birthday: "1990-03-16" });

    // 14 March 12:00 UTC: already 15 March in Auckland, still 14 March in Los Angeles.
    const t1 = new Date("2027-03-14T12:00:00Z");
    for (let i = 0; i < 2; i++) await runBirthdays(t1, only(auckland, la));
    expect(await auckland.balance(kiwi)).toMatchObject({ available: 25 });
    expect(await la.balance(angeleno)).toMatchObject({ available: 0 });

    // 15 March 12:00 UTC: 16 March in Auckland (no second bonus), 15 March in Los Angeles.
    const t2 = new Date("2027-03-15T12:00:00Z");
    await Promise.all([runBirthdays(t2, only(auckland, la)), runBirthdays(t2, only(auckland, la))]);
    await runBirthdays(new Date("2027-03-15T23:00:00Z"), only(auckland, la));
    expect(await auckland.balance(kiwi)).toMatchObject({ available: 25 });
    expect(await la.balance(angeleno)).toMatchObject({ available: 25 });
    expect(await la.balance(other)).toMatchObject({ available: 0 });

    // Next year: again.
    await runBirthdays(new Date("2028-03-15T20:00:00Z"), only(auckland, la));
    expect(await la.balance(angeleno)).toMatchObject({ available: 50 });
    expect(await journals(la, angeleno, "earn")).toHaveLength(2);
  });

  it("celebrates 29 February on the 28th in other years, and skips blocked members", async () => {
    const f = await ledgerFixture();
    const leap = await f.newMember({ birthday: "2000-02-29" });
    const blocked = await f.newMember({ birthday: "2000-02-28" });
    await f.tx((trx) => trx.updateTable("members").set({ status: "blocked" }).where("id", "=", blocked).execute());
    await runBirthdays(new Date("2027-02-28T10:00:00Z"), only(f));
    expect(await f.balance(leap)).toMatchObject({ available: 100 });
    expect(await f.balance(blocked)).toMatchObject({ available: 0 });
  });

  it("skips a merchant whose rules cannot be read and carries on with the others", async () => {
    const broken = await ledgerFixture();
    const fine = await ledgerFixture();
    await broken.tx((trx) => trx.updateTable("earning_rules").set({ rules: JSON.stringify({ version: 99 }) }).where("merchant_id", "=", broken.merchantId).execute());
    const a = await broken.newMember({ birthday: "1980-07-01" });
    const b = await fine.newMember({ birthday: "1980-07-01" });
    await runBirthdays(new Date("2027-07-01T12:00:00Z"), only(broken, fine));
    expect(expectConsoleErrors().some((e) => String(e[0]).includes(broken.merchantId))).toBe(true);
    expect(await broken.balance(a)).toMatchObject({ available: 0 });
    expect(await fine.balance(b)).toMatchObject({ available: 100 });
  });
});

describe("points expiring soon e-mail", () => {
  it("tells a member once, 30 days ahead, about the points that expire", async () => {
    const f = await ledgerFixture({ expiry: { mode: "after_earning", months: 12 } });
    const member = await f.newMember({ name: "Ada" });
    const earnedAt = now();
    await order(f, member, 4200, earnedAt);
    const expiresAt = addMonths(earnedAt, 12);

    expect((await runExpiringSoonEmails(new Date(expiresAt.getTime() - 31 * DAY), only(f))).emails).toBe(0);
    const at = new Date(expiresAt.getTime() - 29 * DAY);
    const [r1, r2] = await Promise.all([runExpiringSoonEmails(at, only(f)), runExpiringSoonEmails(at, only(f))]);
    expect(r1.emails + r2.emails).toBe(1);
    expect((await runExpiringSoonEmails(new Date(at.getTime() + DAY), only(f))).emails).toBe(0);
    expect((await runExpiringSoonEmails(new Date(expiresAt.getTime() - DAY), only(f))).emails).toBe(0);

    const sent = await outbox(f, "points-expiring");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subject).toMatch(/^42 points at .+ expire on /);
    expect(sent[0]!.text_body).toContain("Ada, your points expire soon".toUpperCase());
    expect(sent[0]!.text_body).toContain("42 points on");
  });

  it("tells again only about points earned later, and not at night", async () => {
    const f = await ledgerFixture({ expiry: { mode: "after_earning", months: 12 } });
    const member = await f.newMember();
    const first = now();
    await order(f, member, 1000, first);
    advanceClock(60 * DAY);
    await order(f, member, 2000);
    const e1 = addMonths(first, 12);
    await runExpiringSoonEmails(new Date(e1.getTime() - 20 * DAY), only(f));
    // The second lot expires ~60 days later: a second e-mail once it comes within 30 days, covering only it.
    const e2 = addMonths(now(), 12);
    const at = new Date(e2.getTime() - 20 * DAY);
    const hour = at.getUTCHours();
    const night = { from: (hour + 1) % 24, to: ((hour + 1) % 24) + 1 };
    expect((await runExpiringSoonEmails(at, { ...only(f), sendingHours: night })).emails).toBe(0);
    expect((await runExpiringSoonEmails(at, only(f))).emails).toBe(1);
    const sent = await outbox(f, "points-expiring");
    expect(sent.map((s) => s.subject.split(" at ")[0])).toEqual(["10 points", "20 points"]);
  });

  it("warns once per inactivity deadline", async () => {
    const f = await ledgerFixture({ expiry: { mode: "inactivity", months: 6 } });
    const member = await f.newMember();
    await order(f, member, 3000);
    const deadline = addMonths(now(), 6);
    await runExpiringSoonEmails(new Date(deadline.getTime() - 10 * DAY), only(f));
    await runExpiringSoonEmails(new Date(deadline.getTime() - 9 * DAY), only(f));
    const sent = await outbox(f, "points-expiring");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text_body).toContain("Any purchase before then keeps them");
  });
});

describe("points earned digest", () => {
  it("sums up what was earned since the last digest, one e-mail at a time", async () => {
    // Start at 10:00 UTC so "the same day" below cannot cross midnight.
    const t = now();
    const tenAm = Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() + 1, 10);
    advanceClock(tenAm - t.getTime());
    const f = await ledgerFixture({ pendingDays: 14 });
    const member = await f.newMember({ name: "Grace" });
    await f.newMember(); // earns nothing, hears nothing
    await order(f, member, 4250);
    await order(f, member, 1899);
    advanceClock(60 * 60_000);

    const [a, b] = await Promise.all([runEarnedDigest(now(), only(f)), runEarnedDigest(now(), only(f))]);
    expect(a.emails + b.emails).toBe(1);
    expect((await runEarnedDigest(now(), only(f))).emails).toBe(0);
    let sent = await outbox(f, "points-earned");
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subject).toMatch(/^You earned 60 points at /);
    expect(sent[0]!.text_body).toMatch(/\+42 points for order #o-/);
    expect(sent[0]!.text_body).toMatch(/\+18 points for order #o-/);
    expect(sent[0]!.text_body).toContain("0 points to spend and 60 points on the way");
    expect(sent[0]!.text_body).toContain("after the 14-day return window");

    // More earnings the same day wait for tomorrow's digest, which has only them.
    await order(f, member, 700);
    advanceClock(60 * 60_000);
    expect((await runEarnedDigest(now(), only(f))).emails).toBe(0);
    advanceClock(DAY);
    expect((await runEarnedDigest(now(), only(f))).emails).toBe(1);
    sent = await outbox(f, "points-earned");
    expect(sent.map((s) => s.subject.replace(/ at .*/, ""))).toEqual(["You earned 60 points", "You earned 7 points"]);
    expect(new Set(sent.map((s) => s.to_address)).size).toBe(1);

    // Points for historical orders from a CSV import are no news to the member.
    // (the importer inserts its rows in bulk, then earns each one)
    await f.tx(async (trx) => {
      const row = await trx
        .insertInto("orders")
        .values({ merchant_id: f.merchantId, id: newId("order"), member_id: member, source: "import", external_order_id: "hist-1", amount_minor: 9900, currency: "USD", occurred_at: new Date("2020-01-01T00:00:00Z"), created_at: now() })
        .returningAll()
        .executeTakeFirstOrThrow();
      await earnRecordedOrder(trx, f.merchantId, row, SYSTEM);
    });
    expect(await f.balance(member)).toMatchObject({ available: 99 });
    advanceClock(DAY);
    expect((await runEarnedDigest(now(), only(f))).emails).toBe(0);

    // Releases, spends and expiries are not earnings: nothing new to tell.
    advanceClock(15 * DAY);
    await runReleaseAndExpiry(now(), only(f));
    expect((await runEarnedDigest(now(), only(f))).emails).toBe(0);
  });
});

describe("worker wiring", () => {
  it("schedules every points task and runs them through graphile-worker", async () => {
    const scheduled = parseCrontab(CRONTAB).map((c) => c.task);
    expect(scheduled).toEqual(expect.arrayContaining(Object.values(POINTS_TASKS)));

    await prepareJobsSchema(ownerUrl);
    const f = await ledgerFixture({ pendingDays: 1 });
    const member = await f.newMember();
    await order(f, member, 1000, new Date(Date.now() - 2 * DAY));
    // The task acts at the real clock: the order above is already past its pending day.
    for (const task of Object.values(POINTS_TASKS)) await sql`select graphile_worker.add_job(${task}, '{}'::json)`.execute(testDb());
    await runOnce({ connectionString: ownerUrl, taskList: pointsTasks(), logger: jobsLogger });
    expect(await f.balance(member)).toMatchObject({ available: 10, pending: 0 });
    const left = await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs where task_identifier like 'points_%'`.execute(testDb()).catch(() => null);
    if (left) expect(left.rows[0]!.n).toBe(0);
    // The tasks see every merchant of this shared database, the one with broken rules (above) included: skipped, logged.
    for (const e of expectConsoleErrors()) expect(String(e[0])).toMatch(/skipped merchant .* Stored earning rules .* are invalid/s);
  });
});
