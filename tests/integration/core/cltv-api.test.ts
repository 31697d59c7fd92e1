import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { loadCltvReport } from "~/domain/cltv/report.server";
import { api, createKey } from "../../support/api";
import { scoredMerchant } from "../../support/cltv-scored";

/**
 * GET /api/v1/members/{id}/cltv (members:read) and GET /api/v1/cltv (reports:read): what they serve is what
 * member_stats and cltv_models hold, read back here with independent queries; scopes, 401/403/404/405/422 with the
 * error shape; merchant B's key never sees merchant A's member or model.
 */

let A: Awaited<ReturnType<typeof scoredMerchant>>;
let B: Awaited<ReturnType<typeof scoredMerchant>>;
/** A merchant with orders but no model yet. */
let C: Awaited<ReturnType<typeof scoredMerchant>>;
const keys = { members: "", reports: "", both: "", pointsOnly: "", bBoth: "", cBoth: "" };

beforeAll(async () => {
  A = await scoredMerchant({ customers: 150, seed: 11 });
  B = await scoredMerchant({ customers: 40, seed: 12 });
  C = await scoredMerchant({ customers: 15, seed: 13, fit: false });
  keys.members = (await createKey(A.merchant.id, ["members:read"])).token;
  keys.reports = (await createKey(A.merchant.id, ["reports:read"])).token;
  keys.both = (await createKey(A.merchant.id, ["members:read", "reports:read"])).token;
  keys.pointsOnly = (await createKey(A.merchant.id, ["points:read", "members:write"])).token;
  keys.bBoth = (await createKey(B.merchant.id, ["members:read", "reports:read"])).token;
  keys.cBoth = (await createKey(C.merchant.id, ["members:read", "reports:read"])).token;
}, 120_000);

const stats = (memberId: string) => A.tx((trx) => trx.selectFrom("member_stats").selectAll().where("merchant_id", "=", A.merchant.id).where("member_id", "=", memberId).executeTakeFirstOrThrow());

/** A scored member with repeat purchases (the most orders, ties by id). */
async function heavyMember() {
  const r = await A.tx((trx) =>
    trx.selectFrom("member_stats").select("member_id").where("merchant_id", "=", A.merchant.id).where("cltv_model_id", "is not", null).orderBy("order_count", "desc").orderBy("member_id").limit(1).executeTakeFirstOrThrow(),
  );
  return r.member_id;
}

function expectError(res: { status: number; json: unknown }, status: number, code: string, field?: string) {
  expect(res.status).toBe(status);
  const body = res.json as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(["error"]);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  expect((body.error.message as string).length).toBeGreaterThan(0);
  if (field === undefined) expect(body.error).not.toHaveProperty("field");
  else expect(body.error.field).toBe(field);
}

describe("GET /api/v1/members/{id}/cltv", () => {
  it("serves a scored member's stored scores, model id and scored_at", async () => {
    const id = await heavyMember();
    const st = await stats(id);
    expect(st.order_count).toBeGreaterThan(1);
    const res = await api("GET", `/api/v1/members/${id}/cltv`, { token: keys.members });
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.json).toEqual({
      member_id: id,
      scored: true,
      model_id: A.modelId,
      scored_at: new Date(st.scored_at!).toISOString(),
      currency: "USD",
      order_count: st.order_count,
      lifetime_spend_minor: st.lifetime_spend_minor,
      predicted_purchases_12m: st.predicted_purchases_12m,
      p_alive: st.p_alive,
      expected_order_minor: st.expected_order_minor,
      cltv_12m_minor: st.cltv_12m_minor,
      cltv_24m_minor: st.cltv_24m_minor,
      cltv_36m_minor: st.cltv_36m_minor,
      cltv_percentile: st.cltv_percentile,
      value_segment: st.value_segment,
      at_risk: st.at_risk,
      // 90% intervals stored with the scores (issue 16 §4).
      intervals: {
        level: 0.9,
        predicted_purchases_12m: [st.predicted_purchases_12m_low, st.predicted_purchases_12m_high],
        p_alive: [st.p_alive_low, st.p_alive_high],
        cltv_12m_minor: [Number(st.cltv_12m_low_minor), Number(st.cltv_12m_high_minor)],
      },
    });
    expect(res.json.intervals.cltv_12m_minor[0]).toBeLessThanOrEqual(res.json.cltv_12m_minor);
    expect(res.json.intervals.cltv_12m_minor[1]).toBeGreaterThan(res.json.cltv_12m_minor);
    // Real scores, not placeholders.
    expect(res.json.cltv_12m_minor).toBeGreaterThan(0);
    expect(res.json.cltv_36m_minor).toBeGreaterThanOrEqual(res.json.cltv_24m_minor);
    expect(["top", "middle", "bottom"]).toContain(res.json.value_segment);
  });

  it("answers scored: false with null scores for a member the model has not scored", async () => {
    const res = await api("GET", `/api/v1/members/${A.unscoredId}/cltv`, { token: keys.members });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      member_id: A.unscoredId,
      scored: false,
      model_id: null,
      scored_at: null,
      currency: "USD",
      order_count: 0,
      lifetime_spend_minor: 0,
      predicted_purchases_12m: null,
      p_alive: null,
      expected_order_minor: null,
      cltv_12m_minor: null,
      cltv_24m_minor: null,
      cltv_36m_minor: null,
      cltv_percentile: null,
      value_segment: null,
      at_risk: null,
      intervals: null,
    });
    // Members of a merchant without a model: unscored too, even with orders.
    const c = await api("GET", `/api/v1/members/${C.memberIds[0]}/cltv`, { token: keys.cBoth });
    expect(c.status).toBe(200);
    expect(c.json).toMatchObject({ scored: false, model_id: null, cltv_12m_minor: null });
    expect(c.json.order_count).toBeGreaterThan(0);
  });

  it("needs members:read (reports:read is not enough), and a valid key", async () => {
    const id = await heavyMember();
    expectError(await api("GET", `/api/v1/members/${id}/cltv`, { token: keys.reports }), 403, "insufficient_scope");
    expectError(await api("GET", `/api/v1/members/${id}/cltv`, { token: keys.pointsOnly }), 403, "insufficient_scope");
    const anonymous = await api("GET", `/api/v1/members/${id}/cltv`);
    expectError(anonymous, 401, "unauthenticated");
    expect(anonymous.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
    expectError(await api("GET", `/api/v1/members/${id}/cltv`, { token: "prn_key_nonsense" }), 401, "unauthenticated");
    expect((await api("GET", `/api/v1/members/${id}/cltv`, { token: keys.both })).status).toBe(200);
  });

  it("is a 404 for an unknown id and for another merchant's member", async () => {
    expectError(await api("GET", "/api/v1/members/mbr_aaaaaaaaaaaaaaaaaaaaaaaaaa/cltv", { token: keys.members }), 404, "not_found", "id");
    expectError(await api("GET", "/api/v1/members/not-an-id/cltv", { token: keys.members }), 404, "not_found", "id");
    const id = await heavyMember();
    const cross = await api("GET", `/api/v1/members/${id}/cltv`, { token: keys.bBoth });
    expectError(cross, 404, "not_found", "id");
    expect(cross.text).not.toContain(A.modelId!);
    // And the other way round: A's key on B's member.
    expectError(await api("GET", `/api/v1/members/${B.memberIds[0]}/cltv`, { token: keys.members }), 404, "not_found", "id");
  });

  it("is read-only", async () => {
    expectError(await api("POST", `/api/v1/members/${A.unscoredId}/cltv`, { token: keys.members, body: {} }), 405, "method_not_allowed");
  });
});

describe("GET /api/v1/cltv", () => {
  it("serves the stored model: parameters, counts, fitted_at and diagnostics", async () => {
    const m = await A.tx((trx) => trx.selectFrom("cltv_models").selectAll().where("merchant_id", "=", A.merchant.id).executeTakeFirstOrThrow());
    expect(m.id).toBe(A.modelId);
    const res = await api("GET", "/api/v1/cltv", { token: keys.reports });
    expect(res.status).toBe(200);
    const model = res.json.model;
    expect(model).toMatchObject({
      id: m.id,
      model_version: m.model_version,
      fitted_at: new Date(m.created_at).toISOString(),
      time_unit: "week",
      calibration_start: m.calibration_start,
      calibration_end: "2025-12-31",
      currency: "USD",
      customers: { total: m.customers, repeat: m.repeat_customers, unique_rows: m.unique_rows, scored: m.scored_members },
      bgnbd: { r: m.bgnbd_r, alpha: m.bgnbd_alpha, a: m.bgnbd_a, b: m.bgnbd_b, log_likelihood: m.bgnbd_log_likelihood, converged: m.bgnbd_converged, iterations: m.bgnbd_iterations },
      gamma_gamma: { p: m.gg_p, q: m.gg_q, gamma: m.gg_gamma, log_likelihood: m.gg_log_likelihood, customers: m.gg_customers, converged: m.gg_converged },
      duration_ms: m.duration_ms,
    });
    expect(model.customers.total).toBe(150);
    expect(model.bgnbd.log_likelihood).toBeLessThan(0);
    expect(model.gamma_gamma.p).toBeGreaterThan(0);
    const d = m.diagnostics as {
      calibration: Array<{ x: string; actual: number; expected: number }>;
      validation: { calibrationEnd: string; holdout: { actual: number; predicted: number; byX: Array<{ x: string; customers: number }> }; bgnbd: { r: number; logLikelihood: number } } | null;
      bgnbd: { evaluations: number; gradientNorm: number; starts: number };
      settings: { grossMarginBps: number; annualDiscountRateBps: number };
      fitMs: number;
    };
    expect(model.diagnostics.calibration).toEqual(d.calibration);
    expect(model.diagnostics.calibration.reduce((n: number, r: { actual: number }) => n + r.actual, 0)).toBe(150);
    expect(model.diagnostics.bgnbd).toEqual({ evaluations: d.bgnbd.evaluations, gradient_norm: d.bgnbd.gradientNorm, starts: d.bgnbd.starts });
    expect(model.diagnostics.settings).toEqual({ gross_margin_bps: d.settings.grossMarginBps, annual_discount_rate_bps: d.settings.annualDiscountRateBps });
    expect(model.diagnostics.fit_ms).toBe(d.fitMs);
    expect(d.validation).not.toBeNull();
    expect(model.diagnostics.validation).toMatchObject({
      calibration_end: d.validation!.calibrationEnd,
      bgnbd: { r: d.validation!.bgnbd.r, log_likelihood: d.validation!.bgnbd.logLikelihood },
      holdout: { actual: d.validation!.holdout.actual, predicted: d.validation!.holdout.predicted },
    });
    expect(model.diagnostics.validation.holdout.by_x.map((r: { x: string; customers: number }) => [r.x, r.customers])).toEqual(d.validation!.holdout.byX.map((r) => [r.x, r.customers]));
    expect(res.json.classic).toBeNull();
  });

  it("counts members by value segment and at risk, as member_stats holds them", async () => {
    const rows = await A.tx((trx) =>
      sql<{ seg: string; n: number; c12: number; c36: number; past: number; alive: number }>`
        select coalesce(value_segment, 'none') as seg, count(*)::int as n, sum(cltv_12m_minor)::int8 as c12, sum(cltv_36m_minor)::int8 as c36,
               sum(lifetime_spend_minor)::int8 as past, avg(p_alive)::float8 as alive
        from member_stats where merchant_id = ${A.merchant.id} and cltv_model_id = ${A.modelId} group by 1
        union all
        select 'at_risk', count(*)::int, coalesce(sum(cltv_12m_minor), 0)::int8, coalesce(sum(cltv_36m_minor), 0)::int8, coalesce(sum(lifetime_spend_minor), 0)::int8, avg(p_alive)::float8
        from member_stats where merchant_id = ${A.merchant.id} and cltv_model_id = ${A.modelId} and at_risk`.execute(trx),
    );
    const by = Object.fromEntries(rows.rows.map((r) => [r.seg, r]));
    const res = await api("GET", "/api/v1/cltv", { token: keys.reports });
    expect(res.json.scored_members).toBe(150);
    for (const seg of ["top", "middle", "bottom", "at_risk"] as const) {
      const want = by[seg]!;
      const got = res.json.segments[seg];
      expect(got, seg).toMatchObject({ members: want.n, cltv_12m_total_minor: Number(want.c12), cltv_36m_total_minor: Number(want.c36), past_value_total_minor: Number(want.past) });
      if (want.n > 0) expect(got.mean_p_alive).toBeCloseTo(want.alive, 9);
    }
    // 20 / 60 / 20 of 150 scored members.
    expect([res.json.segments.top.members, res.json.segments.middle.members, res.json.segments.bottom.members]).toEqual([30, 90, 30]);
    const total12 = Number(by.top!.c12) + Number(by.middle!.c12) + Number(by.bottom!.c12);
    expect(res.json.mean_cltv_12m_minor).toBe(Math.round(total12 / 150));
  });

  it("adds the classic figures on include=classic, equal to the CLTV page's; other values are a 422", async () => {
    const res = await api("GET", "/api/v1/cltv?include=classic", { token: keys.reports });
    expect(res.status).toBe(200);
    const page = await A.tx((trx) => loadCltvReport(trx, A.merchant.id, "USD"));
    expect(res.json.classic.inputs).toEqual({
      revenue_12m_minor: page.classicInputs.revenueMinor,
      orders_12m: page.classicInputs.orders,
      active_customers_12m: page.classicInputs.activeCustomers,
      prior_customers: page.classicInputs.priorCustomers,
      retained_customers: page.classicInputs.retainedCustomers,
      gross_margin: page.classicInputs.grossMargin,
      acquisition_cost_minor: page.classicInputs.acquisitionCostMinor,
      retention_cost_minor_per_year: page.classicInputs.retentionCostMinorPerYear,
    });
    expect(res.json.classic.figures).toMatchObject({ arpu_minor: page.classic.arpuMinor, average_order_minor: page.classic.averageOrderMinor, ltv_minor: page.classic.ltvMinor, clv_minor: page.classic.clvMinor });
    expect(res.json.classic.inputs.prior_customers).toBeGreaterThan(0);
    // The page's segment table agrees with the API's counts.
    expect(page.segments.map((s) => s.members)).toEqual([res.json.segments.top.members, res.json.segments.middle.members, res.json.segments.bottom.members, res.json.segments.at_risk.members]);
    expectError(await api("GET", "/api/v1/cltv?include=everything", { token: keys.reports }), 422, "validation_failed", "include");
    // Unknown query parameters are ignored, as everywhere in the API.
    expect((await api("GET", "/api/v1/cltv?foo=bar", { token: keys.reports })).status).toBe(200);
  });

  it("needs reports:read (members:read is not enough)", async () => {
    expectError(await api("GET", "/api/v1/cltv", { token: keys.members }), 403, "insufficient_scope");
    expectError(await api("GET", "/api/v1/cltv"), 401, "unauthenticated");
    expectError(await api("POST", "/api/v1/cltv", { token: keys.reports, body: {} }), 405, "method_not_allowed");
  });

  it("shows each merchant only its own model", async () => {
    const b = await api("GET", "/api/v1/cltv", { token: keys.bBoth });
    expect(b.status).toBe(200);
    expect(b.json.model).toMatchObject({ id: B.modelId, customers: { total: 40 } });
    expect(b.json.scored_members).toBe(40);
    expect(b.text).not.toContain(A.modelId!);
    const a = await api("GET", "/api/v1/cltv", { token: keys.reports });
    expect(a.text).not.toContain(B.modelId!);
  });

  it("answers model: null before the first fit (classic figures still on request, from the merchant's own orders)", async () => {
    const res = await api("GET", "/api/v1/cltv?include=classic", { token: keys.cBoth });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ currency: "USD", model: null, scored_members: 0, segments: null, mean_cltv_12m_minor: null, mean_cltv_36m_minor: null });
    expect(res.json.classic.inputs.prior_customers).toBeGreaterThan(0);
    expect(res.json.classic.inputs.prior_customers).toBeLessThanOrEqual(15);
    expect(res.text).not.toContain(A.modelId!);
  });
});
