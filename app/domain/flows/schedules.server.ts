import { sql } from "kysely";
import { now } from "~/lib/clock.server";
import { availableOn, localDay, longDate, memberHistoryText, pendingByDay, pointsLabel, shortDate } from "~/domain/points/text";
import { db, withTenant, type Trx } from "~/db.server";
import { enqueueEmail } from "~/domain/email/outbox.server";
import { appUrl } from "~/lib/env.server";
import { getMemberBalance } from "~/domain/points/balance.server";
import { awardBirthdayBonus } from "./earning.server";
import { expireDueLots, releaseDueLots } from "~/domain/points/ledger.server";
import { addMonths, inactivityExpiry, wallTimeIn, type EarningRules } from "~/domain/points/rules";
import { getEarningRules } from "~/domain/points/rules.server";
import { hasTierBirthdayBonus } from "~/domain/tiers/program.server";

/**
 * The points ledger's scheduled work: release pending lots, expire lots (after N months, or after N months of
 * inactivity), birthday bonuses, and the two e-mails (points expiring soon, points earned digest).
 *
 * Every run is idempotent and safe to run twice or concurrently: ledger writes carry natural idempotency keys
 * (release:<lot>, birthday:<member>:<year> …) and re-check under the member's balance lock; e-mails are recorded in
 * points_notifications in the same transaction as the outbox row, under a per-member advisory lock. Work is found
 * merchant by merchant from the global `merchants` table (each finder's statement pinned to one merchant) and done
 * per member, one transaction each, so one member's failure is logged and retried on the next run without holding
 * up the rest.
 *
 * The functions take the instant to act at, so tests drive them with a fake clock.
 */

const DAY = 86_400_000;
/** "Points expiring soon" goes out this long before points expire … */
export const EXPIRING_NOTICE_DAYS = 30;
/** … and also covers points expiring in the week after that, so a member hears about it at most about once a week. */
export const EXPIRING_LOOKAHEAD_DAYS = EXPIRING_NOTICE_DAYS + 7;
/** A member's first digest covers this far back; later ones start after the last journal the previous one included. */
export const DIGEST_FIRST_LOOKBACK_DAYS = 7;
/** Journals younger than this wait for the next digest, so one committed late with an older timestamp is not skipped. */
export const DIGEST_SETTLE_MS = 5 * 60_000;
const DUE_BATCH = 500;
const PAGE = 1000;
const DIGEST_LINES = 10;

export interface JobOptions {
  /** Only these merchants (tests, one-merchant runs). Default: every merchant. */
  merchantIds?: readonly string[];
  /** E-mail jobs: only merchants whose local time is within [from, to) hours, so nobody is mailed at night. */
  sendingHours?: { from: number; to: number } | null;
  /** Release and expiry: members per finder batch (default DUE_BATCH; tests make it small). */
  dueBatch?: number;
}

export interface JobReport {
  members: number;
  failed: number;
  points: number;
  emails: number;
}

interface MerchantRow {
  id: string;
  slug: string;
  name: string;
  timezone: string;
}

const emptyReport = (): JobReport => ({ members: 0, failed: 0, points: 0, emails: 0 });

async function merchants(opts: JobOptions): Promise<MerchantRow[]> {
  if (opts.merchantIds && opts.merchantIds.length === 0) return [];
  let q = db().selectFrom("merchants").select(["id", "slug", "name", "timezone"]).orderBy("id");
  if (opts.merchantIds) q = q.where("id", "in", [...opts.merchantIds]);
  return q.execute();
}

/** One member's work in its own tenant transaction; a failure is logged and counted, never thrown. */
async function perMember<T>(job: string, merchantId: string, memberId: string, report: JobReport, fn: (trx: Trx) => Promise<T>): Promise<T | undefined> {
  report.members += 1;
  try {
    return await withTenant(db(), merchantId, fn);
  } catch (err) {
    report.failed += 1;
    console.error(`[jobs] ${job}: member ${memberId} of merchant ${merchantId} failed (retried next run): ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/** A merchant's rules, or null (logged) when they cannot be read: that merchant waits, the others go on. */
async function rulesOf(job: string, merchantId: string): Promise<EarningRules | null> {
  try {
    return await withTenant(db(), merchantId, (trx) => getEarningRules(trx, merchantId));
  } catch (err) {
    console.error(`[jobs] ${job}: skipped merchant ${merchantId}: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

export function inSendingHours(at: Date, timeZone: string, hours: JobOptions["sendingHours"]): boolean {
  if (!hours) return true;
  const h = wallTimeIn(at, timeZone).hour;
  return h >= hours.from && h < hours.to;
}

/** Serialises the e-mail jobs per member and kind (two overlapping runs must not both decide to send). */
async function lockNotices(trx: Trx, merchantId: string, memberId: string, kind: string) {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`points-notice:${kind}:${merchantId}:${memberId}`}, 0))`.execute(trx);
}

const portalPoints = (slug: string) => `${appUrl()}/p/${slug}/points`;

// ---- release and expiry ----------------------------------------------------------------------------------------

/**
 * Makes pending lots whose return window has passed available and expires lots past their expiry date, for every
 * member the ledger_due_lots door reports. The door answers for one merchant (a statement pinned to it, as Citus
 * wants: docs/scale-out.md, "Cross-merchant work"), so the run goes round the merchants: each pass takes one batch
 * from every merchant that may have more (its last batch was full and brought someone new). A merchant with less
 * than a batch due costs one indexed statement; one with a backlog does not hold up the others.
 */
export async function runReleaseAndExpiry(at: Date = now(), opts: JobOptions = {}): Promise<JobReport & { released: number; expired: number }> {
  const report = { ...emptyReport(), released: 0, expired: 0 };
  const batch = opts.dueBatch ?? DUE_BATCH;
  let round = (await merchants(opts)).map((m) => ({ id: m.id, seen: new Set<string>() }));
  while (round.length > 0) {
    const next: typeof round = [];
    for (const m of round) {
      const due = await dueMembers(m.id, at, batch);
      // A member seen already either succeeded (it no longer shows up) or failed this run: done when nothing is new.
      const fresh = due.filter((id) => !m.seen.has(id));
      if (fresh.length === 0) continue;
      // A batch that was not full held everything due at `at` (the run's fixed instant): no need to ask again.
      if (due.length >= batch) next.push(m);
      for (const memberId of fresh) {
        m.seen.add(memberId);
        const done = await perMember("points_release", m.id, memberId, report, async (trx) => ({
          released: await releaseDueLots(trx, m.id, memberId, at),
          expired: await expireDueLots(trx, m.id, memberId, { at }),
        }));
        if (done) {
          report.released += done.released;
          report.expired += done.expired;
          report.points += done.released + done.expired;
        }
      }
    }
    round = next;
  }
  return report;
}

/** Up to `batch` members of one merchant with lots to release or expire (a security-definer door: no tenant needed). */
async function dueMembers(merchantId: string, at: Date, batch: number): Promise<string[]> {
  const r = await sql<{ member_id: string }>`select member_id from ledger_due_lots(${merchantId}, ${at}, ${batch})`.execute(db());
  return r.rows.map((row) => row.member_id);
}

/**
 * The "N months of inactivity" policy: every open lot of a member whose last activity is older than the window
 * expires. Candidates are found with a few days' margin and checked exactly with the same date arithmetic the
 * balance screen uses (inactivityExpiry); the ledger re-checks under the balance lock that there was no activity since.
 */
export async function runInactivityExpiry(at: Date = now(), opts: JobOptions = {}): Promise<JobReport> {
  const report = emptyReport();
  for (const m of await merchants(opts)) {
    const rules = await rulesOf("points_expire_inactive", m.id);
    if (!rules || rules.expiry.mode !== "inactivity") continue;
    const cutoff = new Date(addMonths(at, -rules.expiry.months).getTime() + 4 * DAY);
    let after = "";
    for (;;) {
      const page = await withTenant(db(), m.id, (trx) =>
        trx
          .selectFrom("member_balances")
          .select(["member_id", "last_activity_at"])
          .where("merchant_id", "=", m.id)
          .where("last_activity_at", "<=", cutoff)
          .where(sql<boolean>`available + pending > 0`)
          .where("member_id", ">", after)
          .orderBy("member_id")
          .limit(PAGE)
          .execute(),
      );
      for (const b of page) {
        const deadline = b.last_activity_at ? inactivityExpiry(rules, b.last_activity_at) : null;
        if (!deadline || deadline > at) continue;
        const expired = await perMember("points_expire_inactive", m.id, b.member_id, report, (trx) =>
          expireDueLots(trx, m.id, b.member_id, { at, inactivityDeadline: b.last_activity_at }),
        );
        report.points += expired ?? 0;
      }
      if (page.length < PAGE) break;
      after = page.at(-1)!.member_id;
    }
  }
  return report;
}

// ---- birthdays ---------------------------------------------------------------------------------------------------

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/**
 * Birthday bonuses for members whose birthday is today in their merchant's time zone. Run hourly so every zone's
 * day is covered; the bonus is keyed per member and local year, so later runs the same day change nothing.
 */
export async function runBirthdays(at: Date = now(), opts: JobOptions = {}): Promise<JobReport> {
  const report = emptyReport();
  for (const m of await merchants(opts)) {
    const rules = await rulesOf("points_birthdays", m.id);
    // Tiers may give a birthday bonus even when the program's base bonus is off.
    if (!rules || (rules.bonuses.birthday <= 0 && !(await withTenant(db(), m.id, (trx) => hasTierBirthdayBonus(trx, m.id))))) continue;
    const local = wallTimeIn(at, m.timezone);
    // 29 February birthdays are celebrated on the 28th in other years (rules.ts isBirthdayOn).
    const days = local.month === 2 && local.day === 28 && !isLeap(local.year) ? [28, 29] : [local.day];
    const members = await withTenant(db(), m.id, (trx) =>
      trx
        .selectFrom("members")
        .select(["id", "birthday"])
        .where("merchant_id", "=", m.id)
        .where("status", "=", "active")
        .where(sql<boolean>`extract(month from birthday) = ${local.month}`)
        .where(sql<boolean>`extract(day from birthday) in (${sql.join(days)})`)
        // Skips those already celebrated this year (the key earning.server.ts gives the bonus); only a shortcut:
        // awardBirthdayBonus replays an existing key anyway.
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("ledger_journals as j")
                .select("j.id")
                .where("j.merchant_id", "=", m.id)
                .where("j.idempotency_key", "=", sql<string>`'birthday:' || members.id || ':' || ${String(local.year)}`),
            ),
          ),
        )
        .execute(),
    );
    for (const member of members) {
      const out = await perMember("points_birthdays", m.id, member.id, report, (trx) => awardBirthdayBonus(trx, m.id, member, at));
      if (out && !out.replayed) report.points += out.points;
    }
  }
  return report;
}

// ---- "points expiring soon" ------------------------------------------------------------------------------------

/**
 * E-mails members whose points expire within 30 days and who have not been told about those points yet. What was
 * told is recorded in points_notifications (kind expiring_soon) in the e-mail's transaction:
 *  - expiry N months after earning: through_at is the latest expiry the e-mail mentioned; a new e-mail goes out
 *    only for points expiring after it. One e-mail covers 37 days, so a member hears at most about weekly.
 *  - expiry after N months of inactivity: one e-mail per deadline (the key); activity moves the deadline.
 */
export async function runExpiringSoonEmails(at: Date = now(), opts: JobOptions = {}): Promise<JobReport> {
  const report = emptyReport();
  const soon = new Date(at.getTime() + EXPIRING_NOTICE_DAYS * DAY);
  for (const m of await merchants(opts)) {
    if (!inSendingHours(at, m.timezone, opts.sendingHours)) continue;
    const rules = await rulesOf("points_expiring_soon", m.id);
    if (!rules || rules.expiry.mode === "never") continue;
    const months = rules.expiry.months;
    const candidates =
      rules.expiry.mode === "after_earning"
        ? await withTenant(db(), m.id, (trx) =>
            trx
              .selectFrom("point_lots as l")
              .select("l.member_id")
              .distinct()
              .where("l.merchant_id", "=", m.id)
              .where("l.remaining", ">", 0)
              .where("l.expires_at", ">", at)
              .where("l.expires_at", "<=", soon)
              // Members already told about every one of these lots need no transaction at all.
              .where(
                sql<boolean>`l.expires_at > coalesce((select max(n.through_at) from points_notifications n
                  where n.merchant_id = l.merchant_id and n.member_id = l.member_id and n.kind = 'expiring_soon'), '-infinity')`,
              )
              .execute(),
          )
        : await withTenant(db(), m.id, (trx) =>
            trx
              .selectFrom("member_balances")
              .select("member_id")
              .where("merchant_id", "=", m.id)
              .where(sql<boolean>`available + pending > 0`)
              .where("last_activity_at", "<=", new Date(addMonths(soon, -months).getTime() + 4 * DAY))
              .execute(),
          );
    for (const { member_id } of candidates) {
      const sent = await perMember("points_expiring_soon", m.id, member_id, report, (trx) => notifyExpiring(trx, m, rules, member_id, at));
      if (sent) {
        report.emails += 1;
        report.points += sent;
      }
    }
  }
  return report;
}

/** Sends one member's "expiring soon" e-mail when there is something untold; returns the points announced (0: none). */
async function notifyExpiring(trx: Trx, m: MerchantRow, rules: EarningRules, memberId: string, at: Date): Promise<number> {
  await lockNotices(trx, m.id, memberId, "expiring_soon");
  const member = await activeMember(trx, m.id, memberId);
  if (!member) return 0;
  const soon = new Date(at.getTime() + EXPIRING_NOTICE_DAYS * DAY);

  let expiries: Array<{ at: Date; points: number }>;
  let key: string;
  if (rules.expiry.mode === "inactivity") {
    const balance = await trx
      .selectFrom("member_balances")
      .select(["available", "pending", "last_activity_at"])
      .where("merchant_id", "=", m.id)
      .where("member_id", "=", memberId)
      .executeTakeFirst();
    const deadline = balance?.last_activity_at ? inactivityExpiry(rules, balance.last_activity_at) : null;
    const total = (balance?.available ?? 0) + (balance?.pending ?? 0);
    if (!deadline || deadline <= at || deadline > soon || total <= 0) return 0;
    key = `inactivity:${deadline.toISOString()}`;
    expiries = [{ at: deadline, points: total }];
  } else {
    const told = await trx
      .selectFrom("points_notifications")
      .select(sql<Date | null>`max(through_at)`.as("through"))
      .where("merchant_id", "=", m.id)
      .where("member_id", "=", memberId)
      .where("kind", "=", "expiring_soon")
      .executeTakeFirst();
    const lots = await trx
      .selectFrom("point_lots")
      .select(["expires_at", "remaining"])
      .where("merchant_id", "=", m.id)
      .where("member_id", "=", memberId)
      .where("remaining", ">", 0)
      .where("expires_at", ">", at)
      .where("expires_at", "<=", new Date(at.getTime() + EXPIRING_LOOKAHEAD_DAYS * DAY))
      .orderBy("expires_at")
      .execute();
    const through = told?.through ?? null;
    const untold = lots.some((l) => l.expires_at! <= soon && (!through || l.expires_at! > through));
    if (!untold) return 0;
    expiries = lots.map((l) => ({ at: l.expires_at!, points: l.remaining }));
    key = expiries.at(-1)!.at.toISOString();
  }
  const exists = await trx
    .selectFrom("points_notifications")
    .select("dedupe_key")
    .where("merchant_id", "=", m.id)
    .where("member_id", "=", memberId)
    .where("kind", "=", "expiring_soon")
    .where("dedupe_key", "=", key)
    .executeTakeFirst();
  if (exists) return 0;

  const days = new Map<string, { date: string; points: number }>();
  for (const e of expiries) {
    const d = localDay(e.at, m.timezone);
    const g = days.get(d) ?? { date: longDate(e.at, m.timezone), points: 0 };
    g.points += e.points;
    days.set(d, g);
  }
  const total = expiries.reduce((s, e) => s + e.points, 0);
  const balance = await trx
    .selectFrom("member_balances")
    .select("available")
    .where("merchant_id", "=", m.id)
    .where("member_id", "=", memberId)
    .executeTakeFirst();
  const emailId = await enqueueEmail(trx, m.id, {
    template: "points-expiring",
    to: member.email,
    props: {
      memberName: member.name,
      merchantName: m.name,
      portalUrl: portalPoints(m.slug),
      expiries: [...days.values()],
      totalPoints: total,
      available: balance?.available ?? 0,
      inactivity: rules.expiry.mode === "inactivity",
    },
  });
  await trx
    .insertInto("points_notifications")
    .values({
      merchant_id: m.id,
      member_id: memberId,
      kind: "expiring_soon",
      dedupe_key: key,
      points: total,
      through_at: expiries.at(-1)!.at,
      through_journal_id: null,
      email_id: emailId,
      created_at: at,
    })
    .execute();
  return total;
}

async function activeMember(trx: Trx, merchantId: string, memberId: string) {
  const member = await trx
    .selectFrom("members")
    .select(["email", "name", "status"])
    .where("merchant_id", "=", merchantId)
    .where("id", "=", memberId)
    .executeTakeFirst();
  return member?.status === "active" ? { email: String(member.email), name: member.name } : null;
}

// ---- "points earned" digest --------------------------------------------------------------------------------------

/**
 * What a digest counts as earned (journals aliased `j`): every earn journal (orders, events, bonuses) and positive
 * manual adjustments — but not points for historical orders loaded by a CSV import, which are no news to the member.
 */
const earnedJournal = sql<boolean>`(j.kind = 'earn' or (j.kind = 'adjust' and j.points > 0))
  and not exists (select 1 from orders o where o.merchant_id = j.merchant_id and o.id = j.order_id and o.source = 'import')`;

/**
 * One e-mail per member summing up the points earned since their previous digest (never one per order), at most
 * one per local day. The cursor is the last journal a digest included (points_notifications, kind earned_digest).
 */
export async function runEarnedDigest(at: Date = now(), opts: JobOptions = {}): Promise<JobReport> {
  const report = emptyReport();
  const since = new Date(at.getTime() - DIGEST_FIRST_LOOKBACK_DAYS * DAY);
  const until = new Date(at.getTime() - DIGEST_SETTLE_MS);
  for (const m of await merchants(opts)) {
    if (!inSendingHours(at, m.timezone, opts.sendingHours)) continue;
    const candidates = await withTenant(db(), m.id, (trx) =>
      trx
        .selectFrom("ledger_journals as j")
        .select("j.member_id")
        .distinct()
        .where("j.merchant_id", "=", m.id)
        .where(earnedJournal)
        .where("j.created_at", ">", since)
        .where("j.created_at", "<=", until)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom("points_notifications as n")
                .select("n.member_id")
                .where("n.merchant_id", "=", m.id)
                .whereRef("n.member_id", "=", "j.member_id")
                .where("n.kind", "=", "earned_digest")
                .where(sql<boolean>`(n.through_at, n.through_journal_id) >= (j.created_at, j.id)`),
            ),
          ),
        )
        .execute(),
    );
    for (const { member_id } of candidates) {
      const sent = await perMember("points_earned_digest", m.id, member_id, report, (trx) => sendDigest(trx, m, member_id, at));
      if (sent) {
        report.emails += 1;
        report.points += sent;
      }
    }
  }
  return report;
}

async function sendDigest(trx: Trx, m: MerchantRow, memberId: string, at: Date): Promise<number> {
  await lockNotices(trx, m.id, memberId, "earned_digest");
  const member = await activeMember(trx, m.id, memberId);
  if (!member) return 0;
  const last = await trx
    .selectFrom("points_notifications")
    .select(["through_at", "through_journal_id", "created_at"])
    .where("merchant_id", "=", m.id)
    .where("member_id", "=", memberId)
    .where("kind", "=", "earned_digest")
    .orderBy("through_at", "desc")
    .orderBy("through_journal_id", "desc")
    .limit(1)
    .executeTakeFirst();
  if (last && localDay(last.created_at, m.timezone) === localDay(at, m.timezone)) return 0;

  const since = new Date(at.getTime() - DIGEST_FIRST_LOOKBACK_DAYS * DAY);
  const journals = await trx
    .selectFrom("ledger_journals as j")
    .select(["j.id", "j.kind", "j.description", "j.points", "j.reason", "j.created_at"])
    .where("j.merchant_id", "=", m.id)
    .where("j.member_id", "=", memberId)
    .where(earnedJournal)
    .where("j.created_at", ">", since)
    .where("j.created_at", "<=", new Date(at.getTime() - DIGEST_SETTLE_MS))
    .$if(Boolean(last), (q) => q.where(sql<boolean>`(j.created_at, j.id) > (${last!.through_at}, ${last!.through_journal_id})`))
    .orderBy("j.created_at", "desc")
    .orderBy("j.id", "desc")
    .execute();
  const total = journals.reduce((s, j) => s + j.points, 0);
  if (journals.length === 0 || total <= 0) return 0;

  const balance = await getMemberBalance(trx, m.id, memberId);
  const rules = await getEarningRules(trx, m.id);
  const firstPending = pendingByDay(balance.pendingLots, m.timezone)[0];
  const pendingNote =
    balance.pending > 0 && firstPending
      ? `${firstPending.points === balance.pending ? "They become" : `${pointsLabel(firstPending.points)} become`} ${availableOn(firstPending.at, rules.pendingDays, m.timezone, at)}.`
      : null;
  const newest = journals[0]!;
  const emailId = await enqueueEmail(trx, m.id, {
    template: "points-earned",
    to: member.email,
    props: {
      memberName: member.name,
      merchantName: m.name,
      portalUrl: portalPoints(m.slug),
      totalPoints: total,
      lines: journals.slice(0, DIGEST_LINES).map((j) => ({
        date: shortDate(j.created_at, m.timezone, at),
        text: memberHistoryText({ kind: j.kind, description: j.description, points: j.points, availableChange: 0, debtChange: 0, reason: j.reason }),
      })),
      moreCount: Math.max(0, journals.length - DIGEST_LINES),
      available: balance.available,
      pending: balance.pending,
      pendingNote,
    },
  });
  await trx
    .insertInto("points_notifications")
    .values({
      merchant_id: m.id,
      member_id: memberId,
      kind: "earned_digest",
      dedupe_key: newest.id,
      points: total,
      through_at: newest.created_at,
      through_journal_id: newest.id,
      email_id: emailId,
      created_at: at,
    })
    .execute();
  return total;
}
