import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { assignMany, createExperiment, type Experiment, getExperiment } from "~/domain/experiments/assignment.server";
import { segmentMemberIds } from "~/domain/segments/compile.server";
import { requireSegment } from "~/domain/segments/segments.server";
import { DomainError, notFound } from "~/lib/errors";
import { newId } from "~/lib/ids";
import { wallTimeIn, zonedTimeToUtc } from "~/lib/time-zone";
import type { OfferForm } from "./schemas";

export interface Offer {
  id: string;
  title: string;
  description: string;
  imageUrl: string | null;
  kind: "reward" | "multiplier";
  rewardId: string | null;
  rewardName: string | null;
  multiplierPercent: number | null;
  multiplierDays: number | null;
  segmentId: string;
  startsAt: Date;
  endsAt: Date;
  stockTotal: number | null;
  claimedCount: number;
  experimentId: string;
  holdoutBps: number;
  status: "active" | "archived";
  createdAt: Date;
}

const offerQuery = (trx: Trx, merchantId: string) =>
  trx
    .selectFrom("offers as o")
    .innerJoin("experiments as e", (j) => j.onRef("e.merchant_id", "=", "o.merchant_id").onRef("e.id", "=", "o.experiment_id"))
    .leftJoin("rewards as r", (j) => j.onRef("r.merchant_id", "=", "o.merchant_id").onRef("r.id", "=", "o.reward_id"))
    .selectAll("o")
    .select(["e.holdout_bps", "r.name as reward_name"])
    .where("o.merchant_id", "=", merchantId);

type OfferRow = Awaited<ReturnType<ReturnType<typeof offerQuery>["executeTakeFirstOrThrow"]>>;

const toOffer = (r: OfferRow): Offer => ({
  id: r.id,
  title: r.title,
  description: r.description,
  imageUrl: r.image_url,
  kind: r.kind,
  rewardId: r.reward_id,
  rewardName: r.reward_name,
  multiplierPercent: r.multiplier_percent,
  multiplierDays: r.multiplier_days,
  segmentId: r.segment_id,
  startsAt: r.starts_at,
  endsAt: r.ends_at,
  stockTotal: r.stock_total,
  claimedCount: r.claimed_count,
  experimentId: r.experiment_id,
  holdoutBps: r.holdout_bps,
  status: r.status,
  createdAt: r.created_at,
});

export async function listOffers(trx: Trx, merchantId: string): Promise<Offer[]> {
  const rows = await offerQuery(trx, merchantId).orderBy("o.created_at", "desc").limit(500).execute();
  return rows.map(toOffer);
}

export async function getOffer(trx: Trx, merchantId: string, offerId: string): Promise<Offer | null> {
  const row = await offerQuery(trx, merchantId).where("o.id", "=", offerId).executeTakeFirst();
  return row ? toOffer(row) : null;
}

export async function requireOffer(trx: Trx, merchantId: string, offerId: string): Promise<Offer> {
  const o = await getOffer(trx, merchantId, offerId);
  if (!o) throw notFound("Offer");
  return o;
}

/** "YYYY-MM-DDTHH:mm" on the merchant's clock → the instant. */
export function localToInstant(local: string, timeZone: string): Date {
  const [date, time] = local.split("T") as [string, string];
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  const [hour, minute, second] = time.split(":").map(Number) as [number, number, number?];
  return zonedTimeToUtc({ year, month, day, hour, minute, second: second ?? 0 }, timeZone);
}

/** Rewards an offer or gift can grant: the merchant's active catalog. */
export async function grantableRewards(trx: Trx, merchantId: string): Promise<Array<{ id: string; name: string }>> {
  return trx.selectFrom("rewards").select(["id", "name"]).where("merchant_id", "=", merchantId).where("status", "=", "active").orderBy("name").limit(500).execute();
}

export async function requireGrantableReward(trx: Trx, merchantId: string, rewardId: string): Promise<void> {
  const r = await trx.selectFrom("rewards").select("id").where("merchant_id", "=", merchantId).where("id", "=", rewardId).where("status", "=", "active").executeTakeFirst();
  if (!r) throw new DomainError("validation_failed", "Choose an active reward from the catalog", { field: "rewardId" });
}

async function requireSegmentField(trx: Trx, merchantId: string, segmentId: string) {
  try {
    return await requireSegment(trx, merchantId, segmentId);
  } catch {
    throw new DomainError("validation_failed", "Choose one of your segments", { field: "segmentId" });
  }
}

/**
 * Draws every member now in the experiment's segment into treatment or control (sticky; members already drawn keep
 * their arm) and records their eligibility. Runs before anything about the offer or gift is shown or sent.
 * One INSERT … SELECT each, whatever the segment's size.
 */
export async function assignSegment(trx: Trx, merchantId: string, experiment: Experiment, segmentId: string, at: Date): Promise<number> {
  const segment = await requireSegment(trx, merchantId, segmentId);
  const ids = segmentMemberIds(merchantId, segment.rule, at);
  const assigned = await assignMany(trx, merchantId, experiment, ids);
  await sql`
    insert into experiment_events (merchant_id, experiment_id, member_id, kind, first_at, last_at)
    select ${merchantId}, ${experiment.id}, q.id, 'eligible', ${at}, ${at} from (${ids}) q
    on conflict do nothing`.execute(trx);
  return assigned;
}

export async function createOffer(trx: Trx, merchant: { id: string; timezone: string }, form: OfferForm, actor: Actor, at: Date): Promise<Offer> {
  const id = await insertOffer(trx, merchant, form, actor.id, at);
  await recordAudit(trx, merchant.id, actor, "offer.created", { type: "offer", id }, { after: form });
  return requireOffer(trx, merchant.id, id);
}

/** createOffer without its audit entry, for the demo seed (whose one audit entry records the whole seeding). */
export async function insertOffer(trx: Trx, merchant: { id: string; timezone: string }, form: OfferForm, createdBy: string | null, at: Date): Promise<string> {
  await requireSegmentField(trx, merchant.id, form.segmentId);
  if (form.kind === "reward") await requireGrantableReward(trx, merchant.id, form.rewardId!);
  const id = newId("offer");
  const experiment = await createExperiment(trx, merchant.id, {
    kind: "offer",
    subjectId: id,
    name: `Offer: ${form.title}`,
    holdoutBps: form.holdoutPercent * 100,
    createdBy,
  });
  await trx
    .insertInto("offers")
    .values({
      merchant_id: merchant.id,
      id,
      title: form.title,
      description: form.description,
      image_url: form.imageUrl,
      kind: form.kind,
      reward_id: form.kind === "reward" ? form.rewardId : null,
      multiplier_percent: form.kind === "multiplier" ? form.multiplierPercent! : null,
      multiplier_days: form.kind === "multiplier" ? form.multiplierDays! : null,
      segment_id: form.segmentId,
      starts_at: localToInstant(form.startsAt, merchant.timezone),
      ends_at: localToInstant(form.endsAt, merchant.timezone),
      stock_total: form.stockTotal ?? null,
      experiment_id: experiment.id,
      created_by: createdBy,
    })
    .execute();
  await assignSegment(trx, merchant.id, experiment, form.segmentId, at);
  return id;
}

/** Edits an offer. What it grants and its holdout are fixed once created (members were drawn with that share). */
export async function updateOffer(
  trx: Trx,
  merchant: { id: string; timezone: string },
  offerId: string,
  form: OfferForm & { status?: "active" | "archived" },
  actor: Actor,
  at: Date,
): Promise<Offer> {
  const before = await requireOffer(trx, merchant.id, offerId);
  await requireSegmentField(trx, merchant.id, form.segmentId);
  if (form.stockTotal !== undefined && form.stockTotal < before.claimedCount) {
    throw new DomainError("validation_failed", `Stock cannot be below the ${before.claimedCount} already claimed`, { field: "stockTotal" });
  }
  await trx
    .updateTable("offers")
    .set({
      title: form.title,
      description: form.description,
      image_url: form.imageUrl,
      segment_id: form.segmentId,
      starts_at: localToInstant(form.startsAt, merchant.timezone),
      ends_at: localToInstant(form.endsAt, merchant.timezone),
      stock_total: form.stockTotal ?? null,
      status: form.status ?? before.status,
      updated_at: at,
    })
    .where("merchant_id", "=", merchant.id)
    .where("id", "=", offerId)
    .execute();
  const experiment = await getExperiment(trx, merchant.id, before.experimentId);
  if (experiment && form.segmentId !== before.segmentId) await assignSegment(trx, merchant.id, experiment, form.segmentId, at);
  await recordAudit(trx, merchant.id, actor, "offer.updated", { type: "offer", id: offerId }, { before, after: form });
  return requireOffer(trx, merchant.id, offerId);
}

export interface ExperimentCounts {
  eligible: number;
  treated: number;
  control: number;
  seen: number;
  emailed: number;
  claimed: number;
}

/** Eligibility, assignment, exposure and claims of one offer's or gift's experiment. */
export async function experimentCounts(trx: Trx, merchantId: string, experimentId: string): Promise<ExperimentCounts> {
  const res = await sql<{ k: string; n: number }>`
    select r.is_control::text as k, count(*)::int as n
      from experiment_assignments a
      join experiment_arms r on r.merchant_id = a.merchant_id and r.experiment_id = a.experiment_id and r.arm = a.arm
     where a.merchant_id = ${merchantId} and a.experiment_id = ${experimentId}
     group by r.is_control
    union all
    select e.kind, count(*)::int from experiment_events e
     where e.merchant_id = ${merchantId} and e.experiment_id = ${experimentId}
     group by e.kind`.execute(trx);
  const by = Object.fromEntries(res.rows.map((r) => [r.k, r.n]));
  return {
    eligible: by.eligible ?? 0,
    treated: by.false ?? 0,
    control: by.true ?? 0,
    seen: by.seen ?? 0,
    emailed: by.emailed ?? 0,
    claimed: by.claimed ?? 0,
  };
}

/** The instant as "YYYY-MM-DDTHH:mm" on the merchant's clock (a datetime-local field's value). */
export function instantToLocal(at: Date, timeZone: string): string {
  const w = wallTimeIn(at, timeZone);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${w.year}-${p(w.month)}-${p(w.day)}T${p(w.hour)}:${p(w.minute)}`;
}
