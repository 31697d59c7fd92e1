/**
 * One line per scored member for the per-member CLTV export (pure). Same conventions as the CLTV page's CSV tables
 * (report-csv.ts): amounts in the currency's major units with its fixed number of decimals, rates rounded, text cells
 * quoted when needed and defused against spreadsheet formulas.
 */
import { minorDigits } from "~/lib/money";
import { cell } from "./report-csv";

export interface ScoredMemberRow {
  member_id: string;
  external_id: string | null;
  email: string;
  name: string | null;
  status: string;
  order_count: number;
  lifetime_spend_minor: number;
  predicted_purchases_12m: number | null;
  p_alive: number | null;
  expected_order_minor: number | null;
  cltv_12m_minor: number | null;
  cltv_24m_minor: number | null;
  cltv_36m_minor: number | null;
  cltv_percentile: number | null;
  value_segment: string | null;
  at_risk: boolean | null;
  scored_at: Date | string | null;
  cltv_model_id: string | null;
  /** 90% intervals (null without them); optional so older callers' rows still format. */
  predicted_purchases_12m_low?: number | null;
  predicted_purchases_12m_high?: number | null;
  p_alive_low?: number | null;
  p_alive_high?: number | null;
  cltv_12m_low_minor?: number | null;
  cltv_12m_high_minor?: number | null;
}

export const MEMBER_SCORES_COLUMNS = [
  "member_id",
  "external_id",
  "email",
  "name",
  "status",
  "order_count",
  "lifetime_spend",
  "currency",
  "predicted_purchases_12m",
  "p_alive",
  "expected_order_value",
  "cltv_12m",
  "cltv_24m",
  "cltv_36m",
  "cltv_percentile",
  "value_segment",
  "at_risk",
  "scored_at",
  "cltv_model_id",
  "predicted_purchases_12m_low",
  "predicted_purchases_12m_high",
  "p_alive_low",
  "p_alive_high",
  "cltv_12m_low",
  "cltv_12m_high",
] as const;

export const MEMBER_SCORES_HEADER = MEMBER_SCORES_COLUMNS.join(",") + "\n";

/** Formats rows of one currency; `memberScoresCsvLines(currency)(rows)` is a batch of CSV lines. */
export function memberScoresCsvLines(currency: string): (rows: readonly ScoredMemberRow[]) => string {
  const digits = minorDigits(currency);
  // A formatted amount is digits, a point and maybe a sign: never quoted, never a formula.
  const money = (minor: number | null) => (minor === null ? "" : (minor / 10 ** digits).toFixed(digits));
  const round = (v: number | null, d: number) => (v === null ? null : Number(v.toFixed(d)));
  return (rows) => {
    let out = "";
    for (const r of rows) {
      out +=
        [
          cell(r.member_id),
          cell(r.external_id),
          cell(r.email),
          cell(r.name),
          cell(r.status),
          cell(r.order_count),
          money(r.lifetime_spend_minor),
          cell(currency),
          cell(round(r.predicted_purchases_12m, 4)),
          cell(round(r.p_alive, 4)),
          money(r.expected_order_minor),
          money(r.cltv_12m_minor),
          money(r.cltv_24m_minor),
          money(r.cltv_36m_minor),
          cell(round(r.cltv_percentile, 2)),
          cell(r.value_segment),
          r.at_risk === null ? "" : String(r.at_risk),
          cell(r.scored_at === null ? null : new Date(r.scored_at).toISOString()),
          cell(r.cltv_model_id),
          cell(round(r.predicted_purchases_12m_low ?? null, 4)),
          cell(round(r.predicted_purchases_12m_high ?? null, 4)),
          cell(round(r.p_alive_low ?? null, 4)),
          cell(round(r.p_alive_high ?? null, 4)),
          money(r.cltv_12m_low_minor ?? null),
          money(r.cltv_12m_high_minor ?? null),
        ].join(",") + "\n";
    }
    return out;
  };
}
