/**
 * The per-member CLTV export (Admin › CLTV › "Download per-member scores"): every member the model has scored, read
 * in keyset-paginated batches (member_stats' primary key order), each batch in its own short tenant transaction,
 * and streamed as CSV — memory stays one batch however many members there are, and no connection is held while the
 * client reads. A refit that lands mid-download rescores every member in one transaction, so later batches carry the
 * new model's scores; the `cltv_model_id` column says which model each line comes from.
 */
import { withTenant, type DB } from "~/db.server";
import { MEMBER_SCORES_HEADER, memberScoresCsvLines, type ScoredMemberRow } from "./member-export-csv";
import { INTERVAL_COLUMNS } from "./score-intervals";

export const EXPORT_BATCH = 2000;

/** Scored members in member id order, `batchSize` at a time. */
export async function* scoredMemberBatches(database: DB, merchantId: string, batchSize = EXPORT_BATCH): AsyncGenerator<ScoredMemberRow[]> {
  let after = "";
  for (;;) {
    const rows: ScoredMemberRow[] = await withTenant(database, merchantId, (trx) =>
      trx
        .selectFrom("member_stats as s")
        .innerJoin("members as m", (join) => join.onRef("m.merchant_id", "=", "s.merchant_id").onRef("m.id", "=", "s.member_id"))
        .select([
          "s.member_id",
          "m.external_id",
          "m.email",
          "m.name",
          "m.status",
          "s.order_count",
          "s.lifetime_spend_minor",
          "s.predicted_purchases_12m",
          "s.p_alive",
          "s.expected_order_minor",
          "s.cltv_12m_minor",
          "s.cltv_24m_minor",
          "s.cltv_36m_minor",
          "s.cltv_percentile",
          "s.value_segment",
          "s.at_risk",
          "s.scored_at",
          "s.cltv_model_id",
          ...INTERVAL_COLUMNS.map((c) => `s.${c}` as const),
        ])
        .where("s.merchant_id", "=", merchantId)
        .where("s.member_id", ">", after)
        .where("s.cltv_model_id", "is not", null)
        .where("s.cltv_12m_minor", "is not", null)
        .orderBy("s.member_id")
        .limit(batchSize)
        .execute(),
    );
    if (rows.length > 0) yield rows;
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1]!.member_id;
  }
}

/** The export as a byte stream: the header, then one chunk per batch, read only as fast as the client takes it. */
export function memberScoresCsvStream(database: DB, merchant: { id: string; currency: string }, batchSize = EXPORT_BATCH): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const lines = memberScoresCsvLines(merchant.currency);
  let batches: AsyncGenerator<ScoredMemberRow[]> | null = null;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(encoder.encode(MEMBER_SCORES_HEADER));
      },
      async pull(controller) {
        batches ??= scoredMemberBatches(database, merchant.id, batchSize);
        const next = await batches.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(lines(next.value)));
      },
      async cancel() {
        await batches?.return(undefined);
      },
    },
    // One batch ahead at most.
    { highWaterMark: 1 },
  );
}
