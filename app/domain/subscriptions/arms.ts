/**
 * What a program does to churn (issue 16 §5): the sBG fitted per arm of a holdout experiment, on the subscriptions its
 * members started after assignment, and the difference in discounted expected lifetime (DEL) with a delta-method
 * interval. Pure.
 */
import { discountedExpectedLifetime, fitSbg, survival, type SbgParams } from "./sbg";
import { sbgDataFromLives, type LifeRow } from "./summary";

export interface ArmRetention {
  arm: string;
  subscribers: number;
  churns: number;
  fit: { alpha: number; beta: number } | null;
  /** DEL in months and its standard error (delta method over the fit's covariance); null without a fit. */
  delMonths: number | null;
  delSe: number | null;
  /** Model retention S(k) after 1, 3, 6 and 12 months. */
  survival: Record<1 | 3 | 6 | 12, number> | null;
}

export interface ArmComparison {
  arms: ArmRetention[];
  /** treatment DEL − control DEL (months) with a normal 95% interval; null unless both arms have fits. */
  delDifference: { estimate: number; lower: number; upper: number } | null;
}

/** DEL's gradient in (ln α, ln β) by central differences (DEL is smooth in both). */
function delGradient(p: SbgParams, d: number): [number, number] {
  const h = 1e-5;
  const at = (la: number, lb: number) => discountedExpectedLifetime({ alpha: Math.exp(la), beta: Math.exp(lb) }, d);
  const la = Math.log(p.alpha);
  const lb = Math.log(p.beta);
  return [(at(la + h, lb) - at(la - h, lb)) / (2 * h), (at(la, lb + h) - at(la, lb - h)) / (2 * h)];
}

/** `monthlyDiscount` must be positive (DEL diverges without discounting when α ≤ 1). */
export function armRetention(arm: string, lives: readonly LifeRow[], monthlyDiscount: number): ArmRetention {
  const data = sbgDataFromLives(lives);
  const churns = data.churned.reduce((n, x) => n + x, 0);
  const subscribers = churns + data.alive.reduce((n, x) => n + x, 0);
  if (churns === 0 || churns === subscribers) return { arm, subscribers, churns, fit: null, delMonths: null, delSe: null, survival: null };
  const f = fitSbg(data);
  const del = discountedExpectedLifetime(f, monthlyDiscount);
  const cov = f.uncertainty.logCovariance;
  let delSe: number | null = null;
  if (cov) {
    const g = delGradient(f, monthlyDiscount);
    delSe = Math.sqrt(g[0] * g[0] * cov[0]![0]! + 2 * g[0] * g[1] * cov[0]![1]! + g[1] * g[1] * cov[1]![1]!);
  }
  const s = (k: number) => survival(f, k);
  return { arm, subscribers, churns, fit: { alpha: f.alpha, beta: f.beta }, delMonths: del, delSe, survival: { 1: s(1), 3: s(3), 6: s(6), 12: s(12) } };
}

export function compareArms(byArm: ReadonlyMap<string, readonly LifeRow[]>, monthlyDiscount: number, treatment: string, control: string): ArmComparison {
  const arms = [...byArm.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([arm, lives]) => armRetention(arm, lives, monthlyDiscount));
  const t = arms.find((a) => a.arm === treatment);
  const c = arms.find((a) => a.arm === control);
  let delDifference: ArmComparison["delDifference"] = null;
  if (t?.delMonths != null && c?.delMonths != null && t.delSe != null && c.delSe != null) {
    const estimate = t.delMonths - c.delMonths;
    const se = Math.sqrt(t.delSe ** 2 + c.delSe ** 2);
    delDifference = { estimate, lower: estimate - 1.96 * se, upper: estimate + 1.96 * se };
  }
  return { arms, delDifference };
}
