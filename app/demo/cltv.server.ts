import type { Trx } from "~/db.server";
import { DomainError } from "~/lib/errors";
import { fitAndScoreMerchant } from "~/domain/cltv/score.server";

/**
 * The demo merchant's CLTV: a coffee roaster's economics (60% gross margin, $15 to win a member, $4 a year to keep
 * one, 10% a year) and a first fit + scoring, so the CLTV page, the member panel and the value segments have data
 * from the first start. Called from the demo seed inside its tenant transaction, after the orders; ~2,000 members
 * fit and score in well under a second.
 */
export async function seedDemoCltv(trx: Trx, merchantId: string, now: Date): Promise<void> {
  await trx
    .insertInto("cltv_settings")
    .values({ merchant_id: merchantId, gross_margin_bps: 6000, acquisition_cost_minor: 1500, retention_cost_minor_per_year: 400, annual_discount_rate_bps: 1000, updated_at: now })
    .execute();
  try {
    await fitAndScoreMerchant(trx, merchantId, { at: now });
  } catch (err) {
    // A tiny demo (tests seed a handful of members) has too few orders to fit: the nightly job scores it later.
    if (!(err instanceof DomainError && err.code === "insufficient_data")) throw err;
  }
}
