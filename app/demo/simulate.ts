import { expectedPurchases } from "~/domain/cltv/bgnbd";
import { beta, exponential, gamma, poisson, seededRng, deriveSeed, type Rng } from "~/lib/random";
import { cuped, welchFromSums, type ArmSums } from "~/domain/incrementality/stats";

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
 * Treated members also cost the merchant what the report counts as cost (issue 16 §1), each with a known expectation:
 *  - a percent-off gift at assignment (`giftPercent` off one order), used on their first order in the horizon by a
 *    `giftUseShare` of them: cost giftPercent × that order, at use;
 *  - points: `pointsPerUnit` per unit of spend, worth `pointValue` each; a member redeems a Beta(redeemA, redeemB)
 *    share of them inside the horizon (cost at the point value) and holds the rest at its end: the outstanding
 *    liability, of which a true share `breakage` will never be redeemed. The report discounts it by an ESTIMATED
 *    breakage, measured like liability.server.ts on the merchant's settled lots: `breakageHistoryLots` lots, each
 *    wholly expired with probability `breakage` (0 lots: the report knows the true breakage). One estimate per
 *    experiment, shared by every member: its error is not in the per-member variance the Welch interval sees.
 * The control arm (a loyalty holdout) gets neither. A member's value is what the report computes per member:
 *   gross margin × spend − gift used − points redeemed × point value − outstanding × point value × (1 − breakage estimate).
 *
 * The true incremental value per member over the horizon is then exact (trueIncrementalValue):
 *   margin · (E[X_T(t)] − E[X_C(t)]) · s̄                                         (s̄ = p_s·γ/(q − 1), the mean order)
 *   − giftPercent · giftUseShare · P(X_T(t) ≥ 1) · s̄                               (P(X(t) = 0) = (α/(α + t))^r)
 *   − pointsPerUnit · pointValue · E[X_T(t)] · s̄ · (E[ρ] + (1 − E[ρ]) · (1 − breakage))   (ρ the redeemed share)
 * with E[X(t)] the BG/NBD unconditional expectation: the truth counts the liability at what it will really cost.
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
  /** The merchant's gross margin on spend (the report's value counts margin, not revenue). */
  grossMargin: number;
  giftPercent: number;
  giftUseShare: number;
  pointsPerUnit: number;
  pointValue: number;
  redeemA: number;
  redeemB: number;
  breakage: number;
  breakageHistoryLots: number;
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
  grossMargin: 0.4,
  // "20% off your next order", used by 30% of the treated members who order again.
  giftPercent: 0.2,
  giftUseShare: 0.3,
  // 5 points per dollar at 1 cent a point (5% back); 40% of them redeemed on average, 30% of the rest never will be.
  pointsPerUnit: 5,
  pointValue: 0.01,
  redeemA: 2,
  redeemB: 3,
  breakage: 0.3,
  breakageHistoryLots: 0,
};

/** The same world without any program cost: the revenue effect only. */
export const NO_COST: Partial<SimulationParams> = {
  grossMargin: 1,
  giftPercent: 0,
  pointsPerUnit: 0,
};

/** The program's true incremental value per member over the horizon, net of every cost (see above). */
export function trueIncrementalValue(s: SimulationParams): number {
  const c = trueComponents(s);
  return s.grossMargin * c.revenueLift - c.gift - c.pointsRedeemed - c.liability;
}

/** Per treated (or, for revenueLift, incremental) member, the expectations the truth is made of. */
export function trueComponents(s: SimulationParams): {
  revenueLift: number;
  gift: number;
  pointsRedeemed: number;
  liability: number;
} {
  const meanOrder = (s.spendP * s.spendGamma) / (s.spendQ - 1);
  const treatedParams = {
    r: s.r,
    alpha: s.alpha / s.rateMultiplier,
    a: s.a,
    b: s.b * s.dropoutBMultiplier,
  };
  const control = expectedPurchases({ r: s.r, alpha: s.alpha, a: s.a, b: s.b }, s.horizonWeeks);
  const treated = expectedPurchases(treatedParams, s.horizonWeeks);
  const anyOrder = 1 - (treatedParams.alpha / (treatedParams.alpha + s.horizonWeeks)) ** s.r;
  const points = s.pointsPerUnit * treated * meanOrder;
  const redeemed = s.redeemA / (s.redeemA + s.redeemB);
  return {
    revenueLift: (treated - control) * meanOrder,
    gift: s.giftPercent * s.giftUseShare * anyOrder * meanOrder,
    pointsRedeemed: points * redeemed * s.pointValue,
    liability: points * (1 - redeemed) * s.pointValue * (1 - s.breakage),
  };
}

/** The report's breakage estimate for one experiment: the expired share of `breakageHistoryLots` settled lots. */
function estimatedBreakage(rng: Rng, s: SimulationParams): number {
  if (s.breakageHistoryLots <= 0) return s.breakage;
  let expired = 0;
  for (let i = 0; i < s.breakageHistoryLots; i++) if (rng() < s.breakage) expired++;
  return expired / s.breakageHistoryLots;
}

function spendOf(rng: Rng, s: SimulationParams, nu: number, orders: number): number {
  let total = 0;
  for (let i = 0; i < orders; i++) total += gamma(rng, s.spendP, nu);
  return total;
}

export interface SimulatedMember {
  /** Net value as the report counts it: margin × spend − gift used − points redeemed − outstanding liability. */
  y: number;
  /** Points still held at the horizon's end (the report's b), before any breakage. */
  outstandingPoints: number;
  /** Points redeemed inside the horizon. */
  redeemedPoints: number;
  /** Spend in the horizon after assignment (revenue). */
  revenue: number;
  /** Spend in the pre-period (the CUPED covariate). */
  x: number;
  gift: number;
  pointsRedeemed: number;
  liability: number;
}

/** One member; `breakageEstimate` is the report's (estimatedBreakage), the same for every member of the experiment. */
export function simulateMember(rng: Rng, s: SimulationParams, treated: boolean, breakageEstimate = s.breakage): SimulatedMember {
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
  // The orders one by one (the same draws as one spendOf): the gift is used on the first.
  let revenue = 0;
  let first = 0;
  for (let i = 0; i < orders; i++) {
    const amount = gamma(rng, s.spendP, nu);
    if (i === 0) first = amount;
    revenue += amount;
  }
  let gift = 0;
  let pointsRedeemed = 0;
  let liability = 0;
  let redeemedPoints = 0;
  let outstandingPoints = 0;
  if (treated) {
    if (orders > 0 && s.giftPercent > 0 && rng() < s.giftUseShare) gift = s.giftPercent * first;
    if (s.pointsPerUnit > 0) {
      const points = s.pointsPerUnit * revenue;
      const redeemed = beta(rng, s.redeemA, s.redeemB);
      redeemedPoints = points * redeemed;
      outstandingPoints = points - redeemedPoints;
      pointsRedeemed = redeemedPoints * s.pointValue;
      liability = outstandingPoints * s.pointValue * (1 - breakageEstimate);
    }
  }
  const y = s.grossMargin * revenue - gift - pointsRedeemed - liability;
  return {
    y,
    revenue,
    x,
    gift,
    pointsRedeemed,
    liability,
    outstandingPoints,
    redeemedPoints,
  };
}

export interface SimulatedExperiment {
  /** Net value per member (the report's outcome) with pre-period spend as the covariate. */
  treatment: ArmSums;
  control: ArmSums;
  /** The same members' revenue. */
  revenue: { treatment: ArmSums; control: ArmSums };
  /** The treated arm's mean costs per member, and the breakage the report used. */
  costs: {
    gift: number;
    pointsRedeemed: number;
    liability: number;
    breakageEstimate: number;
  };
  /**
   * Per arm, the sums the report's SQL returns (report.server.ts ArmRow): value before the liability v, outstanding
   * points b and their cross sums, so the report's own assembly can apply the liability (the test feeds it these).
   */
  reportSums: { treatment: ReportSums; control: ReportSums };
}

export interface ReportSums {
  n: number;
  sumRevenue: number;
  sumRevenue2: number;
  sumXRevenue: number;
  sumX: number;
  sumX2: number;
  sumV: number;
  sumV2: number;
  sumXV: number;
  sumB: number;
  sumB2: number;
  sumVB: number;
  sumXB: number;
  redeemedPoints: number;
  rewards: number;
}

function addReportSums(r: ReportSums, m: SimulatedMember): void {
  // v: the value the report's SQL computes per member, before the liability it applies on assembly.
  const v = m.y + m.liability;
  const b = m.outstandingPoints;
  r.n++;
  r.sumRevenue += m.revenue;
  r.sumRevenue2 += m.revenue * m.revenue;
  r.sumXRevenue += m.x * m.revenue;
  r.sumX += m.x;
  r.sumX2 += m.x * m.x;
  r.sumV += v;
  r.sumV2 += v * v;
  r.sumXV += m.x * v;
  r.sumB += b;
  r.sumB2 += b * b;
  r.sumVB += v * b;
  r.sumXB += m.x * b;
  r.redeemedPoints += m.redeemedPoints;
  r.rewards += m.gift;
}

const emptyReportSums = (): ReportSums => ({
  n: 0,
  sumRevenue: 0,
  sumRevenue2: 0,
  sumXRevenue: 0,
  sumX: 0,
  sumX2: 0,
  sumV: 0,
  sumV2: 0,
  sumXV: 0,
  sumB: 0,
  sumB2: 0,
  sumVB: 0,
  sumXB: 0,
  redeemedPoints: 0,
  rewards: 0,
});

/** One experiment: the two arms' sufficient statistics, as the report's SQL would return them. */
export function simulateExperiment(seed: number, run: number, nPerArm: number, s: SimulationParams = DEFAULT_SIMULATION): SimulatedExperiment {
  const rng = seededRng(deriveSeed(seed, run));
  const breakageEstimate = estimatedBreakage(rng, s);
  const costs = { gift: 0, pointsRedeemed: 0, liability: 0, breakageEstimate };
  const empty = (): ArmSums => ({
    n: 0,
    sumY: 0,
    sumY2: 0,
    sumX: 0,
    sumX2: 0,
    sumXY: 0,
  });
  const add = (a: ArmSums, y: number, x: number) => {
    a.n++;
    a.sumY += y;
    a.sumY2 += y * y;
    a.sumX += x;
    a.sumX2 += x * x;
    a.sumXY += x * y;
  };
  const arm = (treated: boolean) => {
    const value = empty();
    const revenue = empty();
    const report = emptyReportSums();
    for (let i = 0; i < nPerArm; i++) {
      const m = simulateMember(rng, s, treated, breakageEstimate);
      add(value, m.y, m.x);
      add(revenue, m.revenue, m.x);
      addReportSums(report, m);
      if (treated) {
        costs.gift += m.gift / nPerArm;
        costs.pointsRedeemed += m.pointsRedeemed / nPerArm;
        costs.liability += m.liability / nPerArm;
      }
    }
    return { value, revenue, report };
  };
  const t = arm(true);
  const c = arm(false);
  return {
    treatment: t.value,
    control: c.value,
    revenue: { treatment: t.revenue, control: c.revenue },
    costs,
    reportSums: { treatment: t.report, control: c.report },
  };
}

export interface CoverageResult {
  runs: number;
  truth: number;
  /** Runs whose 95% interval contains the truth, per estimator. */
  covered: { plain: number; cuped: number };
  /** Mean estimate and its standard error over the runs, per estimator. */
  meanLift: { plain: number; cuped: number };
  seOfMean: { plain: number; cuped: number };
  /** Runs whose interval lies wholly above / below the truth (plain): which side the misses fall on. */
  missesAbove: number;
  missesBelow: number;
}

/** The report's Welch and CUPED intervals over `runs` simulated experiments (seeds derived from `seed`). */
export function simulateCoverage(seed: number, runs: number, nPerArm: number, s: SimulationParams = DEFAULT_SIMULATION): CoverageResult {
  const truth = trueIncrementalValue(s);
  const lifts = { plain: [] as number[], cuped: [] as number[] };
  const covered = { plain: 0, cuped: 0 };
  let missesAbove = 0;
  let missesBelow = 0;
  for (let i = 0; i < runs; i++) {
    const e = simulateExperiment(seed, i, nPerArm, s);
    const byKind = {
      plain: welchFromSums(e.treatment, e.control),
      cuped: cuped(e.treatment, e.control),
    };
    for (const k of ["plain", "cuped"] as const) {
      const c = byKind[k];
      lifts[k].push(c.lift);
      if (c.ci95[0] <= truth && truth <= c.ci95[1]) covered[k]++;
    }
    if (byKind.plain.ci95[0] > truth) missesAbove++;
    if (byKind.plain.ci95[1] < truth) missesBelow++;
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const seOfMean = (xs: number[]) => {
    const m = mean(xs);
    return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1) / xs.length);
  };
  return {
    runs,
    truth,
    covered,
    meanLift: { plain: mean(lifts.plain), cuped: mean(lifts.cuped) },
    seOfMean: { plain: seOfMean(lifts.plain), cuped: seOfMean(lifts.cuped) },
    missesAbove,
    missesBelow,
  };
}
