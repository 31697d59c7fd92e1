/**
 * The CLTV settings form (client-safe: no server imports). Percentages and amounts are typed as decimals and turned
 * into integers here, once: basis points and minor units (never floats for money).
 */
import { z } from "zod";

const PERCENT = /^\d{1,3}(\.\d{1,2})?$/;

/** "12.5" with 2 digits → 1250. The input is already checked to be a plain decimal with at most `digits` decimals. */
export function decimalToScaled(value: string, digits: number): number {
  const [whole = "0", frac = ""] = value.split(".");
  return Number(whole) * 10 ** digits + (digits ? Number(frac.padEnd(digits, "0")) : 0);
}

export function scaledToDecimal(value: number, digits: number): string {
  if (digits === 0) return String(value);
  const whole = Math.floor(value / 10 ** digits);
  const frac = String(value % 10 ** digits).padStart(digits, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : String(whole);
}

const percent = (label: string) =>
  z
    .string({ message: `Enter the ${label} as a percentage, e.g. 40` })
    .trim()
    .regex(PERCENT, `Enter the ${label} as a percentage with at most 2 decimals, e.g. 40 or 12.5`)
    .refine((v) => Number(v) <= 100, `The ${label} must be between 0 and 100%`);

const money = (label: string, digits: number) =>
  z
    .string({ message: `Enter the ${label}, e.g. 12.50 (0 if none)` })
    .trim()
    .regex(digits ? new RegExp(`^\\d{1,9}(\\.\\d{1,${digits}})?$`) : /^\d{1,9}$/, `Enter the ${label} as an amount like ${digits ? "12.50" : "1250"} (no currency sign)`);

/** The form, for a currency with `digits` minor digits. */
export function cltvSettingsFormSchema(digits: number) {
  return z.object({
    grossMarginPercent: percent("gross margin"),
    acquisitionCost: money("acquisition cost per member", digits),
    retentionCostPerYear: money("retention cost per member per year", digits),
    discountRatePercent: percent("annual discount rate"),
    pointsCostBasis: z.enum(["point_value", "reward_cost"], { message: "Choose how rewards bought with points are costed" }).default("point_value"),
    // Model settings (issue 16 §4): lifetimes' penalizer_coef, and the period of discrete purchase opportunities.
    penalizer: z
      .string()
      .trim()
      .regex(/^\d{1,2}(\.\d{1,6})?$/, "Enter the penalizer as a number like 0.01 (0 for none)")
      .refine((v) => Number(v) <= 10, "The penalizer must be between 0 and 10")
      .default("0"),
    discretePeriodDays: z
      .string()
      .trim()
      .regex(/^\d{1,4}$/, "Enter the period in whole days, e.g. 365, or leave it empty")
      .refine((v) => Number(v) >= 1 && Number(v) <= 3660, "The period must be between 1 and 3660 days")
      .optional(),
  });
}
export type CltvSettingsForm = z.infer<ReturnType<typeof cltvSettingsFormSchema>>;
