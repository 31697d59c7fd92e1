/**
 * The RFM summary as CSV (issue 16 §4: "so others can load it in their tools"): one line per customer with x (repeat
 * purchase days), t_x and T in the time unit, and the mean spend of the repeat days — the inputs of the BG/NBD,
 * MBG/NBD, Pareto/NBD and Gamma-Gamma, named as in Fader & Hardie's notes. lifetimes reads it as
 * frequency = x, recency = t_x, T = T, monetary_value = mean_spend.
 */
import { cell } from "./report-csv";
import type { CustomerSummary, TimeUnit } from "./summary";

export function rfmSummaryHeader(timeUnit: TimeUnit): string {
  return ["member_id", "x", `t_x_${timeUnit}s`, `T_${timeUnit}s`, "mean_spend"].join(",") + "\n";
}

/** Lines for summaries in currency units; mean_spend with the currency's decimals (empty when x = 0: no repeat spend). */
export function rfmSummaryCsvLines(rows: readonly CustomerSummary[], currencyDigits: number): string {
  return rows.map((r) => [cell(r.customerId), r.x, r.tx, r.T, r.x > 0 ? r.zbar.toFixed(currencyDigits) : ""].join(",") + "\n").join("");
}
