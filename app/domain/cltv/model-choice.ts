/**
 * The three purchase-count models side by side (issue 16 §4): BG/NBD, MBG/NBD and Pareto/NBD fitted on the same
 * calibration summary, compared by log-likelihood, AIC and per-customer mean absolute error on the holdout, with
 * parameter standard errors; the model with the lowest holdout error is the merchant's choice.
 */
import { seededRng } from "~/lib/random";
import { bgbbConditionalExpectedPurchases, bgbbFromLog, bgbbNegLogLikelihood, bgbbProbabilityAlive, fitBgBb } from "./bgbb";
import { bgnbdFromLog, bgnbdNegLogLikelihood, conditionalExpectedPurchases, fitBgNbd, probabilityAlive } from "./bgnbd";
import { fitMbgNbd, mbgnbdConditionalExpectedPurchases, mbgnbdFromLog, mbgnbdNegLogLikelihoodWithGradient, mbgnbdProbabilityAlive } from "./mbgnbd";
import { type FitOptions } from "./model-fit";
import { fitParetoNbd, paretoNbdConditionalExpectedPurchases, paretoNbdFromLog, paretoNbdNegLogLikelihood, paretoNbdProbabilityAlive, paretoNbdWarmStart } from "./pareto-nbd";
import { compress, type CompressedRow } from "./summary";
import { parameterUncertainty, type ParameterUncertainty } from "./uncertainty";

import { PURCHASE_MODEL_KINDS, PURCHASE_MODEL_LABELS, type PurchaseModelKind } from "./purchase-model-kinds";

export { PURCHASE_MODEL_KINDS, PURCHASE_MODEL_LABELS, type PurchaseModelKind };

/** A fitted model reduced to what scoring needs. */
export interface PurchasePredictor {
  kind: PurchaseModelKind;
  params: Record<string, number>;
  /** E[Y(t) | x, t_x, T]. */
  expected(t: number, x: number, tx: number, T: number): number;
  pAlive(x: number, tx: number, T: number): number;
}

interface ModelSpec {
  names: readonly string[];
  fit(rows: readonly CompressedRow[], options: FitOptions): { logParams: number[]; logLikelihood: number; converged: boolean };
  negLogLikelihood(v: readonly number[], rows: readonly CompressedRow[]): number;
  predictor(v: readonly number[]): PurchasePredictor;
}

const named = (names: readonly string[], v: readonly number[]) => Object.fromEntries(names.map((n, i) => [n, Math.exp(v[i] ?? 0)]));

export const PURCHASE_MODELS: Record<PurchaseModelKind, ModelSpec> = {
  bgnbd: {
    names: ["r", "alpha", "a", "b"],
    fit: fitBgNbd,
    negLogLikelihood: bgnbdNegLogLikelihood,
    predictor: (v) => {
      const p = bgnbdFromLog(v);
      return { kind: "bgnbd", params: named(["r", "alpha", "a", "b"], v), expected: (t, x, tx, T) => conditionalExpectedPurchases(p, t, x, tx, T), pAlive: (x, tx, T) => probabilityAlive(p, x, tx, T) };
    },
  },
  mbgnbd: {
    names: ["r", "alpha", "a", "b"],
    fit: fitMbgNbd,
    negLogLikelihood: (v, rows) => mbgnbdNegLogLikelihoodWithGradient(v, rows).f,
    predictor: (v) => {
      const p = mbgnbdFromLog(v);
      return { kind: "mbgnbd", params: named(["r", "alpha", "a", "b"], v), expected: (t, x, tx, T) => mbgnbdConditionalExpectedPurchases(p, t, x, tx, T), pAlive: (x, tx, T) => mbgnbdProbabilityAlive(p, x, tx, T) };
    },
  },
  pareto_nbd: {
    names: ["r", "alpha", "s", "beta"],
    fit: fitParetoNbd,
    negLogLikelihood: paretoNbdNegLogLikelihood,
    predictor: (v) => {
      const p = paretoNbdFromLog(v);
      return { kind: "pareto_nbd", params: named(["r", "alpha", "s", "beta"], v), expected: (t, x, tx, T) => paretoNbdConditionalExpectedPurchases(p, t, x, tx, T), pAlive: (x, tx, T) => paretoNbdProbabilityAlive(p, x, tx, T) };
    },
  },
  // Time in opportunities, T = n; P(alive) at the next opportunity, E[Y(t)] over the next t (fractional) opportunities.
  bgbb: {
    names: ["alpha", "beta", "gamma", "delta"],
    fit: fitBgBb,
    negLogLikelihood: bgbbNegLogLikelihood,
    predictor: (v) => {
      const p = bgbbFromLog(v);
      return { kind: "bgbb", params: named(["alpha", "beta", "gamma", "delta"], v), expected: (t, x, tx, T) => bgbbConditionalExpectedPurchases(p, t, x, tx, T), pAlive: (x, tx, T) => bgbbProbabilityAlive(p, x, tx, T) };
    },
  },
};

/** The predictor of stored parameters (e.g. a model's `scoredWith` in its diagnostics). */
export function predictorFromParams(kind: PurchaseModelKind, params: Record<string, number>): PurchasePredictor {
  const spec = PURCHASE_MODELS[kind];
  return spec.predictor(spec.names.map((n) => Math.log(params[n] ?? Number.NaN)));
}

/** ln θ of stored parameters in the model's order: a warm start for a refit (e.g. a comparison row's `params`), or where the scoring fit's uncertainty is taken. */
export function logParamsOf(kind: PurchaseModelKind, params: Record<string, number>): number[] {
  return PURCHASE_MODELS[kind].names.map((n) => Math.log(params[n] ?? Number.NaN));
}

/** Fits one model on full data (what scoring uses once the model is chosen). */
export function fitPurchaseModel(kind: PurchaseModelKind, rows: readonly CompressedRow[], options: FitOptions = {}): PurchasePredictor & { logLikelihood: number; converged: boolean } {
  const spec = PURCHASE_MODELS[kind];
  const fit = spec.fit(rows, options);
  return { ...spec.predictor(fit.logParams), logLikelihood: fit.logLikelihood, converged: fit.converged };
}

export interface ModelComparisonRow {
  kind: PurchaseModelKind;
  params: Record<string, number>;
  /** SE of each parameter (delta method from the inverse Hessian on log-parameters); null when the Hessian is singular. */
  standardErrors: Record<string, number> | null;
  logLikelihood: number;
  /** 2k − 2ℓ, k = 4 for every model here. */
  aic: number;
  /** Mean over customers of |holdout repeat purchases − E[Y(holdout) | x, t_x, T]|. */
  holdoutMae: number;
  holdoutPredicted: number;
  converged: boolean;
  ridge: boolean;
}

export interface ModelComparison {
  models: ModelComparisonRow[];
  chosen: PurchaseModelKind;
  /** Customers the comparison was run on (a seeded sample when the merchant has more than COMPARISON_MAX_CUSTOMERS). */
  customers: number;
  holdoutActual: number;
  repeatBuyers: number;
  penalizer: number;
  warnings: string[];
}

/** Below this many repeat buyers the fits are warned about (the likelihood has little to pin dropout on). */
export const MIN_RELIABLE_REPEAT_BUYERS = 50;
/**
 * The comparison runs on at most this many customers (a seeded sample): the choice does not need every customer, and
 * the Pareto/NBD fit costs ~1 s per 1,000 distinct (x, t_x, T) rows. The chosen model is then fitted on everyone.
 */
export const COMPARISON_MAX_CUSTOMERS = 2000;

const PENALIZER_HINT = "set a penalizer in Settings › CLTV (e.g. 0.01) to keep the parameters plausible.";

/** The warning for too few repeat buyers (null when there are enough), worded for the penalizer in use. */
export function repeatBuyerWarning(repeatBuyers: number, penalizer: number): string | null {
  if (repeatBuyers >= MIN_RELIABLE_REPEAT_BUYERS) return null;
  return (
    `Only ${repeatBuyers} customer(s) bought more than once (fewer than ${MIN_RELIABLE_REPEAT_BUYERS}): every fit is uncertain; ` +
    (penalizer > 0 ? `the penalizer ${penalizer} shrinks the parameters towards 1.` : PENALIZER_HINT)
  );
}

/** The warning for a fit on a ridge: which parameter is barely determined, or a singular Hessian. */
export function ridgeWarning(label: string, names: readonly string[], u: ParameterUncertainty, penalizer: number): string {
  const worst = u.logStandardErrors.indexOf(Math.max(...u.logStandardErrors));
  const se = u.logStandardErrors[worst];
  return (
    `${label} sits on a ridge: ` +
    (u.logCovariance ? `${names[worst]} is barely determined (SE of its log ${se?.toFixed(2)}); ` : "the likelihood is flat in some direction (singular Hessian); ") +
    (penalizer > 0 ? `the penalizer is ${penalizer}: a larger one pins it more.` : PENALIZER_HINT)
  );
}

export interface HoldoutCustomer {
  x: number;
  tx: number;
  T: number;
  holdoutPurchases: number;
}

function sample<T>(items: readonly T[], max: number, seed: number): readonly T[] {
  if (items.length <= max) return items;
  // Partial Fisher–Yates on a copy: the first `max` are a uniform sample without replacement.
  const rng = seededRng(seed);
  const copy = items.slice();
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(rng() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, max);
}

/**
 * Fits every model on the calibration summaries and scores each on the holdout of length `holdoutLength` (time
 * units). Ties on holdout error keep the earlier model in PURCHASE_MODEL_KINDS (BG/NBD first: the incumbent).
 */
export function compareModels(
  all: readonly HoldoutCustomer[],
  holdoutLength: number,
  options: FitOptions & { seed?: number; maxCustomers?: number; /** false: every model from its generic starts (the benchmark's baseline). */ warmStart?: boolean } = {},
): ModelComparison {
  const customers = sample(all, options.maxCustomers ?? COMPARISON_MAX_CUSTOMERS, options.seed ?? 16);
  const rows = compress(customers);
  const penalizer = options.penalizer ?? 0;
  const repeatBuyers = customers.filter((c) => c.x > 0).length;
  const holdoutActual = customers.reduce((s, c) => s + c.holdoutPurchases, 0);
  const warnings: string[] = [];
  const few = repeatBuyerWarning(repeatBuyers, penalizer);
  if (few) warnings.push(few);
  let bgLogParams: number[] | null = null;
  const models = PURCHASE_MODEL_KINDS.map((kind): ModelComparisonRow => {
    const spec = PURCHASE_MODELS[kind];
    // BG/NBD is fitted first (PURCHASE_MODEL_KINDS' order) and warm-starts the Pareto/NBD, whose numerical gradient
    // makes every iteration cost nine likelihoods.
    const start = kind === "pareto_nbd" && bgLogParams && options.warmStart !== false ? paretoNbdWarmStart(bgnbdFromLog(bgLogParams)) : undefined;
    const fit = spec.fit(rows, { penalizer, start });
    if (kind === "bgnbd") bgLogParams = fit.logParams;
    const predictor = spec.predictor(fit.logParams);
    const u = parameterUncertainty((v) => spec.negLogLikelihood(v, rows), fit.logParams);
    let absError = 0;
    let predicted = 0;
    for (const c of customers) {
      const e = holdoutLength > 0 ? predictor.expected(holdoutLength, c.x, c.tx, c.T) : 0;
      predicted += e;
      absError += Math.abs(c.holdoutPurchases - e);
    }
    const n = customers.length || 1;
    if (u.ridge) warnings.push(ridgeWarning(PURCHASE_MODEL_LABELS[kind], spec.names, u, penalizer));
    return {
      kind,
      params: predictor.params,
      standardErrors: u.logCovariance ? Object.fromEntries(spec.names.map((name, i) => [name, u.standardErrors[i]!])) : null,
      logLikelihood: fit.logLikelihood,
      aic: 2 * spec.names.length - 2 * fit.logLikelihood,
      holdoutMae: absError / n,
      holdoutPredicted: predicted,
      converged: fit.converged,
      ridge: u.ridge,
    };
  });
  const finite = models.filter((m) => Number.isFinite(m.holdoutMae));
  const chosen = finite.reduce<ModelComparisonRow | null>((best, m) => (!best || m.holdoutMae < best.holdoutMae ? m : best), null)?.kind ?? "bgnbd";
  return { models, chosen, customers: customers.length, holdoutActual, repeatBuyers, penalizer, warnings };
}
