import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import { buildSummary } from "~/domain/cltv/summary";
import * as rfmCsv from "~/routes/admin.$merchant.cltv.rfm[.csv]";
import { createStaff, getRequest } from "../../support/admin";
import { scoredMerchant } from "../../support/cltv-scored";

/**
 * /admin/<slug>/cltv/rfm.csv (issue 16 §4): the RFM summary the models are fitted on — x, t_x, T in weeks and the mean
 * repeat spend per customer — recomputed here from the merchant's orders with buildSummary and compared line by line.
 */
let A: Awaited<ReturnType<typeof scoredMerchant>>;
let analyst: { cookie: string };

beforeAll(async () => {
  A = await scoredMerchant({ customers: 60, seed: 31 });
  analyst = await createStaff(A.merchant.id, "analyst");
}, 120_000);

describe("RFM summary CSV", () => {
  it("has one line per customer with orders, as the fits summarise them", async () => {
    const res = await rfmCsv.loader({ request: getRequest(`/admin/${A.merchant.slug}/cltv/rfm.csv`, analyst.cookie), params: { merchant: A.merchant.slug }, context: {} });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Disposition")).toBe(`attachment; filename="${A.merchant.slug}-cltv-rfm-summary.csv"`);
    const text = await res.text();
    expect(text.split("\n")[0]).toBe("member_id,x,t_x_weeks,T_weeks,mean_spend");
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
    const orders = await A.tx((trx) =>
      trx.selectFrom("orders").select(["member_id", "amount_minor", "occurred_at"]).where("merchant_id", "=", A.merchant.id).where("refunded_minor", "=", 0).execute(),
    );
    const today = new Date().toISOString().slice(0, 10);
    const want = buildSummary(
      orders.map((o) => ({ customerId: o.member_id, date: new Date(o.occurred_at).toISOString().slice(0, 10), amount: Number(o.amount_minor) / 100 })),
      { calibrationEnd: today },
    );
    expect(rows).toHaveLength(want.length);
    const byId = new Map(rows.map((r) => [r.member_id, r]));
    for (const s of want) {
      const r = byId.get(s.customerId)!;
      expect([Number(r.x), Number(r.t_x_weeks), Number(r.T_weeks)]).toEqual([s.x, s.tx, s.T]);
      expect(r.mean_spend).toBe(s.x > 0 ? s.zbar.toFixed(2) : "");
    }
  });
});
