import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { DomainError } from "~/lib/errors";
import { newId } from "~/lib/ids";
import type { TierProgramInput } from "./types";
import { loadTierProgram } from "./tiers.server";

/** Saving the tier program (settings and ladder) and starting the background re-evaluation of every member. */

export const TIERS_REEVALUATE_TASK = "tiers_reevaluate";

export interface TierJobPayload {
  merchantId: string;
  jobId: string;
}

/**
 * Replaces the merchant's settings and ladder with `input` (tiers lowest first; removed tiers are deleted), audits
 * the change and queues a re-evaluation of every member, returned as a tier_jobs id the admin page polls. Nothing
 * is queued when nothing changed.
 */
export async function saveTierProgram(trx: Trx, merchantId: string, input: TierProgramInput, actor: Actor, at: Date): Promise<{ changed: boolean; jobId: string | null }> {
  const before = await loadTierProgram(trx, merchantId);
  const known = new Set(before.tiers.map((t) => t.id));
  for (const [i, t] of input.tiers.entries()) {
    if (t.id !== null && !known.has(t.id)) throw new DomainError("validation_failed", "This tier no longer exists; reload the page", { field: `tiers[${i}].name` });
  }
  const norm = (p: { settings: TierProgramInput["settings"]; tiers: Array<Omit<TierProgramInput["tiers"][number], "id"> & { id: string | null }> }) =>
    JSON.stringify([
      [p.settings.basis, p.settings.window, p.settings.graceDays, p.settings.downgrade],
      p.tiers.map((t) => [t.id, t.name, t.threshold, t.earningPercent, t.exclusiveAccess, t.birthdayBonus, t.perks]),
    ]);
  const same = norm(before) === norm(input);
  if (same) return { changed: false, jobId: null };

  await trx
    .insertInto("tier_settings")
    .values({
      merchant_id: merchantId,
      basis: input.settings.basis,
      window: input.settings.window,
      grace_days: input.settings.graceDays,
      downgrade: input.settings.downgrade,
      updated_at: at,
      updated_by: actor.id,
    })
    .onConflict((oc) =>
      oc.column("merchant_id").doUpdateSet({
        basis: input.settings.basis,
        window: input.settings.window,
        grace_days: input.settings.graceDays,
        downgrade: input.settings.downgrade,
        updated_at: at,
        updated_by: actor.id,
      }),
    )
    .execute();
  const keep = input.tiers.flatMap((t) => (t.id ? [t.id] : []));
  let del = trx.deleteFrom("tiers").where("merchant_id", "=", merchantId);
  if (keep.length) del = del.where("id", "not in", keep);
  await del.execute();
  // Ranks are unique per merchant but checked at commit, so tiers can swap places here.
  for (const [i, t] of input.tiers.entries()) {
    const values = {
      name: t.name,
      rank: i + 1,
      threshold: t.threshold,
      earning_percent: t.earningPercent,
      exclusive_access: t.exclusiveAccess,
      birthday_bonus: t.birthdayBonus,
      perks: t.perks,
      updated_at: at,
    };
    if (t.id) await trx.updateTable("tiers").set(values).where("merchant_id", "=", merchantId).where("id", "=", t.id).execute();
    else await trx.insertInto("tiers").values({ merchant_id: merchantId, id: newId("tier"), created_at: at, ...values }).execute();
  }
  await recordAudit(trx, merchantId, actor, "tiers.update", { type: "tiers", id: merchantId }, {
    before: { settings: before.settings, tiers: before.tiers },
    after: input,
  });
  const jobId = await queueTierReevaluation(trx, merchantId, actor, at);
  return { changed: true, jobId };
}

/** A tier_jobs row and the graphile-worker job that works through it (same transaction: both or neither). */
export async function queueTierReevaluation(trx: Trx, merchantId: string, actor: Actor, at: Date): Promise<string> {
  const jobId = newId("tierJob");
  await trx.insertInto("tier_jobs").values({ merchant_id: merchantId, id: jobId, created_by: actor.id, created_at: at }).execute();
  await sql`select graphile_worker.add_job(${TIERS_REEVALUATE_TASK}, json_build_object('merchantId', ${merchantId}::text, 'jobId', ${jobId}::text), max_attempts => 5)`.execute(trx);
  return jobId;
}

export interface TierJobView {
  id: string;
  status: "queued" | "running" | "done" | "failed";
  total: number;
  done: number;
  changed: number;
  failed: number;
  createdAt: string;
  finishedAt: string | null;
}

export async function latestTierJob(trx: Trx, merchantId: string): Promise<TierJobView | null> {
  const j = await trx.selectFrom("tier_jobs").selectAll().where("merchant_id", "=", merchantId).orderBy("created_at", "desc").limit(1).executeTakeFirst();
  return j
    ? {
        id: j.id,
        status: j.status,
        total: j.total,
        done: j.done,
        changed: j.changed,
        failed: j.failed,
        createdAt: j.created_at.toISOString(),
        finishedAt: j.finished_at?.toISOString() ?? null,
      }
    : null;
}
