/**
 * The program page's maintained summary (program_summaries, page 'points'; issue 14): the ledger's entry sums per
 * account, the holders count and the 12 months of points flow — aggregates over every ledger entry of the merchant —
 * kept as of `computedAt`, so the page reads one row whatever the merchant's size. Computed by the very functions the
 * raw page used (programLedgerFigures, monthlyPointsFlow); the point value (liability) is applied on read.
 */
import type { Trx } from "~/db.server";
import { now } from "~/lib/clock.server";
import { readProgramSummary, storeProgramSummaries } from "~db/program-summaries";
import type { EarningRules } from "./rules";
import { monthlyPointsFlow, programLedgerFigures, programStatsFrom, type MonthlyFlow, type ProgramLedgerFigures, type ProgramStats } from "./stats.server";

/** The program page's chart: this many calendar months, the current one last. */
export const PROGRAM_FLOW_MONTHS = 12;

interface PointsSummaryData {
  figures: ProgramLedgerFigures;
  flow: MonthlyFlow[];
}

/** The months are calendar months of the merchant's time zone: a row of another zone is not used. */
const basisOf = (timezone: string) => ({ timezone, months: PROGRAM_FLOW_MONTHS });

/** Recomputes the program page's figures from the ledger at `at` and stores them. */
export async function refreshPointsSummary(trx: Trx, merchant: { id: string; timezone: string }, at: Date = now()): Promise<{ data: PointsSummaryData; asOf: Date }> {
  const data: PointsSummaryData = {
    figures: await programLedgerFigures(trx, merchant.id),
    flow: await monthlyPointsFlow(trx, merchant.id, PROGRAM_FLOW_MONTHS, { timezone: merchant.timezone, at }),
  };
  await storeProgramSummaries(trx, merchant.id, "points", at, [{ basis: basisOf(merchant.timezone), data }]);
  return { data, asOf: at };
}

/** The program page's stats and flow from the summary; computed (and stored) now when there is none for this time zone. */
export async function programStatsPage(
  trx: Trx,
  merchant: { id: string; timezone: string; currency: string },
  rules: EarningRules,
): Promise<{ stats: ProgramStats; flow: MonthlyFlow[]; asOf: Date }> {
  const row = await readProgramSummary<PointsSummaryData>(trx, merchant.id, "points", basisOf(merchant.timezone));
  const { data, asOf } = row ? { data: row.data, asOf: row.computedAt } : await refreshPointsSummary(trx, merchant);
  return { stats: programStatsFrom(data.figures, rules, merchant.currency), flow: data.flow, asOf };
}
