import { sql, type Transaction } from "kysely";
import type { Database, ProgramSummaryPage } from "./schema";

/**
 * The one read and the one write of program_summaries (issue 14), shared by the program stats pages' summaries
 * (points, tiers, offers, referrals each keep their own in their folder; programs may not import each other, so the
 * row's plumbing sits down here). `basis` is what the figures were computed under; a row under another basis is
 * ignored, and the caller computes and stores a fresh one.
 */
export interface ProgramSummaryRow<T> {
  computedAt: Date;
  data: T;
}

export async function readProgramSummary<T>(
  trx: Transaction<Database>,
  merchantId: string,
  page: ProgramSummaryPage,
  basis: unknown,
  subjectId = "",
): Promise<ProgramSummaryRow<T> | null> {
  const row = await trx
    .selectFrom("program_summaries")
    .select(["computed_at", "basis", "data"])
    .where("merchant_id", "=", merchantId)
    .where("page", "=", page)
    .where("subject_id", "=", subjectId)
    .executeTakeFirst();
  if (!row || canonical(row.basis) !== canonical(basis)) return null;
  return { computedAt: row.computed_at, data: row.data as T };
}

/** Upserts rows of one page; an older computation never overwrites a newer one (a slow refresh racing a click). */
export async function storeProgramSummaries(
  trx: Transaction<Database>,
  merchantId: string,
  page: ProgramSummaryPage,
  at: Date,
  rows: ReadonlyArray<{ subjectId?: string; basis: unknown; data: unknown }>,
): Promise<void> {
  if (!rows.length) return;
  const values = rows.map((r) => sql`(${merchantId}, ${page}, ${r.subjectId ?? ""}, ${at}, ${JSON.stringify(r.basis)}::jsonb, ${JSON.stringify(r.data)}::jsonb)`);
  await sql`
    insert into program_summaries as s (merchant_id, page, subject_id, computed_at, basis, data)
    values ${sql.join(values)}
    on conflict (merchant_id, page, subject_id) do update
      set computed_at = excluded.computed_at, basis = excluded.basis, data = excluded.data
      where s.computed_at <= excluded.computed_at`.execute(trx);
}

/** JSON with object keys sorted: jsonb reorders keys, so a stored basis is compared by content, not by text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v ?? null);
}
