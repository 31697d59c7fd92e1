/**
 * The scoring fit's uncertainty (issue 16 §4; pure): the standard errors of the model the members are scored with,
 * fitted on every order (the comparison's are on the calibration part), its warnings, and the parameter draws the
 * per-member intervals share (score-intervals.ts).
 */
import { gammaGammaTotalLogLikelihood, type GammaGammaParams, type SpendRow } from "./gamma-gamma";
import { logParamsOf, PURCHASE_MODEL_LABELS, PURCHASE_MODELS, repeatBuyerWarning, ridgeWarning, type PurchaseModelKind, type PurchasePredictor } from "./model-choice";
import { INTERVAL_DRAWS } from "./score-intervals";
import type { CompressedRow } from "./summary";
import { drawLogParams, parameterUncertainty } from "./uncertainty";

export interface ScoringUncertainty {
  warnings: string[];
  /** Per-draw predictors and Gamma-Gamma parameters; null when the purchase model sits on a ridge (no intervals). */
  draws: { purchase: PurchasePredictor[]; spend: GammaGammaParams[] | null } | null;
  /** SE(ln θ) of the scored purchase model, by parameter name (NaN on a singular Hessian). */
  logStandardErrors: Record<string, number>;
  /** Why Gamma-Gamma's parameters are held at their estimate in every draw, if they are. */
  spendNote: string | null;
}

/**
 * What a scoring run stores beside FitDiagnostics (score.server.ts): the settings the fit used and the scored model's
 * own warnings and interval bookkeeping. Here, in pure code, so the CLTV page's card reads the same type.
 */
export interface ScoringDiagnostics {
  penalizer: number;
  /** The opportunity period when BG/BB scored the members (Settings › CLTV), else null. */
  discretePeriodDays?: number | null;
  /** Warnings about the fit that scores the members (too few repeat buyers, a ridge), besides the comparison's. */
  warnings: string[];
  /** 90% intervals: draws shared by every member and what they cost; null when the Hessian gave no covariance. */
  intervals: { level: number; draws: number; ms: number; spendNote: string | null } | null;
  logStandardErrors: Record<string, number>;
  /** Gamma-Gamma's independence check: corr(repeat frequency, mean repeat spend) over repeat customers. */
  spendIndependence?: SpendIndependence;
}

const ggFromLog = ([p = 0, q = 0, gamma = 0]: readonly number[]): GammaGammaParams => ({ p: Math.exp(p), q: Math.exp(q), gamma: Math.exp(gamma) });

export function scoringUncertainty(input: {
  kind: PurchaseModelKind;
  params: Record<string, number>;
  rows: readonly CompressedRow[];
  repeatBuyers: number;
  penalizer: number;
  gammaGamma: GammaGammaParams | null;
  spendRows: readonly SpendRow[];
  draws?: number;
  seed?: number;
}): ScoringUncertainty {
  const spec = PURCHASE_MODELS[input.kind];
  const v = logParamsOf(input.kind, input.params);
  const customers = input.rows.reduce((s, r) => s + r.weight, 0);
  // With a penalizer the fit is a posterior mode: its curvature includes the penalty's (2·penalizer·customers per ln θ).
  const k = input.penalizer * customers;
  const u = parameterUncertainty((w) => spec.negLogLikelihood(w, input.rows) + k * w.reduce((s, wi) => s + wi * wi, 0), v);
  const warnings: string[] = [];
  const few = repeatBuyerWarning(input.repeatBuyers, input.penalizer);
  if (few) warnings.push(few);
  if (u.ridge) warnings.push(ridgeWarning(`${PURCHASE_MODEL_LABELS[input.kind]} (fitted on every order, scores the members)`, spec.names, u, input.penalizer));
  const logStandardErrors = Object.fromEntries(spec.names.map((n, i) => [n, u.logStandardErrors[i]!]));
  const count = input.draws ?? INTERVAL_DRAWS;
  const seed = input.seed ?? 16;
  // On a ridge no intervals: draws ×/÷ e^(2·SE) away would say little beyond "very uncertain", which the warning
  // says, and far-off Pareto/NBD draws make its ₂F₁ series slow.
  const drawn = u.logCovariance && !u.ridge ? drawLogParams(v, u.logCovariance, count, seed) : null;
  if (!drawn) return { warnings, draws: null, logStandardErrors, spendNote: null };

  let spend: GammaGammaParams[] | null = null;
  let spendNote: string | null = null;
  if (input.gammaGamma) {
    const g = input.gammaGamma;
    const gv = [Math.log(g.p), Math.log(g.q), Math.log(g.gamma)];
    const gu = parameterUncertainty((w) => -gammaGammaTotalLogLikelihood(ggFromLog(w), input.spendRows), gv);
    const gDrawn = gu.logCovariance ? drawLogParams(gv, gu.logCovariance, count, seed + 1) : null;
    if (gDrawn) spend = gDrawn.map(ggFromLog);
    else {
      spend = drawn.map(() => g);
      spendNote = "Gamma-Gamma's Hessian is singular: the intervals hold expected spend at its estimate.";
    }
  }
  return { warnings, draws: { purchase: drawn.map((d) => spec.predictor(d)), spend }, logStandardErrors, spendNote };
}

/**
 * Gamma-Gamma assumes a customer's spend per transaction is independent of how often they buy. The check the
 * literature uses is the correlation of repeat frequency and mean repeat spend across repeat customers: Fader, Hardie
 * & Lee (2005, "RFM and CLV: Using Iso-Value Curves", §3) find 0.11 on CDNOW and proceed; lifetimes' documentation
 * ("the Gamma-Gamma submodel … assumes that there is no relationship between the monetary value and the purchase
 * frequency; in practice we need to check whether the Pearson correlation between the two vectors is close to 0").
 * The flag at |r| > 0.3 is our rule of thumb for "not close to 0" (a moderate correlation in the usual reading).
 */
export const SPEND_INDEPENDENCE_MAX_ABS_R = 0.3;

export interface SpendIndependence {
  /** Pearson r of x and mean repeat spend over repeat customers with spend; null below 3 such customers or no variance. */
  r: number | null;
  customers: number;
  flagged: boolean;
}

export function spendIndependence(rows: readonly { x: number; m: number; weight?: number }[]): SpendIndependence {
  let n = 0;
  let sx = 0;
  let sm = 0;
  for (const r of rows) {
    const w = r.weight ?? 1;
    n += w;
    sx += w * r.x;
    sm += w * r.m;
  }
  if (n < 3) return { r: null, customers: n, flagged: false };
  const mx = sx / n;
  const mm = sm / n;
  let cxx = 0;
  let cmm = 0;
  let cxm = 0;
  for (const r of rows) {
    const w = r.weight ?? 1;
    cxx += w * (r.x - mx) ** 2;
    cmm += w * (r.m - mm) ** 2;
    cxm += w * (r.x - mx) * (r.m - mm);
  }
  if (!(cxx > 0 && cmm > 0)) return { r: null, customers: n, flagged: false };
  const r = cxm / Math.sqrt(cxx * cmm);
  return { r, customers: n, flagged: Math.abs(r) > SPEND_INDEPENDENCE_MAX_ABS_R };
}
