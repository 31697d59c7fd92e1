import { sql } from "kysely";
import { withTenant, type DB, type Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { createExperiment, recordExperimentEvent } from "~/domain/experiments/assignment.server";
import { DomainError, notFound } from "~/lib/errors";
import { newId } from "~/lib/ids";
import type { JobStatus } from "~db/schema";
import { assignSegment, requireGrantableReward } from "./offers.server";
import type { GrantReward } from "./ports.server";
import type { GiftForm } from "./schemas";
import { requireSegment } from "~/domain/segments/segments.server";

/**
 * Surprise gifts: one reward granted to every treated member of a segment, by a background job with progress.
 * Recipients are fixed when the gift is created: the segment's members at that moment are drawn into treatment or
 * control (sticky), and the job grants to the treated ones only. Each grant is idempotent per member (grantReward's
 * key `gift:<giftId>:<memberId>` and one gift_grants row per member), so a re-run or a concurrent run grants nobody twice.
 */

export const SURPRISE_GIFT_TASK = "offers_surprise_gift";
const GIFT_MAX_ATTEMPTS = 10;

export interface SurpriseGift {
  id: string;
  name: string;
  rewardId: string;
  rewardName: string | null;
  segmentId: string;
  experimentId: string;
  holdoutBps: number;
  status: JobStatus;
  total: number;
  done: number;
  failed: number;
  error: string | null;
  createdAt: Date;
  finishedAt: Date | null;
}

const giftQuery = (trx: Trx, merchantId: string) =>
  trx
    .selectFrom("surprise_gifts as g")
    .innerJoin("experiments as e", (j) => j.onRef("e.merchant_id", "=", "g.merchant_id").onRef("e.id", "=", "g.experiment_id"))
    .leftJoin("rewards as r", (j) => j.onRef("r.merchant_id", "=", "g.merchant_id").onRef("r.id", "=", "g.reward_id"))
    .selectAll("g")
    .select(["e.holdout_bps", "r.name as reward_name"])
    .where("g.merchant_id", "=", merchantId);
type GiftRow = Awaited<ReturnType<ReturnType<typeof giftQuery>["executeTakeFirstOrThrow"]>>;

const toGift = (r: GiftRow): SurpriseGift => ({
  id: r.id,
  name: r.name,
  rewardId: r.reward_id,
  rewardName: r.reward_name,
  segmentId: r.segment_id,
  experimentId: r.experiment_id,
  holdoutBps: r.holdout_bps,
  status: r.status,
  total: r.total,
  done: r.done,
  failed: r.failed,
  error: r.error,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

export async function listGifts(trx: Trx, merchantId: string): Promise<SurpriseGift[]> {
  return (await giftQuery(trx, merchantId).orderBy("g.created_at", "desc").limit(200).execute()).map(toGift);
}

export async function requireGift(trx: Trx, merchantId: string, giftId: string): Promise<SurpriseGift> {
  const row = await giftQuery(trx, merchantId).where("g.id", "=", giftId).executeTakeFirst();
  if (!row) throw notFound("Surprise gift");
  return toGift(row);
}

/** The members a gift goes to: its experiment's treated members. */
const treatedMembers = (merchantId: string, experimentId: string) => sql`
  select a.member_id from experiment_assignments a
    join experiment_arms r on r.merchant_id = a.merchant_id and r.experiment_id = a.experiment_id and r.arm = a.arm
   where a.merchant_id = ${merchantId} and a.experiment_id = ${experimentId} and not r.is_control`;

/** Creates the gift, draws the holdout over the segment's members now, and queues the job (all in `trx`). */
export async function createSurpriseGift(trx: Trx, merchantId: string, form: GiftForm, actor: Actor, at: Date): Promise<SurpriseGift> {
  try {
    await requireSegment(trx, merchantId, form.segmentId);
  } catch {
    throw new DomainError("validation_failed", "Choose one of your segments", { field: "segmentId" });
  }
  await requireGrantableReward(trx, merchantId, form.rewardId);
  const id = newId("gift");
  const experiment = await createExperiment(trx, merchantId, {
    kind: "surprise_gift",
    subjectId: id,
    name: `Surprise gift: ${form.name}`,
    holdoutBps: form.holdoutPercent * 100,
    createdBy: actor.id,
  });
  await trx
    .insertInto("surprise_gifts")
    .values({ merchant_id: merchantId, id, name: form.name, reward_id: form.rewardId, segment_id: form.segmentId, experiment_id: experiment.id, created_by: actor.id })
    .execute();
  await assignSegment(trx, merchantId, experiment, form.segmentId, at);
  await sql`update surprise_gifts set total = (select count(*) from (${treatedMembers(merchantId, experiment.id)}) t)
             where merchant_id = ${merchantId} and id = ${id}`.execute(trx);
  await sql`
    select graphile_worker.add_job(${SURPRISE_GIFT_TASK}, json_build_object('merchantId', ${merchantId}::text, 'giftId', ${id}::text),
      max_attempts => ${GIFT_MAX_ATTEMPTS}::int, job_key => ${`gift:${id}`}::text)`.execute(trx);
  await recordAudit(trx, merchantId, actor, "surprise_gift.created", { type: "surprise_gift", id }, { after: form });
  return requireGift(trx, merchantId, id);
}

async function grantOne(database: DB, merchantId: string, gift: SurpriseGift, memberId: string, actor: Actor, grantReward: GrantReward): Promise<void> {
  try {
    await withTenant(database, merchantId, async (trx) => {
      // Two runs of the same gift (a retry racing a slow first attempt) meet here and take turns per member.
      await sql`select pg_advisory_xact_lock(hashtextextended(${`gift:${gift.id}:${memberId}`}, 0))`.execute(trx);
      const exists = await trx
        .selectFrom("gift_grants")
        .select("status")
        .where("merchant_id", "=", merchantId)
        .where("gift_id", "=", gift.id)
        .where("member_id", "=", memberId)
        .executeTakeFirst();
      if (exists) return;
      const granted = await grantReward(trx, merchantId, {
        memberId,
        rewardId: gift.rewardId,
        idempotencyKey: `gift:${gift.id}:${memberId}`,
        source: "gift",
        chargePoints: false,
        actor,
        sourceId: gift.id,
      });
      await trx
        .insertInto("gift_grants")
        .values({ merchant_id: merchantId, gift_id: gift.id, member_id: memberId, status: "granted", redemption_id: granted.redemptionId })
        .execute();
      // For a gift, receiving it is its claim.
      await recordExperimentEvent(trx, merchantId, gift.experimentId, memberId, "claimed");
    });
  } catch (err) {
    // An expected refusal (reward out of stock, member not eligible) is this member's outcome, not the job's failure.
    if (!(err instanceof DomainError)) throw err;
    await withTenant(database, merchantId, (trx) =>
      trx
        .insertInto("gift_grants")
        .values({ merchant_id: merchantId, gift_id: gift.id, member_id: memberId, status: "failed", error: `${err.code}: ${err.message}`.slice(0, 500) })
        .onConflict((oc) => oc.doNothing())
        .execute(),
    );
  }
}

async function refreshProgress(trx: Trx, merchantId: string, giftId: string): Promise<void> {
  await sql`
    update surprise_gifts g set
      done = (select count(*) from gift_grants x where x.merchant_id = g.merchant_id and x.gift_id = g.id and x.status = 'granted'),
      failed = (select count(*) from gift_grants x where x.merchant_id = g.merchant_id and x.gift_id = g.id and x.status = 'failed')
     where g.merchant_id = ${merchantId} and g.id = ${giftId}`.execute(trx);
}

/**
 * Grants the gift to every treated member who has no grant row yet, in batches, updating progress as it goes.
 * `grantReward` is the rewards program's, passed in by the flow flows/gifts.server.ts.
 */
export async function runSurpriseGift(database: DB, merchantId: string, giftId: string, grantReward: GrantReward, opts: { batchSize?: number } = {}): Promise<SurpriseGift> {
  const batchSize = opts.batchSize ?? 200;
  const gift = await withTenant(database, merchantId, async (trx) => {
    const g = await requireGift(trx, merchantId, giftId);
    if (g.status === "queued") await trx.updateTable("surprise_gifts").set({ status: "running", started_at: new Date() }).where("merchant_id", "=", merchantId).where("id", "=", giftId).execute();
    return g;
  });
  if (gift.status === "done") return gift;
  const actor: Actor = { type: "system", id: null };
  for (;;) {
    const batch = await withTenant(database, merchantId, async (trx) => {
      const res = await sql<{ member_id: string }>`
        select t.member_id from (${treatedMembers(merchantId, gift.experimentId)}) t
         where not exists (select 1 from gift_grants x where x.merchant_id = ${merchantId} and x.gift_id = ${giftId} and x.member_id = t.member_id)
         order by t.member_id limit ${batchSize}`.execute(trx);
      return res.rows.map((r) => r.member_id);
    });
    if (!batch.length) break;
    for (const memberId of batch) await grantOne(database, merchantId, gift, memberId, actor, grantReward);
    await withTenant(database, merchantId, (trx) => refreshProgress(trx, merchantId, giftId));
  }
  return withTenant(database, merchantId, async (trx) => {
    await refreshProgress(trx, merchantId, giftId);
    await trx
      .updateTable("surprise_gifts")
      .set({ status: "done", finished_at: new Date() })
      .where("merchant_id", "=", merchantId)
      .where("id", "=", giftId)
      .where("status", "<>", "done")
      .execute();
    return requireGift(trx, merchantId, giftId);
  });
}

/** Marks a gift failed after its job's last attempt, so the admin page stops waiting. */
export async function failSurpriseGift(database: DB, merchantId: string, giftId: string, message: string): Promise<void> {
  await withTenant(database, merchantId, (trx) =>
    trx.updateTable("surprise_gifts").set({ status: "failed", error: message.slice(0, 500), finished_at: new Date() }).where("merchant_id", "=", merchantId).where("id", "=", giftId).execute(),
  );
}
