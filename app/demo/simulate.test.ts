import { describe, expect, it } from "vitest";
import { expectedPurchases } from "~/domain/cltv/bgnbd";
import { DEFAULT_SIMULATION, simulateExperiment, trueIncrementalValue } from "./simulate";
import { cuped, welchFromSums } from "~/domain/incrementality/stats";

/**
 * Simulation with known truth: many small randomized experiments where the program raises the purchase rate and
 * lowers drop-out by known amounts. The report's 95% intervals (Welch, and CUPED) must contain the true incremental
 * value in about 95% of runs, and the estimates must average to the truth.
 */

const RUNS = 200;
const N_PER_ARM = 400;
const SEED = 20261122;

describe("incrementality on simulated BG/NBD + Gamma-Gamma members with a known effect", () => {
  const truth = trueIncrementalValue(DEFAULT_SIMULATION);
  const runs = Array.from({ length: RUNS }, (_, i) => {
    const { treatment, control } = simulateExperiment(SEED, i, N_PER_ARM);
    return { plain: welchFromSums(treatment, control), cuped: cuped(treatment, control), control };
  });

  it("has a sizeable true effect (the test would notice a broken estimator)", () => {
    // 30% more purchases and less drop-out over a year: a few dollars per member.
    expect(truth).toBeGreaterThan(5);
    expect(truth).toBeLessThan(60);
  });

  it.each(["plain", "cuped"] as const)("the %s 95%% interval covers the truth in about 95%% of runs", (kind) => {
    const covered = runs.filter((r) => r[kind].ci95[0] <= truth && truth <= r[kind].ci95[1]).length;
    // Binomial(200, 0.95): mean 190, sd 3.1. [181, 199] is about ±3 sd; heavy-tailed spend makes Welch slightly
    // conservative or liberal at n = 400, not by more than that. A biased or mis-scaled interval falls far outside.
    expect(covered).toBeGreaterThanOrEqual(181);
    expect(covered).toBeLessThanOrEqual(199);
  });

  it.each(["plain", "cuped"] as const)("the %s estimate is unbiased (mean within 3 standard errors of the truth)", (kind) => {
    const lifts = runs.map((r) => r[kind].lift);
    const mean = lifts.reduce((a, b) => a + b, 0) / RUNS;
    const sd = Math.sqrt(lifts.reduce((a, b) => a + (b - mean) ** 2, 0) / (RUNS - 1));
    expect(Math.abs(mean - truth)).toBeLessThan(3 * (sd / Math.sqrt(RUNS)));
  });

  it("the control arm's mean value matches the BG/NBD expectation", () => {
    // Guards the simulator itself: a wrong simulation would make the checks above meaningless.
    const control = runs.reduce((a, r) => a + r.control.sumY, 0) / (RUNS * N_PER_ARM);
    const noEffect = trueIncrementalValue({ ...DEFAULT_SIMULATION, rateMultiplier: 1, dropoutBMultiplier: 1 });
    expect(noEffect).toBe(0);
    const expected = ((DEFAULT_SIMULATION.spendP * DEFAULT_SIMULATION.spendGamma) / (DEFAULT_SIMULATION.spendQ - 1)) * expectedControlPurchases();
    const sd = Math.sqrt(runs.reduce((a, r) => a + (r.control.sumY2 - r.control.sumY ** 2 / N_PER_ARM) / (N_PER_ARM - 1), 0) / RUNS);
    expect(Math.abs(control - expected)).toBeLessThan(4 * (sd / Math.sqrt(RUNS * N_PER_ARM)));
  });

  it("CUPED on pre-period spend narrows the intervals", () => {
    const ratio = runs.reduce((a, r) => a + r.cuped.se / r.plain.se, 0) / RUNS;
    expect(ratio).toBeLessThan(0.97);
  });
});

function expectedControlPurchases(): number {
  const s = DEFAULT_SIMULATION;
  return expectedPurchases({ r: s.r, alpha: s.alpha, a: s.a, b: s.b }, s.horizonWeeks);
}
