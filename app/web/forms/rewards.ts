import { z } from "zod";
import { formatMajorAmount, isoToLocalInput, localInputToIso, parseMajorAmount } from "./fields";
import { crossFieldIssues, RewardInputSchema, type RewardInput } from "~/domain/rewards/schemas";
import { minorDigits } from "~/lib/money";

/**
 * The catalog editor's form ⇄ RewardInput. What people type: amounts in major units ("5.00"), dates as local
 * date-times in the merchant's time zone, empty meaning "none". Pure: the route action (authoritative) and the
 * browser (validation on blur) share it. Errors land on the form's own field names.
 */

const text = z.string().optional();
const RawForm = z.object({
  name: text,
  description: text,
  kind: text,
  pointsCost: text,
  discount: text,
  percentOff: text,
  minOrder: text,
  maxDiscount: text,
  productName: text,
  cost: text,
  minTierId: text,
  stockTotal: text,
  limitCount: text,
  limitPeriod: text,
  codeValidDays: text,
  startsAt: text,
  endsAt: text,
});
export type RewardFormValues = z.input<typeof RawForm>;

// Domain field → form field, where they differ.
const ALIAS: Record<string, string> = { discountMinor: "discount", minOrderMinor: "minOrder", maxDiscountMinor: "maxDiscount", costMinor: "cost" };

const blank = (s: string | undefined) => s === undefined || s.trim() === "";

const TYPE_FIELDS: Record<string, readonly string[]> = {
  fixed_discount: ["discount"],
  percent_discount: ["percentOff", "minOrder"],
  free_product: ["productName"],
  store_credit: ["discount"],
  gift: [],
  points_discount: ["discount", "maxDiscount"],
};
const TYPE_SPECIFIC = ["discount", "percentOff", "minOrder", "maxDiscount", "productName"] as const;

/** Whether a type-specific field applies to the reward type (the editor hides the others; the schema ignores them). */
export function uses(kind: string | undefined, field: (typeof TYPE_SPECIFIC)[number]): boolean {
  return (TYPE_FIELDS[kind ?? ""] ?? []).includes(field);
}

export function rewardFormSchema(currency: string, timezone: string) {
  const digits = minorDigits(currency);
  return RawForm.transform((input, ctx): RewardInput => {
    // Fields of other reward types are hidden in the editor but still submitted: they mean nothing here.
    const raw = { ...input };
    for (const field of TYPE_SPECIFIC) if (!uses(raw.kind, field)) raw[field] = undefined;
    const fail = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    const int = (field: keyof typeof raw, label: string): number | null => {
      const v = raw[field];
      if (blank(v)) return null;
      if (!/^-?\d{1,12}$/.test(v!.trim())) {
        fail(field, `${label} must be a whole number`);
        return null;
      }
      return Number(v);
    };
    const money = (field: keyof typeof raw, label: string): number | null => {
      const v = raw[field];
      if (blank(v)) return null;
      const minor = parseMajorAmount(v!, digits);
      if (minor === null) fail(field, `${label} must be an amount like ${formatMajorAmount(500, digits)}`);
      return minor;
    };
    const when = (field: "startsAt" | "endsAt", label: string): Date | null => {
      const v = raw[field];
      if (blank(v)) return null;
      const iso = localInputToIso(v!, timezone);
      if (!iso) fail(field, `${label} must be a date and time`);
      return iso ? new Date(iso) : null;
    };
    const candidate = {
      name: raw.name ?? "",
      description: raw.description ?? "",
      kind: raw.kind,
      pointsCost: blank(raw.pointsCost) ? undefined : (int("pointsCost", "Points cost") ?? undefined),
      discountMinor: money("discount", "Amount"),
      percentOff: int("percentOff", "Percent"),
      minOrderMinor: money("minOrder", "Minimum order"),
      maxDiscountMinor: money("maxDiscount", "Cap"),
      productName: blank(raw.productName) ? null : raw.productName!.trim(),
      costMinor: money("cost", "Cost"),
      minTierId: blank(raw.minTierId) ? null : raw.minTierId!.trim(),
      stockTotal: int("stockTotal", "Stock"),
      limitCount: int("limitCount", "Limit"),
      limitPeriod: blank(raw.limitPeriod) ? null : raw.limitPeriod,
      codeValidDays: int("codeValidDays", "Validity"),
      startsAt: when("startsAt", "Start"),
      endsAt: when("endsAt", "End"),
    };
    const parsed = RewardInputSchema.safeParse(candidate);
    if (!parsed.success) {
      const seen = new Set<string>();
      const report = (key: string, message: string) => {
        const path = ALIAS[key] ?? key;
        if (seen.has(`${path}:${message}`)) return;
        seen.add(`${path}:${message}`);
        fail(path, message);
      };
      for (const issue of parsed.error.issues) report(String(issue.path[0] ?? ""), issue.message);
      // The schema skips cross-field rules while a field is invalid; report them too, so every error shows at once.
      for (const issue of crossFieldIssues(candidate)) report(issue.path, issue.message);
      return z.NEVER;
    }
    return parsed.data;
  });
}

/** A new reward's initial values: every field present (Conform reports errors on submit for the fields it knows). */
export function blankRewardForm(): RewardFormValues {
  const keys = Object.keys(RawForm.shape) as Array<keyof RewardFormValues>;
  return { ...Object.fromEntries(keys.map((k) => [k, ""])), kind: "fixed_discount", pointsCost: "500" };
}

/** A stored reward as the form's initial values. */
export function rewardToForm(
  r: {
    name: string;
    description: string;
    kind: string;
    points_cost: number;
    discount_minor: number | null;
    percent_off: number | null;
    min_order_minor: number | null;
    max_discount_minor: number | null;
    product_name: string | null;
    cost_minor?: number | null;
    min_tier_id: string | null;
    stock_total: number | null;
    limit_count: number | null;
    limit_period: string | null;
    code_valid_days: number | null;
    starts_at: string | Date | null;
    ends_at: string | Date | null;
  },
  currency: string,
  timezone: string,
): RewardFormValues {
  const digits = minorDigits(currency);
  const m = (v: number | null) => (v === null ? "" : formatMajorAmount(v, digits));
  const n = (v: number | null) => (v === null ? "" : String(v));
  const d = (v: string | Date | null) => (v === null ? "" : isoToLocalInput(new Date(v).toISOString(), timezone));
  return {
    name: r.name,
    description: r.description,
    kind: r.kind,
    pointsCost: String(r.points_cost),
    discount: m(r.discount_minor),
    percentOff: n(r.percent_off),
    minOrder: m(r.min_order_minor),
    maxDiscount: m(r.max_discount_minor),
    productName: r.product_name ?? "",
    cost: m(r.cost_minor ?? null),
    minTierId: r.min_tier_id ?? "",
    stockTotal: n(r.stock_total),
    limitCount: n(r.limit_count),
    limitPeriod: r.limit_period ?? "",
    codeValidDays: n(r.code_valid_days),
    startsAt: d(r.starts_at),
    endsAt: d(r.ends_at),
  };
}
