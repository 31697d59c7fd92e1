/**
 * BG/BB (Fader, Hardie & Shang 2010, "Customer-Base Analysis in a Discrete-Time Noncontractual Setting", Marketing
 * Science 29(6)): for merchants whose customers can buy at most once per discrete opportunity (a yearly appeal, a
 * weekly class). While alive a customer buys at each opportunity with probability p ~ Beta(α, β); after each
 * opportunity an alive customer drops out with probability θ ~ Beta(γ, δ). A customer is summarised by x (repeat
 * opportunities with a purchase), t_x (the last such opportunity, 0 without one) and n (opportunities observed after
 * the first purchase); the CompressedRow's T holds n. Computed in logs; the sums run over at most n terms.
 */
import { minimizeMultiStart } from "./optimize";
import { digamma, lnBeta, lnGamma, logAddExp } from "./special";
import { type FitOptions, type ModelFitCore, fitCore, penaltyWithGradient, withNumericalGradient } from "./model-fit";
import { type CompressedRow } from "./summary";

export interface BgBbParams {
  alpha: number;
  beta: number;
  gamma: number;
  delta: number;
}

export interface BgBbFit extends BgBbParams, ModelFitCore {}

/**
 * ln L(α, β, γ, δ | x, t_x, n) (FHS 2010, eq. 5): alive through all n opportunities, or dropped out after opportunity
 * t_x + i (i = 0 … n − t_x − 1) having bought at none after t_x.
 */
export function bgbbLogLikelihood(p: BgBbParams, x: number, tx: number, n: number): number {
  const { alpha, beta, gamma, delta } = p;
  const lbAB = lnBeta(alpha, beta);
  const lbGD = lnBeta(gamma, delta);
  let ll = lnBeta(alpha + x, beta + n - x) - lbAB + lnBeta(gamma, delta + n) - lbGD;
  for (let i = 0; i <= n - tx - 1; i++) {
    ll = logAddExp(ll, lnBeta(alpha + x, beta + tx - x + i) - lbAB + lnBeta(gamma + 1, delta + tx + i) - lbGD);
  }
  return ll;
}

/**
 * Weighted total. The sum's terms depend on (x, j = t_x + i) and j only, so they are computed once per call for every
 * x and j ≤ the largest n (a few hundred lnB's) instead of once per row and i: what makes a 28-day period over two
 * years (n up to 25, ~1,000 distinct rows) fit in well under a second.
 */
export function bgbbTotalLogLikelihood(p: BgBbParams, rows: readonly CompressedRow[]): number {
  const { alpha, beta, gamma, delta } = p;
  let maxN = 0;
  let maxX = 0;
  for (const row of rows) {
    maxN = Math.max(maxN, row.T);
    maxX = Math.max(maxX, row.x);
  }
  const lbAB = lnBeta(alpha, beta);
  const lbGD = lnBeta(gamma, delta);
  // dropout[j] = ln B(γ+1, δ+j) − ln B(γ, δ); alive[n] = ln B(γ, δ+n) − ln B(γ, δ).
  const dropout = Array.from({ length: maxN + 1 }, (_, j) => lnBeta(gamma + 1, delta + j) - lbGD);
  const alive = Array.from({ length: maxN + 1 }, (_, n) => lnBeta(gamma, delta + n) - lbGD);
  // buy[x][j] = ln B(α+x, β+j−x) − ln B(α, β), j ≥ x.
  const buy = Array.from({ length: maxX + 1 }, (_, x) => Array.from({ length: maxN + 1 }, (_, j) => (j >= x ? lnBeta(alpha + x, beta + j - x) - lbAB : -Infinity)));
  let sum = 0;
  for (const row of rows) {
    const { x, tx, T: n } = row;
    const bx = buy[x]!;
    let ll = bx[n]! + alive[n]!;
    for (let j = tx; j <= n - 1; j++) ll = logAddExp(ll, bx[j]! + dropout[j]!);
    sum += row.weight * ll;
  }
  return sum;
}

export const bgbbFromLog = ([alpha = 0, beta = 0, gamma = 0, delta = 0]: readonly number[]): BgBbParams => ({
  alpha: Math.exp(alpha),
  beta: Math.exp(beta),
  gamma: Math.exp(gamma),
  delta: Math.exp(delta),
});

export function bgbbNegLogLikelihood(v: readonly number[], rows: readonly CompressedRow[]): number {
  if (v.some((vi) => Math.abs(vi) > 20)) return Infinity;
  const ll = bgbbTotalLogLikelihood(bgbbFromLog(v), rows);
  return Number.isFinite(ll) ? -ll : Infinity;
}

/**
 * Maximum likelihood on log-parameters, BFGS with a central-difference gradient from a few starts: the likelihood
 * sums over distinct (x, t_x, n), at most (n+1)(n+2)/2 + 1 of them per n, so an evaluation is cheap.
 */
export function fitBgBb(rows: readonly CompressedRow[], options: FitOptions = {}): BgBbFit {
  if (rows.length === 0) throw new Error("BG/BB fit needs at least one customer");
  const customers = rows.reduce((s, r) => s + r.weight, 0);
  const penalizer = options.penalizer ?? 0;
  const gradient = withNumericalGradient((v) => bgbbNegLogLikelihood(v, rows));
  const starts = [
    [0, 0, 0, 0],
    [Math.log(2), 0, Math.log(0.5), Math.log(3)],
  ];
  if (options.start?.length === 4) starts.unshift([...options.start]);
  const res = minimizeMultiStart((v) => penaltyWithGradient(gradient(v), v, penalizer, customers), starts);
  const params = bgbbFromLog(res.x);
  return { ...params, ...fitCore(res, { logLikelihood: bgbbTotalLogLikelihood(params, rows), penalizer, customers, uniqueRows: rows.length }) };
}

/** P(alive at opportunity n + m | x, t_x, n) (FHS 2010, eq. 11; m = 1 is "alive at the next opportunity"). */
export function bgbbProbabilityAlive(p: BgBbParams, x: number, tx: number, n: number, m = 1): number {
  const { alpha, beta, gamma, delta } = p;
  const alive = lnBeta(alpha + x, beta + n - x) - lnBeta(alpha, beta) + lnBeta(gamma, delta + n + m) - lnBeta(gamma, delta);
  return Math.exp(alive - bgbbLogLikelihood(p, x, tx, n));
}

/**
 * δ/(γ−1) · Γ(γ+δ)/Γ(1+δ) · [Γ(1+δ+n)/Γ(γ+δ+n) − Γ(1+δ+n+k)/Γ(γ+δ+n+k)]: the expected number of the next k
 * opportunities a customer alive at n survives (the dropout part of eq. 13). Removable singularity at γ = 1: the limit
 * δ·[ψ(1+δ+n+k) − ψ(1+δ+n)].
 */
function survivingOpportunities(gamma: number, delta: number, n: number, k: number): number {
  if (Math.abs(gamma - 1) < 1e-6) return delta * (digamma(1 + delta + n + k) - digamma(1 + delta + n));
  const head = lnGamma(gamma + delta) - lnGamma(1 + delta);
  const a = head + lnGamma(1 + delta + n) - lnGamma(gamma + delta + n);
  const b = head + lnGamma(1 + delta + n + k) - lnGamma(gamma + delta + n + k);
  return (delta * (Math.expm1(a) - Math.expm1(b))) / (gamma - 1);
}

/**
 * E[X(n, n + k) | x, t_x, n]: expected purchases in the next k opportunities (FHS 2010, eq. 13). k may be fractional
 * (a scoring horizon that is not a whole number of periods); the Γ form is smooth in k.
 */
export function bgbbConditionalExpectedPurchases(p: BgBbParams, k: number, x: number, tx: number, n: number): number {
  if (k <= 0) return 0;
  const { alpha, beta, gamma, delta } = p;
  const lead = lnBeta(alpha + x + 1, beta + n - x) - lnBeta(alpha, beta);
  return Math.exp(lead - bgbbLogLikelihood(p, x, tx, n)) * survivingOpportunities(gamma, delta, n, k);
}

/** E[X(n)]: expected purchases of a new customer in the first n opportunities (FHS 2010, eq. 9). */
export function bgbbExpectedPurchases(p: BgBbParams, n: number): number {
  if (n <= 0) return 0;
  return (p.alpha / (p.alpha + p.beta)) * survivingOpportunities(p.gamma, p.delta, 0, n);
}

/** P(X(n) = x) for a new customer (FHS 2010, eq. 7). */
export function bgbbProbabilityOfPurchases(p: BgBbParams, n: number, x: number): number {
  const { alpha, beta, gamma, delta } = p;
  const lnChoose = (a: number, b: number) => lnGamma(a + 1) - lnGamma(b + 1) - lnGamma(a - b + 1);
  const lbAB = lnBeta(alpha, beta);
  const lbGD = lnBeta(gamma, delta);
  let total = Math.exp(lnChoose(n, x) + lnBeta(alpha + x, beta + n - x) - lbAB + lnBeta(gamma, delta + n) - lbGD);
  for (let i = x; i <= n - 1; i++) total += Math.exp(lnChoose(i, x) + lnBeta(alpha + x, beta + i - x) - lbAB + lnBeta(gamma + 1, delta + i) - lbGD);
  return total;
}

/**
 * A discrete-opportunity summary per customer from purchase days (day numbers): opportunity k covers days
 * [d₀ + kP, d₀ + (k+1)P) after the first purchase day d₀; x counts opportunities 1 … n with a purchase, t_x is the
 * last of them (0 without one), n the opportunities completed by `lastDay` (inclusive). Purchases in the first
 * opportunity after d₀, or in the one still running, are not counted (one purchase per opportunity).
 */
export function discreteSummary(days: readonly number[], lastDay: number, periodDays: number): { x: number; tx: number; T: number } {
  const d0 = Math.min(...days);
  const n = Math.max(0, Math.floor((lastDay - d0 + 1) / periodDays) - 1);
  const bought = new Set<number>();
  for (const d of days) {
    const k = Math.floor((d - d0) / periodDays);
    if (k >= 1 && k <= n) bought.add(k);
  }
  return { x: bought.size, tx: bought.size ? Math.max(...bought) : 0, T: n };
}
