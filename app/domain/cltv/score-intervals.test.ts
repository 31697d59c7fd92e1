import { describe, expect, it } from "vitest";
import { cdnowSampleCustomers, cdnowSampleRows } from "../../../tests/support/cdnow-rows";
import { bgnbdNegLogLikelihood, fitBgNbd } from "./bgnbd";
import { PURCHASE_MODELS } from "./model-choice";
import { fitParetoNbd, paretoNbdWarmStart } from "./pareto-nbd";
import { scoreMembers } from "./score";
import { memberIntervals } from "./score-intervals";
import { scoringUncertainty, spendIndependence } from "./score-uncertainty";
import { bootstrapIntervals, drawLogParams, parameterUncertainty } from "./uncertainty";

const rows = cdnowSampleRows();
const bg = fitBgNbd(rows);
const v = [bg.r, bg.alpha, bg.a, bg.b].map(Math.log);
const gg = { p: 6.25, q: 3.74, gamma: 15.44 };
const members = cdnowSampleCustomers()
  .slice(0, 300)
  .map((c, i) => ({ memberId: `m${i}`, ...c, zbar: c.x > 0 ? 20 + (i % 7) * 5 : 0, spend: 30 }));
const economics = { timeUnit: "week" as const, meanSpend: 30, grossMargin: 0.4, annualDiscountRate: 0.1, minorScale: 100 };

describe("per-member intervals from shared parameter draws", () => {
  it("collapse onto the point scores when every draw is the estimate (quarterly discounting within 0.05%)", () => {
    const point = scoreMembers(members, { bgnbd: bg, gammaGamma: gg, ...economics });
    const same = Array.from({ length: 5 }, () => PURCHASE_MODELS.bgnbd.predictor(v));
    const iv = memberIntervals(members, { purchaseDraws: same, spendDraws: same.map(() => gg), ...economics });
    let worst = 0;
    iv.forEach((r, i) => {
      const p = point[i]!;
      expect(r.memberId).toBe(p.memberId);
      expect(r.pAlive[0]).toBeCloseTo(p.pAlive, 12);
      expect(r.pAlive[1]).toBeCloseTo(p.pAlive, 12);
      expect(r.predictedPurchases12m[0]).toBeCloseTo(p.predictedPurchases12m, 10);
      // Both sides are rounded to minor units; beyond that the quarterly discounting is within 0.05%.
      worst = Math.max(worst, (Math.abs(r.cltv12mMinor[0] - p.cltv12mMinor) - 1) / Math.max(1, p.cltv12mMinor));
    });
    expect(worst).toBeLessThan(5e-4);
  });

  it("P(alive) intervals equal bootstrapIntervals' on the same seeded draws (90%, 100 draws)", () => {
    const u = parameterUncertainty((w) => bgnbdNegLogLikelihood(w, rows), v);
    const draws = drawLogParams(v, u.logCovariance!, 100, 16)!;
    const iv = memberIntervals(members, { purchaseDraws: draws.map((d) => PURCHASE_MODELS.bgnbd.predictor(d)), spendDraws: null, ...economics });
    const boot = bootstrapIntervals(v, u.logCovariance!, (w) => members.map((m) => PURCHASE_MODELS.bgnbd.predictor(w).pAlive(m.x, m.tx, m.T)), { draws: 100, seed: 16, level: 0.9 });
    members.forEach((_, i) => {
      expect(iv[i]!.pAlive[0]).toBeCloseTo(boot.intervals[i]!.lower, 12);
      expect(iv[i]!.pAlive[1]).toBeCloseTo(boot.intervals[i]!.upper, 12);
    });
    // Members with repeat purchases have a real spread; every point estimate lies inside its interval.
    const point = scoreMembers(members, { bgnbd: bg, gammaGamma: null, ...economics });
    iv.forEach((r, i) => {
      expect(r.cltv12mMinor[0]).toBeLessThanOrEqual(point[i]!.cltv12mMinor + 1);
      expect(r.cltv12mMinor[1]).toBeGreaterThanOrEqual(point[i]!.cltv12mMinor - 1);
    });
    expect(iv.filter((r) => r.cltv12mMinor[1] - r.cltv12mMinor[0] > 0).length).toBeGreaterThan(250);
  });

  it("scoringUncertainty draws both models, and gives no draws on a singular Hessian", () => {
    const spendRows = members.filter((m) => m.x > 0).map((m) => ({ x: m.x, m: m.zbar }));
    const ok = scoringUncertainty({ kind: "bgnbd", params: { r: bg.r, alpha: bg.alpha, a: bg.a, b: bg.b }, rows, repeatBuyers: 1000, penalizer: 0, gammaGamma: gg, spendRows, draws: 20 });
    expect(ok.draws?.purchase).toHaveLength(20);
    expect(ok.warnings).toEqual([]);
    // One customer cannot pin four parameters: a ridge, no intervals, and a warning that names the penalizer.
    const tiny = scoringUncertainty({ kind: "bgnbd", params: { r: 1, alpha: 1, a: 1, b: 1 }, rows: [{ x: 1, tx: 1, T: 2, weight: 1 }], repeatBuyers: 1, penalizer: 0, gammaGamma: null, spendRows: [] });
    expect(tiny.draws).toBeNull();
    expect(tiny.warnings.join(" ")).toMatch(/penalizer/);
  });
});

describe("Gamma-Gamma independence check", () => {
  it("is 1 on a perfectly linear relation (flagged) and 0 on a balanced design", () => {
    const linear = spendIndependence([1, 2, 3, 4, 5].map((x) => ({ x, m: 10 + 3 * x })));
    expect(linear.r).toBeCloseTo(1, 12);
    expect(linear.flagged).toBe(true);
    const flat = spendIndependence([
      { x: 1, m: 10 },
      { x: 1, m: 20 },
      { x: 3, m: 10 },
      { x: 3, m: 20 },
    ]);
    expect(flat.r).toBeCloseTo(0, 12);
    expect(flat.flagged).toBe(false);
    // Weights count as customers.
    expect(spendIndependence([{ x: 1, m: 10, weight: 2 }, { x: 2, m: 30, weight: 2 }]).customers).toBe(4);
  });
});

describe("Pareto/NBD warm start from the BG/NBD", () => {
  it("reaches the same optimum as the generic starts on the CDNOW sample with fewer likelihood evaluations", () => {
    const cold = fitParetoNbd(rows);
    const warm = fitParetoNbd(rows, { start: paretoNbdWarmStart(bg) });
    expect(warm.converged).toBe(true);
    expect(warm.starts).toBe(1);
    expect(warm.logLikelihood).toBeCloseTo(cold.logLikelihood, 6);
    expect(warm.r).toBeCloseTo(cold.r, 4);
    expect(warm.beta).toBeCloseTo(cold.beta, 2);
    expect(warm.evaluations).toBeLessThan(cold.evaluations * 0.6);
  });
});
