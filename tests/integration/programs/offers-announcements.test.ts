import { runOnce } from "graphile-worker";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, withTenant, type DB } from "~/db.server";
import { jobsLogger } from "~/jobs/worker.server";
import { offersTasks } from "~/jobs/tasks/offers";
import { createAnnouncement, OFFER_ANNOUNCE_TASK, requireAnnouncement, sendAnnouncementBatch } from "~/domain/offers/announcements.server";
import { action as unsubscribeAction, loader as unsubscribeLoader } from "~/routes/p.$merchant_.offers.unsubscribe.$token";
import { ownerUrl, testDb } from "../../support/db";
import { eventsOf, offersFixture, STAFF } from "../../support/offers";

/**
 * Announcement e-mails: only treated members of the segment are e-mailed (never the held-out or outside members),
 * at most `per_minute` per run with the next run queued a minute later, once per member, with an unsubscribe link
 * that opts the member out of later announcements.
 */

let owner: DB;
beforeAll(() => {
  owner = createDb(ownerUrl, { role: null, max: 2 });
});
afterAll(async () => {
  await owner?.destroy();
});

async function emailsTo(merchantId: string) {
  return withTenant(testDb(), merchantId, (trx) =>
    trx.selectFrom("email_outbox").select(["to_address", "text_body"]).where("merchant_id", "=", merchantId).where("template", "=", "offer-announcement").execute(),
  );
}

describe("offer announcements", () => {
  it("e-mail treated members only, rate-limited per minute, once each, honouring unsubscribes", async () => {
    const f = await offersFixture({ members: 20, tagged: 16, holdoutPercent: 40 });
    expect(f.control.length).toBeGreaterThan(0);
    expect(f.treated.length).toBeGreaterThan(3);
    const emailOf = async (ids: string[]) =>
      (await withTenant(testDb(), f.merchant.id, (trx) => trx.selectFrom("members").select("email").where("id", "in", ids).execute())).map((r) => r.email);
    // One treated member unsubscribed earlier.
    const optedOut = f.treated[0]!;
    await withTenant(testDb(), f.merchant.id, (trx) => trx.insertInto("marketing_optouts").values({ merchant_id: f.merchant.id, member_id: optedOut, source: "staff" }).execute());

    const t0 = new Date();
    const a = await withTenant(testDb(), f.merchant.id, (trx) => createAnnouncement(trx, f.merchant.id, f.offer.id, 3, STAFF, t0));
    expect(a.total).toBe(f.treated.length);

    // The real job, once: one minute's worth, and the next run queued a minute later.
    await runOnce({ connectionString: ownerUrl, taskList: offersTasks(), logger: jobsLogger });
    const afterFirst = await withTenant(testDb(), f.merchant.id, (trx) => requireAnnouncement(trx, f.merchant.id, a.id));
    expect(afterFirst.sent + afterFirst.skipped).toBe(3);
    expect(afterFirst.status).toBe("running");
    const next = await sql<{ run_at: Date }>`
      select j.run_at from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
       where t.identifier = ${OFFER_ANNOUNCE_TASK} and j.key = ${`announce:${a.id}`}`.execute(owner);
    expect(next.rows).toHaveLength(1);
    expect(next.rows[0]!.run_at.getTime()).toBeGreaterThanOrEqual(Date.now() + 50_000);

    // The later minutes, and a run after it finished (does nothing).
    let at = new Date(Date.now() + 60_000);
    for (let i = 0; i < 10; i++) {
      const r = await sendAnnouncementBatch(testDb(), f.merchant.id, a.id, at);
      expect(r.sent + r.skipped).toBeLessThanOrEqual(3);
      if (!r.remaining) break;
      at = new Date(at.getTime() + 60_000);
    }
    expect(await sendAnnouncementBatch(testDb(), f.merchant.id, a.id, at)).toEqual({ sent: 0, skipped: 0, remaining: false });
    const done = await withTenant(testDb(), f.merchant.id, (trx) => requireAnnouncement(trx, f.merchant.id, a.id));
    expect(done).toMatchObject({ status: "done", sent: f.treated.length - 1, skipped: 1 });

    const sentTo = (await emailsTo(f.merchant.id)).map((e) => e.to_address).sort();
    expect(sentTo).toEqual((await emailOf(f.treated.filter((m) => m !== optedOut))).sort());
    expect(await eventsOf(f.merchant.id, f.offer.experimentId, [...f.control, ...f.outsiders, optedOut], ["emailed", "seen", "claimed"])).toEqual([]);
    expect((await eventsOf(f.merchant.id, f.offer.experimentId, f.treated, ["emailed"])).length).toBe(f.treated.length - 1);

    // Unsubscribe through the link of one e-mail: GET asks, POST opts out; the next announcement skips the member.
    const email = (await emailsTo(f.merchant.id))[0]!;
    const link = /\/offers\/unsubscribe\/([a-z2-7]+)/.exec(email.text_body)!;
    const params = { merchant: f.merchant.slug, token: link[1]! };
    const req = (method: string) => new Request(`http://localhost:3000/p/${f.merchant.slug}/offers/unsubscribe/${link[1]}`, { method, headers: { Origin: "http://localhost:3000" } });
    expect(await unsubscribeLoader({ request: req("GET"), params, context: {} })).toMatchObject({ valid: true });
    expect(await unsubscribeAction({ request: req("POST"), params, context: {} })).toEqual({ done: true });
    expect(await unsubscribeAction({ request: req("POST"), params: { ...params, token: "a".repeat(32) }, context: {} })).toEqual({ done: false });

    const b = await withTenant(testDb(), f.merchant.id, (trx) => createAnnouncement(trx, f.merchant.id, f.offer.id, 1000, STAFF, new Date()));
    await sendAnnouncementBatch(testDb(), f.merchant.id, b.id, new Date());
    const second = await withTenant(testDb(), f.merchant.id, (trx) => requireAnnouncement(trx, f.merchant.id, b.id));
    expect(second).toMatchObject({ status: "done", sent: f.treated.length - 2, skipped: 2 });
    expect((await emailsTo(f.merchant.id)).filter((e) => e.to_address === email.to_address)).toHaveLength(1);
  });
});
