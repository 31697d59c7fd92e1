import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { findProgramExperiment } from "~/domain/experiments/assignment.server";
import { DomainError } from "~/lib/errors";
import { isId } from "~/lib/ids";
import type { ExperimentKind } from "~db/schema";
import type { IncrementalityReport, ReportWindow } from "./report.server";
import type { ReportSeries } from "./series.server";
import { readIncrementalityReport } from "./summaries.server";

/**
 * What the report pages and the API need: program lookup, the list with headlines, the report with its charts —
 * read from the maintained summaries (summaries.server.ts), so a page's cost does not grow with the members.
 */

/** An experiment id, or a program kind (`loyalty_program`, `referral_program`) naming that program's experiment. */
export async function resolveProgram(trx: Trx, merchantId: string, program: string): Promise<string> {
  if (program === "loyalty_program" || program === "referral_program") {
    const e = await findProgramExperiment(trx, merchantId, program);
    if (e) return e.id;
  } else if (isId("experiment", program)) {
    const row = await trx.selectFrom("experiments").select("id").where("merchant_id", "=", merchantId).where("id", "=", program).executeTakeFirst();
    if (row) return row.id;
  }
  throw new DomainError("not_found", "No such program or experiment", { field: "program" });
}

export interface ProgramListRow {
  id: string;
  kind: ExperimentKind;
  name: string;
  assignment: "random" | "external";
  holdoutBps: number;
  status: "active" | "stopped";
  members: number;
  arms: number;
  /** Best non-control arm's incremental net value per member, its interval, p-value, and the arm's total. */
  headline: { arm: string; lift: number; ci95: [number, number]; pValue: number; total: number } | null;
}

export async function listReportPrograms(trx: Trx, merchantId: string): Promise<ProgramListRow[]> {
  const rows = await trx
    .selectFrom("experiments as e")
    .select([
      "e.id",
      "e.kind",
      "e.name",
      "e.assignment",
      "e.holdout_bps",
      "e.status",
      sql<string>`(select count(*) from experiment_arms r where r.merchant_id = e.merchant_id and r.experiment_id = e.id)`.as("arms"),
    ])
    .where("e.merchant_id", "=", merchantId)
    .orderBy(sql`case e.kind when 'loyalty_program' then 0 when 'referral_program' then 1 else 2 end`)
    .orderBy("e.created_at", "desc")
    .limit(200)
    .execute();
  const out: ProgramListRow[] = [];
  for (const r of rows) {
    // Members as of the summary (assignments counted by the report's arms).
    const { report } = await readIncrementalityReport(trx, merchantId, r.id, {}, { series: false });
    const members = report.arms.reduce((n, a) => n + a.n, 0);
    let headline: ProgramListRow["headline"] = null;
    if (members > 0) {
      const best = [...report.comparisons].sort((a, b) => b.value.lift - a.value.lift)[0];
      if (best) headline = { arm: best.arm, lift: best.value.lift, ci95: best.value.ci95, pValue: best.value.pValue, total: best.total.lift };
    }
    out.push({ id: r.id, kind: r.kind, name: r.name, assignment: r.assignment, holdoutBps: r.holdout_bps, status: r.status, members, arms: Number(r.arms), headline });
  }
  return out;
}

export interface ReportPage {
  report: IncrementalityReport;
  series: ReportSeries;
  /** When the figures were computed. */
  asOf: Date;
}

export async function loadReportPage(trx: Trx, merchantId: string, experimentId: string, window: ReportWindow): Promise<ReportPage> {
  if (!isId("experiment", experimentId)) throw new DomainError("not_found", "Experiment not found");
  const { report, series, asOf } = await readIncrementalityReport(trx, merchantId, experimentId, window, { series: true });
  return { report, series: series!, asOf };
}
