import { expectedPurchases } from "~/domain/cltv/bgnbd";
import { beta, exponential, gamma, poisson, seededRng, deriveSeed, type Rng } from "~/lib/random";
import type { ArmSums } from "~/domain/incrementality/stats";

/**
 * A randomized loyalty-program experiment with a known true effect, for checking the report's statistics.
 *
 * Members follow BG/NBD from the moment of assignment (alive at 0; purchases as a Poisson process with rate
 * λ ~ Gamma(r, α); after each purchase they drop out with probability p ~ Beta(a, b)) and Gamma-Gamma spend (orders
 * ~ Gamma(p_s, ν), ν ~ Gamma(q, γ), mean order value p_s·γ/(q − 1)). The program multiplies every treated member's
 * purchase rate by `rateMultiplier` (λ·k ~ Gamma(r, α/k)) and lowers drop-out by drawing p ~ Beta(a, b·m)
 * (`dropoutBMultiplier` = m > 1). Before assignment every member had `preWeeks` of purchases at their own λ: the CUPED
 * covariate. Time is in weeks.
 *
 * The true incremental value per member over the horizon is then exact:
 *   (E[X_T(t)] − E[X_C(t)]) · p_s·γ/(q − 1), with E[X(t)] the BG/NBD unconditional expectation.
 */

export interface SimulationParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
  spendP: number;
  spendQ: number;
  spendGamma: number;
  horizonWeeks: number;
  preWeeks: number;
  rateMultiplier: number;
  dropoutBMultiplier: number;
}

export const DEFAULT_SIMULATION: SimulationParams = {
  r: 0.25,
  alpha: 4,
  a: 0.8,
  b: 2.5,
  spendP: 6,
  spendQ: 4,
  spendGamma: 15,
  horizonWeeks: 52,
  preWeeks: 52,
  rateMultiplier: 1.3,
  dropoutBMultiplier: 1.5,
};

export function trueIncrementalValue(s: SimulationParams): number {
  const meanOrder = (s.spendP * s.spendGamma) / (s.spendQ - 1);
  const control = expectedPurchases({ r: s.r, alpha: s.alpha, a: s.a, b: s.b }, s.horizonWeeks);
  const treated = expectedPurchases({ r: s.r, alpha: s.alpha / s.rateMultiplier, a: s.a, b: s.b * s.dropoutBMultiplier }, s.horizonWeeks);
  return (treated - control) * meanOrder;
}

function spendOf(rng: Rng, s: SimulationParams, nu: number, orders: number): number {
  let total = 0;
  for (let i = 0; i < orders; i++) total += gamma(rng, s.spendP, nu);
  return total;
}

/** One member: (value in the horizon after assignment, value in the pre-period). */
export function simulateMember(rng: Rng, s: SimulationParams, treated: boolean): { y: number; x: number } {
  const lambda = gamma(rng, s.r, s.alpha);
  const p = beta(rng, s.a, treated ? s.b * s.dropoutBMultiplier : s.b);
  const nu = gamma(rng, s.spendQ, s.spendGamma);
  const x = spendOf(rng, s, nu, poisson(rng, lambda * s.preWeeks));
  const rate = treated ? lambda * s.rateMultiplier : lambda;
  let t = 0;
  let orders = 0;
  for (;;) {
    t += exponential(rng, rate);
    if (t > s.horizonWeeks) break;
    orders++;
    if (rng() < p) break;
  }
  return { y: spendOf(rng, s, nu, orders), x };
}

/** One experiment: the two arms' sufficient statistics, as the report's SQL would return them. */
export function simulateExperiment(seed: number, run: number, nPerArm: number, s: SimulationParams = DEFAULT_SIMULATION): { treatment: ArmSums; control: ArmSums } {
  const rng = seededRng(deriveSeed(seed, run));
  const arm = (treated: boolean): ArmSums => {
    const a: ArmSums = { n: 0, sumY: 0, sumY2: 0, sumX: 0, sumX2: 0, sumXY: 0 };
    for (let i = 0; i < nPerArm; i++) {
      const { y, x } = simulateMember(rng, s, treated);
      a.n++;
      a.sumY += y;
      a.sumY2 += y * y;
      a.sumX += x;
      a.sumX2 += x * x;
      a.sumXY += x * y;
    }
    return a;
  };
  return { treatment: arm(true), control: arm(false) };
}
