/**
 * The merchant's RFM summary (Admin › CLTV › "Download RFM summary"): every customer with an order to date, summarised
 * exactly as the fits see them (purchase days in the merchant's zone, calibration through today, weeks, 2 decimals).
 */
import type { Trx } from "~/db.server";
import { DomainError } from "~/lib/errors";
import { minorDigits } from "~/lib/money";
import { localDay, readPurchaseDays } from "./fit.server";
import { now } from "~/lib/clock.server";
import { rfmSummaryCsvLines, rfmSummaryHeader } from "./rfm-csv";
import { buildSummary } from "./summary";

export async function rfmSummaryCsv(trx: Trx, merchantId: string): Promise<string> {
  const merchant = await trx.selectFrom("merchants").select(["currency", "timezone"]).where("id", "=", merchantId).executeTakeFirst();
  if (!merchant) throw new DomainError("not_found", "Merchant not found", { field: "merchant" });
  const { transactions } = await readPurchaseDays(trx, merchantId, merchant);
  const summaries = buildSummary(transactions, { calibrationEnd: localDay(now(), merchant.timezone), timeUnit: "week" });
  summaries.sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
  return rfmSummaryHeader("week") + rfmSummaryCsvLines(summaries, minorDigits(merchant.currency.trim()));
}
