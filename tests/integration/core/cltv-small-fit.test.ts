import { describe, expect, it } from "vitest";
import { scoredMerchant } from "../../support/cltv-scored";

/**
 * Small merchants can fit a BG/NBD with a + b < 1. Members without a repeat purchase then need ₂F₁ with c < 0; that
 * used to give NaN and the scoring job failed on writing it ("invalid input syntax for type bigint: NaN").
 */
describe("CLTV scoring on a small merchant whose fit has a + b < 1", () => {
  it.each([
    [30, 22],
    [40, 22],
  ])("fits and scores %i synthetic customers (seed %i) with finite scores for everyone", async (customers, seed) => {
    const { modelId, memberIds, tx } = await scoredMerchant({ customers, seed });
    expect(modelId).toBeTruthy();
    const model = await tx((trx) => trx.selectFrom("cltv_models").select(["bgnbd_a", "bgnbd_b"]).where("id", "=", modelId!).executeTakeFirstOrThrow());
    expect(model.bgnbd_a + model.bgnbd_b).toBeLessThan(1); // the case this test is about
    const rows = await tx((trx) =>
      trx.selectFrom("member_stats").select(["member_id", "predicted_purchases_12m", "p_alive", "cltv_12m_minor"]).where("member_id", "in", memberIds).execute(),
    );
    expect(rows).toHaveLength(memberIds.length);
    for (const r of rows) {
      expect(Number.isFinite(Number(r.predicted_purchases_12m)), r.member_id).toBe(true);
      expect(Number(r.predicted_purchases_12m)).toBeGreaterThanOrEqual(0);
      expect(Number(r.cltv_12m_minor)).toBeGreaterThanOrEqual(0);
    }
  });
});
