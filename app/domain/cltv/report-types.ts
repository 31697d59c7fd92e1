/** Plain data the CLTV pages render (shared by the *.server loaders and the UI components). */
import type { ClassicFigures, ClassicInputs } from "./classic";
import type { ModelComparison, PurchaseModelKind } from "./model-choice";

export interface HoldoutView {
  start: string;
  end: string;
  /** Holdout length in time units. */
  length: number;
  actual: number;
  predicted: number;
  byX: Array<{ x: string; customers: number; actualMean: number; predictedMean: number }>;
}

export interface CltvSettings {
  grossMarginBps: number;
  acquisitionCostMinor: number;
  retentionCostMinorPerYear: number;
  annualDiscountRateBps: number;
}

export interface CalibrationRow {
  /** "0" … "6", "7+": repeat purchases in calibration. */
  x: string;
  actual: number;
  expected: number;
}

export interface FitDiagnostics {
  bgnbd: { evaluations: number; gradientNorm: number; starts: number };
  gammaGamma: { evaluations: number; gradientNorm: number } | null;
  gammaGammaNote: string | null;
  /** FHL 2005 figure 2: customers by calibration repeat purchases, actual vs the model's expected count. */
  calibration: CalibrationRow[];
  /** A second fit with the last part of the history held out (FHL 2005 figure 4), or null with too little history. */
  validation: { calibrationEnd: string; holdout: HoldoutView; bgnbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number } } | null;
  settings: { grossMarginBps: number; annualDiscountRateBps: number };
  /**
   * BG/NBD, MBG/NBD and Pareto/NBD compared on the validation split (issue 16 §4); absent on fits before it and null
   * without a validation split. `scoredWith` is the model the member scores come from, fitted on every order (for
   * BG/NBD the same as the bgnbd columns).
   */
  modelChoice?: ModelComparison | null;
  scoredWith?: { kind: PurchaseModelKind; params: Record<string, number>; logLikelihood: number; converged: boolean };
  fitMs: number;
  scoreMs: number;
  writeMs: number;
}

export interface CltvModelView {
  id: string;
  modelVersion: string;
  createdAt: string;
  timeUnit: "day" | "week";
  calibrationStart: string | null;
  calibrationEnd: string;
  customers: number;
  repeatCustomers: number;
  uniqueRows: number;
  bgnbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number; converged: boolean };
  gammaGamma: { p: number; q: number; gamma: number; logLikelihood: number; customers: number } | null;
  durationMs: number;
  diagnostics: FitDiagnostics;
}

export interface SegmentRow {
  segment: "top" | "middle" | "bottom" | "at_risk";
  members: number;
  cltv12mMinor: number;
  cltv36mMinor: number;
  pastValueMinor: number;
  meanPAlive: number;
}

export interface CltvReport {
  currency: string;
  settings: CltvSettings;
  model: CltvModelView | null;
  scoredMembers: number;
  /** Members per bin of predicted 12-month CLTV, bins of equal width up to the 99th percentile (the last bin takes the rest). */
  distribution: { binWidthMinor: number; counts: number[] } | null;
  segments: SegmentRow[];
  model12mMeanMinor: number | null;
  model36mMeanMinor: number | null;
  classicInputs: ClassicInputs;
  classic: ClassicFigures;
}

export interface MemberCltv {
  predictedPurchases12m: number;
  pAlive: number;
  expectedOrderMinor: number;
  cltv12mMinor: number;
  cltv24mMinor: number;
  cltv36mMinor: number;
  percentile: number;
  segment: "top" | "middle" | "bottom" | null;
  atRisk: boolean;
  scoredAt: string | null;
}
