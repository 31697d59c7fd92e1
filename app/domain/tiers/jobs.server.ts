import { now } from "~/lib/clock.server";
import { db, withTenant } from "~/db.server";
import { wallTimeIn } from "~/lib/time-zone";
import { loadTierProgram, reevaluateMemberTier, type EvaluateOptions } from "./tiers.server";

/**
 * Scheduled and background tier work. Each member is evaluated in its own tenant transaction (a failure is logged,
 * counted and retried on the next run); evaluation is idempotent, so runs may repeat or overlap.
 */

const PAGE = 500;

export interface TierRunReport {
  members: number;
  changed: number;
  failed: number;
  emails: number;
}

/** Every member of a merchant, page by page, re-evaluated at `at`; `progress` after each page. */
async function evaluateAll(merchantId: string, at: Date, opts: EvaluateOptions, progress?: (r: TierRunReport) => Promise<void>): Promise<TierRunReport> {
  const report: TierRunReport = { members: 0, changed: 0, failed: 0, emails: 0 };
  const program = await withTenant(db(), merchantId, (trx) => loadTierProgram(trx, merchantId));
  let after = "";
  for (;;) {
    const page = await withTenant(db(), merchantId, (trx) =>
      trx.selectFrom("members").select("id").where("merchant_id", "=", merchantId).where("id", ">", after).orderBy("id").limit(PAGE).execute(),
    );
    for (const m of page) {
      report.members += 1;
      try {
        const r = await withTenant(db(), merchantId, (trx) => reevaluateMemberTier(trx, merchantId, m.id, at, { ...opts, program }));
        if (r.changed) report.changed += 1;
        report.emails += r.emails;
      } catch (err) {
        report.failed += 1;
        console.error(`[jobs] tiers: member ${m.id} of merchant ${merchantId} failed (retried next run): ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    await progress?.(report);
    if (page.length < PAGE) break;
    after = page.at(-1)!.id;
  }
  return report;
}

/**
 * The nightly pass: downgrades due at period ends (after grace), pins that ended, "at risk" e-mails, and members
 * whose rolling window moved on. `localHour` limits the run to merchants whose local clock is in that hour, so an
 * hourly cron does each merchant once a day just after its local midnight (when calendar years turn).
 */
export async function runNightlyTiers(at: Date = now(), opts: { merchantIds?: readonly string[]; localHour?: number } = {}): Promise<TierRunReport> {
  const total: TierRunReport = { members: 0, changed: 0, failed: 0, emails: 0 };
  if (opts.merchantIds?.length === 0) return total;
  let q = db().selectFrom("merchants").select(["id", "timezone"]).orderBy("id");
  if (opts.merchantIds) q = q.where("id", "in", [...opts.merchantIds]);
  for (const m of await q.execute()) {
    if (opts.localHour !== undefined && wallTimeIn(at, m.timezone).hour !== opts.localHour) continue;
    try {
      const hasTiers = await withTenant(db(), m.id, async (trx) => {
        const t = await trx.selectFrom("tiers").select("id").where("merchant_id", "=", m.id).limit(1).executeTakeFirst();
        const held = await trx.selectFrom("member_tiers").select("member_id").where("merchant_id", "=", m.id).where("tier_id", "is not", null).limit(1).executeTakeFirst();
        return t !== undefined || held !== undefined;
      });
      if (!hasTiers) continue;
      const r = await evaluateAll(m.id, at, {});
      total.members += r.members;
      total.changed += r.changed;
      total.failed += r.failed;
      total.emails += r.emails;
    } catch (err) {
      console.error(`[jobs] tiers_nightly: skipped merchant ${m.id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return total;
}

/**
 * The re-evaluation after a definition change, with progress in its tier_jobs row. A finished job is not run again;
 * a retried one starts over (evaluation is idempotent) and overwrites the counters.
 */
export async function runTierReevaluation(merchantId: string, jobId: string, at: Date = now()): Promise<TierRunReport | null> {
  const job = await withTenant(db(), merchantId, (trx) => trx.selectFrom("tier_jobs").selectAll().where("merchant_id", "=", merchantId).where("id", "=", jobId).executeTakeFirst());
  if (!job || job.status === "done") return null;
  const total = await withTenant(db(), merchantId, async (trx) => {
    const c = await trx.selectFrom("members").select((eb) => eb.fn.countAll<string>().as("n")).where("merchant_id", "=", merchantId).executeTakeFirstOrThrow();
    await trx
      .updateTable("tier_jobs")
      .set({ status: "running", total: Number(c.n), done: 0, changed: 0, failed: 0, started_at: at })
      .where("merchant_id", "=", merchantId)
      .where("id", "=", jobId)
      .execute();
    return Number(c.n);
  });
  const update = (r: TierRunReport, status: "running" | "done") =>
    withTenant(db(), merchantId, (trx) =>
      trx
        .updateTable("tier_jobs")
        .set({
          status,
          done: Math.min(r.members, Math.max(total, r.members)),
          total: Math.max(total, r.members),
          changed: r.changed,
          failed: r.failed,
          ...(status === "done" ? { finished_at: now() } : {}),
        })
        .where("merchant_id", "=", merchantId)
        .where("id", "=", jobId)
        .execute(),
    );
  try {
    const report = await evaluateAll(merchantId, at, { cause: "definition_change" }, (r) => update(r, "running").then(() => undefined));
    await update(report, "done");
    return report;
  } catch (err) {
    await withTenant(db(), merchantId, (trx) =>
      trx.updateTable("tier_jobs").set({ status: "failed", finished_at: now() }).where("merchant_id", "=", merchantId).where("id", "=", jobId).execute(),
    );
    throw err;
  }
}
