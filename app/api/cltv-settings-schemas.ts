import { z } from "zod";
import { allCltvSettingsSchema, type AllCltvSettings } from "~/domain/cltv/all-settings.server";

/**
 * GET/PATCH /api/v1/settings/cltv's wire shape: the domain's CLTV settings schema (app/domain/cltv/all-settings.server.ts)
 * with snake_case keys, generated from it so a new setting flows through. Descriptions for the fields known today;
 * a new one is documented by its schema alone until it gets a line here.
 */

type Snake<S extends string> = S extends `${infer H}${infer T}` ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${Snake<T>}` : S;
type Domain = typeof allCltvSettingsSchema.shape;
type WireShape = { [K in keyof Domain as Snake<K & string>]: Domain[K] };

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (k: string) => k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

const DESCRIPTIONS: Record<string, string> = {
  grossMarginBps: "Gross margin in basis points (4000 = 40%): CLTV and the incrementality report count margin, not revenue",
  acquisitionCostMinor: "What acquiring a customer costs, in minor units (classic CLV)",
  retentionCostMinorPerYear: "What keeping a customer costs per year, in minor units (classic CLV)",
  annualDiscountRateBps: "Yearly discount rate in basis points for discounting future value",
  penalizer: "L2 penalizer on the purchase models' log-parameters (0 = plain maximum likelihood; 0.001–0.1 for small merchants)",
  discretePeriodDays: "Purchase opportunities are discrete, one per this many days (BG/BB); null: purchases can happen any time",
  pointsCostBasis:
    "How the incrementality report costs rewards bought with points: `point_value` (points × the earning rules' point value) or `reward_cost` (the reward's cost to the merchant where one is set, else the point value)",
};

const wireShape = Object.fromEntries(
  Object.entries(allCltvSettingsSchema.shape).map(([k, s]) => [snake(k), DESCRIPTIONS[k] ? s.meta({ description: DESCRIPTIONS[k] }) : s]),
) as unknown as WireShape;

export const CltvSettingsResponse = z.object(wireShape).meta({ id: "CltvSettings" });
export type ApiCltvSettings = z.infer<typeof CltvSettingsResponse>;

/** PATCH: any subset of the fields (at least one), no unknown ones. */
export const CltvSettingsPatch = z
  .object(wireShape)
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, {
    message: "Give at least one setting to change",
  })
  .meta({ id: "CltvSettingsPatch" });

export function toApiCltvSettings(s: AllCltvSettings): ApiCltvSettings {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [snake(k), v])) as ApiCltvSettings;
}

export function fromApiCltvSettingsPatch(body: z.infer<typeof CltvSettingsPatch>): Partial<AllCltvSettings> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [camel(k), v])) as Partial<AllCltvSettings>;
}
