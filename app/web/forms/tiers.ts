import { z } from "zod";
import type { TierDef, TierSettings } from "~/domain/tiers/model";
import type { TierProgramInput } from "~/domain/tiers/types";
import { minorDigits } from "~/lib/money";
import { formatMajorAmount, parseMajorAmount } from "./fields";

/**
 * The tier editor's form ⇄ the program (settings + ladder). Pure: the route action validates with it (authoritative)
 * and the browser shows the same field errors. Tiers are listed lowest first; their order is their rank. Spend
 * thresholds are typed in major units ("500.00"), points as whole numbers.
 */

export const MAX_TIERS = 10;
const text = z.string().optional();
const TierRow = z.object({
  id: text,
  name: text,
  threshold: text,
  earningPercent: text,
  birthdayBonus: text,
  exclusiveAccess: text,
  perks: text,
});
const RawForm = z.object({
  basis: text,
  window: text,
  graceDays: text,
  downgrade: text,
  tiers: z.array(TierRow).optional(),
});
export type TierFormValues = z.input<typeof RawForm>;

const BASES = ["points", "spend"] as const;
const WINDOWS = ["rolling_12m", "calendar_year", "lifetime"] as const;
const DOWNGRADES = ["one_step", "to_qualified"] as const;
const blank = (s: string | undefined) => s === undefined || s.trim() === "";
const wholeNumber = (s: string | undefined) => (!blank(s) && /^\d{1,12}$/.test(s!.trim()) ? Number(s!.trim()) : null);

export function tierFormSchema(opts: { currency: string }) {
  const digits = minorDigits(opts.currency);
  return RawForm.transform((raw, ctx): TierProgramInput => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", message, path });
    const basis = BASES.find((b) => b === raw.basis);
    if (!basis) issue(["basis"], "Choose what qualifies members: points earned or spend");
    const window = WINDOWS.find((w) => w === raw.window);
    if (!window) issue(["window"], "Choose the qualification window");
    const downgrade = DOWNGRADES.find((d) => d === raw.downgrade);
    if (!downgrade) issue(["downgrade"], "Choose how far a downgrade may go");
    const graceDays = blank(raw.graceDays) ? 0 : wholeNumber(raw.graceDays);
    if (graceDays === null || graceDays > 90) issue(["graceDays"], "Grace period must be a whole number of days from 0 to 90");

    const rows = raw.tiers ?? [];
    if (rows.length > MAX_TIERS) issue(["tiers"], `At most ${MAX_TIERS} tiers`);
    const names = new Map<string, number>();
    let previous: number | null = null;
    const tiers = rows.map((r, i) => {
      const name = (r.name ?? "").trim();
      if (name.length < 1 || name.length > 60) issue(["tiers", i, "name"], "Name is required (up to 60 characters)");
      const key = name.toLowerCase();
      if (name && names.has(key)) issue(["tiers", i, "name"], `"${name}" is already the name of tier ${names.get(key)! + 1}`);
      names.set(key, i);

      let threshold: number | null;
      if (basis === "spend") {
        threshold = blank(r.threshold) ? null : parseMajorAmount(r.threshold!, digits);
        if (threshold === null) issue(["tiers", i, "threshold"], `Threshold must be an amount like ${formatMajorAmount(500 * 10 ** digits, digits)}`);
      } else {
        threshold = wholeNumber(r.threshold);
        if (threshold === null) issue(["tiers", i, "threshold"], "Threshold must be a whole number of points");
      }
      if (threshold !== null && previous !== null && threshold <= previous) {
        issue(["tiers", i, "threshold"], "Threshold must be higher than the tier below");
      }
      if (threshold !== null) previous = threshold;

      const earningPercent = blank(r.earningPercent) ? 100 : wholeNumber(r.earningPercent);
      if (earningPercent === null || earningPercent < 100 || earningPercent > 1000) {
        issue(["tiers", i, "earningPercent"], "Earning multiplier must be a whole percent from 100 (none) to 1000");
      }
      const birthdayBonus = blank(r.birthdayBonus) ? 0 : wholeNumber(r.birthdayBonus);
      if (birthdayBonus === null || birthdayBonus > 1_000_000) issue(["tiers", i, "birthdayBonus"], "Birthday bonus must be a whole number of points");
      const perks = (r.perks ?? "").trim();
      if (perks.length > 2000) issue(["tiers", i, "perks"], "Perks must be at most 2,000 characters");
      return {
        id: blank(r.id) ? null : r.id!.trim(),
        name,
        threshold: threshold ?? 0,
        earningPercent: earningPercent ?? 100,
        birthdayBonus: birthdayBonus ?? 0,
        exclusiveAccess: r.exclusiveAccess === "on" || r.exclusiveAccess === "true",
        perks,
      };
    });
    if (!basis || !window || !downgrade || graceDays === null) return z.NEVER;
    return { settings: { basis, window, graceDays, downgrade }, tiers };
  });
}

/** The form's initial values for a saved program. */
export function tierProgramToForm(program: { settings: TierSettings; tiers: readonly TierDef[] }, currency: string) {
  const digits = minorDigits(currency);
  return {
    basis: program.settings.basis,
    window: program.settings.window,
    graceDays: String(program.settings.graceDays),
    downgrade: program.settings.downgrade,
    tiers: program.tiers.map((t) => ({
      id: t.id,
      name: t.name,
      threshold: program.settings.basis === "spend" ? formatMajorAmount(t.threshold, digits) : String(t.threshold),
      earningPercent: String(t.earningPercent),
      birthdayBonus: String(t.birthdayBonus),
      exclusiveAccess: t.exclusiveAccess ? "on" : "",
      perks: t.perks,
    })),
  } satisfies TierFormValues;
}
