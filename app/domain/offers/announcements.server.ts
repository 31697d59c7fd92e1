import { sql } from "kysely";
import { generateSecret, hashSecret } from "~/auth/tokens.server";
import { withTenant, type DB, type Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { getExperiment, recordExperimentEvent } from "~/domain/experiments/assignment.server";
import { enqueueEmail } from "~/domain/email/outbox.server";
import { portalUrl } from "~/domain/members/accounts.server";
import { segmentMemberIds } from "~/domain/segments/compile.server";
import { requireSegment } from "~/domain/segments/segments.server";
import { DomainError, notFound } from "~/lib/errors";
import { newId } from "~/lib/ids";
import type { JobStatus } from "~db/schema";
import { assignSegment, requireOffer } from "./offers.server";

/**
 * Announcement e-mails: an offer announced to the treated members of its segment by a rate-limited job. Each run
 * of the job sends at most `per_minute` e-mails and, when members remain, queues the next run a minute after it
 * started. One announcement_recipients row per member makes it idempotent (a re-run skips them); members who
 * unsubscribed are recorded as skipped and never e-mailed. Held-out members are never candidates.
 */

export const OFFER_ANNOUNCE_TASK = "offers_announce";
const ANNOUNCE_MAX_ATTEMPTS = 10;
const MINUTE_MS = 60_000;

export interface Announcement {
  id: string;
  offerId: string;
  perMinute: number;
  status: JobStatus;
  total: number;
  sent: number;
  skipped: number;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

type Row = { id: string; offer_id: string; per_minute: number; status: JobStatus; total: number; sent: number; skipped: number; error: string | null; created_at: Date; finished_at: Date | null };
const toAnnouncement = (r: Row): Announcement => ({
  id: r.id,
  offerId: r.offer_id,
  perMinute: r.per_minute,
  status: r.status,
  total: r.total,
  sent: r.sent,
  skipped: r.skipped,
  error: r.error,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

export async function listAnnouncements(trx: Trx, merchantId: string, offerId: string): Promise<Announcement[]> {
  const rows = await trx.selectFrom("offer_announcements").selectAll().where("merchant_id", "=", merchantId).where("offer_id", "=", offerId).orderBy("created_at", "desc").limit(50).execute();
  return rows.map(toAnnouncement);
}

export async function requireAnnouncement(trx: Trx, merchantId: string, id: string): Promise<Announcement> {
  const row = await trx.selectFrom("offer_announcements").selectAll().where("merchant_id", "=", merchantId).where("id", "=", id).executeTakeFirst();
  if (!row) throw notFound("Announcement");
  return toAnnouncement(row);
}

async function queueRun(trx: Trx, merchantId: string, announcementId: string, runAt: Date): Promise<void> {
  await sql`
    select graphile_worker.add_job(${OFFER_ANNOUNCE_TASK}, json_build_object('merchantId', ${merchantId}::text, 'announcementId', ${announcementId}::text),
      run_at => ${runAt}::timestamptz, max_attempts => ${ANNOUNCE_MAX_ATTEMPTS}::int, job_key => ${`announce:${announcementId}`}::text)`.execute(trx);
}

/**
 * The members still to be reached: treated in the offer's experiment, in its segment now, and without a recipient
 * row for this announcement.
 */
function pendingRecipients(merchantId: string, announcementId: string, experimentId: string, segmentIds: ReturnType<typeof sql>) {
  return sql`
    select q.id as member_id from (${segmentIds}) q
      join experiment_assignments a on a.merchant_id = ${merchantId} and a.experiment_id = ${experimentId} and a.member_id = q.id
      join experiment_arms r on r.merchant_id = a.merchant_id and r.experiment_id = a.experiment_id and r.arm = a.arm and not r.is_control
     where not exists (select 1 from announcement_recipients x
                        where x.merchant_id = ${merchantId} and x.announcement_id = ${announcementId} and x.member_id = q.id)`;
}

export async function createAnnouncement(trx: Trx, merchantId: string, offerId: string, perMinute: number, actor: Actor, at: Date): Promise<Announcement> {
  const offer = await requireOffer(trx, merchantId, offerId);
  if (offer.status !== "active" || offer.endsAt <= at) throw new DomainError("offer_not_running", "Only an active offer that has not ended can be announced");
  const experiment = await getExperiment(trx, merchantId, offer.experimentId);
  if (!experiment) throw notFound("Offer experiment");
  // Decide who is held out before anyone is e-mailed (members who joined the segment since the offer was created).
  await assignSegment(trx, merchantId, experiment, offer.segmentId, at);
  const id = newId("announcement");
  await trx.insertInto("offer_announcements").values({ merchant_id: merchantId, id, offer_id: offerId, per_minute: perMinute, created_by: actor.id }).execute();
  const segment = await requireSegment(trx, merchantId, offer.segmentId);
  await sql`update offer_announcements set total = (select count(*) from (${pendingRecipients(merchantId, id, experiment.id, segmentMemberIds(merchantId, segment.rule, at))}) p)
             where merchant_id = ${merchantId} and id = ${id}`.execute(trx);
  await queueRun(trx, merchantId, id, at);
  await recordAudit(trx, merchantId, actor, "offer.announced", { type: "offer", id: offerId }, { after: { announcementId: id, perMinute } });
  return requireAnnouncement(trx, merchantId, id);
}

const dateFormat = (at: Date, timeZone: string) => new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "short", day: "numeric" }).format(at);

/**
 * Sends one rate-limited batch (at most `per_minute` e-mails) and returns whether members remain. The announcement
 * row is locked for the batch, so two runs never send the same batch. Callers (the job) queue the next run.
 */
export async function sendAnnouncementBatch(database: DB, merchantId: string, announcementId: string, at: Date): Promise<{ sent: number; skipped: number; remaining: boolean }> {
  return withTenant(database, merchantId, async (trx) => {
    const row = await trx.selectFrom("offer_announcements").selectAll().where("merchant_id", "=", merchantId).where("id", "=", announcementId).forUpdate().executeTakeFirst();
    if (!row || row.status === "done" || row.status === "failed") return { sent: 0, skipped: 0, remaining: false };
    const offer = await requireOffer(trx, merchantId, row.offer_id);
    const merchant = await trx.selectFrom("merchants").select(["name", "slug", "timezone"]).where("id", "=", merchantId).executeTakeFirstOrThrow();
    const segment = await requireSegment(trx, merchantId, offer.segmentId);
    const pending = pendingRecipients(merchantId, announcementId, offer.experimentId, segmentMemberIds(merchantId, segment.rule, at));
    const batch = await sql<{ member_id: string; email: string; name: string | null; opted_out: boolean }>`
      select p.member_id, m.email::text as email, m.name,
             exists (select 1 from marketing_optouts o where o.merchant_id = m.merchant_id and o.member_id = m.id) as opted_out
        from (${pending}) p join members m on m.merchant_id = ${merchantId} and m.id = p.member_id
       order by p.member_id limit ${row.per_minute + 1}`.execute(trx);
    const now = batch.rows.slice(0, row.per_minute);
    let sent = 0;
    let skipped = 0;
    const portal = portalUrl(merchant.slug);
    for (const m of now) {
      if (m.opted_out) {
        await trx.insertInto("announcement_recipients").values({ merchant_id: merchantId, announcement_id: announcementId, member_id: m.member_id, status: "skipped_optout" }).execute();
        skipped++;
        continue;
      }
      const secret = generateSecret();
      const emailId = await enqueueEmail(trx, merchantId, {
        template: "offer-announcement",
        to: m.email,
        props: {
          memberName: m.name,
          merchantName: merchant.name,
          title: offer.title,
          description: offer.description,
          imageUrl: offer.imageUrl,
          endsOn: `Ends ${dateFormat(offer.endsAt, merchant.timezone)}`,
          offerUrl: `${portal}/offers/${offer.id}`,
          unsubscribeUrl: `${portal}/offers/unsubscribe/${secret}`,
        },
      });
      await trx
        .insertInto("announcement_recipients")
        .values({ merchant_id: merchantId, announcement_id: announcementId, member_id: m.member_id, status: "sent", email_id: emailId, unsubscribe_hash: hashSecret(secret) })
        .execute();
      await recordExperimentEvent(trx, merchantId, offer.experimentId, m.member_id, "emailed", at);
      sent++;
    }
    const remaining = batch.rows.length > row.per_minute;
    await sql`
      update offer_announcements set
        sent = sent + ${sent}, skipped = skipped + ${skipped},
        total = greatest(total, sent + ${sent} + skipped + ${skipped}),
        status = ${remaining ? "running" : "done"},
        started_at = coalesce(started_at, ${at}),
        finished_at = ${remaining ? null : at}
       where merchant_id = ${merchantId} and id = ${announcementId}`.execute(trx);
    if (remaining) await queueRun(trx, merchantId, announcementId, new Date(at.getTime() + MINUTE_MS));
    return { sent, skipped, remaining };
  });
}

export async function failAnnouncement(database: DB, merchantId: string, announcementId: string, message: string): Promise<void> {
  await withTenant(database, merchantId, (trx) =>
    trx.updateTable("offer_announcements").set({ status: "failed", error: message.slice(0, 500), finished_at: new Date() }).where("merchant_id", "=", merchantId).where("id", "=", announcementId).execute(),
  );
}

/** Follows an unsubscribe link: the member opts out of offer e-mails. Null when the token is unknown. */
export async function unsubscribeByToken(trx: Trx, merchantId: string, secret: string): Promise<{ memberId: string } | null> {
  if (!/^[a-z2-7]{16,64}$/.test(secret)) return null;
  const row = await trx
    .selectFrom("announcement_recipients")
    .select("member_id")
    .where("merchant_id", "=", merchantId)
    .where("unsubscribe_hash", "=", hashSecret(secret))
    .executeTakeFirst();
  if (!row) return null;
  await trx
    .insertInto("marketing_optouts")
    .values({ merchant_id: merchantId, member_id: row.member_id, source: "unsubscribe_link" })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return { memberId: row.member_id };
}

/** Whether the unsubscribe token is valid (the page asks for confirmation before opting out). */
export async function unsubscribeTokenValid(trx: Trx, merchantId: string, secret: string): Promise<boolean> {
  if (!/^[a-z2-7]{16,64}$/.test(secret)) return false;
  const row = await trx.selectFrom("announcement_recipients").select("member_id").where("merchant_id", "=", merchantId).where("unsubscribe_hash", "=", hashSecret(secret)).executeTakeFirst();
  return !!row;
}
