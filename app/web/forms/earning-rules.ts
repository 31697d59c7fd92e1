import { z } from "zod";
import { EarningRulesSchema, campaignRowIssues, eventRowIssues, type EarningRules } from "~/domain/points/rules";
import { minorDigits } from "~/lib/money";
import { formatMajorAmount, isoToLocalInput, localInputToIso, parseMajorAmount } from "./fields";

/**
 * The earning-rules editor's form ⇄ EarningRules. Pure, shared by the route action (authoritative) and the browser
 * (live preview). Field names mirror the rules document so the schema's errors land next to their fields; the only
 * differences are what people type: amounts in major units ("5.00", not 500), campaign dates as local date-times
 * in the merchant's time zone, and empty caps meaning "no cap".
 */

const optionalText = z.string().optional();
const EventRow = z.object({ key: optionalText, label: optionalText, points: optionalText });
const CampaignRow = z.object({
  id: optionalText,
  name: optionalText,
  startsAt: optionalText,
  endsAt: optionalText,
  multiplierPercent: optionalText,
  appliesTo: optionalText,
});

const RawForm = z.object({
  earning: z.object({ pointsPerUnit: optionalText, rounding: optionalText, minimumOrder: optionalText }).optional(),
  bonuses: z.object({ signup: optionalText, firstOrder: optionalText, birthday: optionalText, profileCompleted: optionalText }).optional(),
  customEvents: z.array(EventRow).optional(),
  caps: z.object({ perDay: optionalText, perMonth: optionalText, lifetime: optionalText }).optional(),
  campaigns: z.array(CampaignRow).optional(),
  pendingDays: optionalText,
  expiry: z.object({ mode: optionalText, months: optionalText }).optional(),
  pointValue: z.object({ points: optionalText, amount: optionalText }).optional(),
});
export type EarningRulesFormValues = z.input<typeof RawForm>;

const blank = (s: string | undefined) => s === undefined || s.trim() === "";

/** A typed number: undefined when empty, NaN when not a number (the schema then says which field is wrong). */
function num(s: string | undefined): number | undefined {
  if (blank(s)) return undefined;
  const t = s!.trim();
  return /^[-+]?\d+(\.\d+)?$/.test(t) ? Number(t) : Number.NaN;
}

// Form paths that differ from the rules document's.
const PATH_ALIASES: Record<string, string> = { "earning.minimumOrderMinor": "earning.minimumOrder", "pointValue.minor": "pointValue.amount" };
const MONEY_MAX_MINOR = 1_000_000;

/** The editor's schema for one merchant (its currency's decimals and its time zone). Outputs EarningRules. */
export function earningRulesFormSchema(opts: { currency: string; timezone: string }) {
  const digits = minorDigits(opts.currency);
  const amountHint = digits === 0 ? "a whole amount like 500" : `an amount like ${formatMajorAmount(5 * 10 ** digits, digits)}`;

  return RawForm.transform((raw, ctx): EarningRules => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", message, path });
    let moneyOk = true;

    let minimumOrderMinor: number | undefined = 0;
    if (!blank(raw.earning?.minimumOrder)) {
      const v = parseMajorAmount(raw.earning!.minimumOrder!, digits);
      if (v === null) {
        issue(["earning", "minimumOrder"], `Minimum order must be ${amountHint}`);
        moneyOk = false;
      }
      minimumOrderMinor = v ?? undefined;
    }
    let pointValueMinor: number | undefined;
    if (blank(raw.pointValue?.amount)) {
      issue(["pointValue", "amount"], "Point value amount is required");
      moneyOk = false;
    } else {
      const v = parseMajorAmount(raw.pointValue!.amount!, digits);
      if (v === null || v > MONEY_MAX_MINOR) {
        issue(["pointValue", "amount"], v === null ? `Point value amount must be ${amountHint}` : `Point value amount must be at most ${formatMajorAmount(MONEY_MAX_MINOR, digits)}`);
        moneyOk = false;
      }
      pointValueMinor = v ?? undefined;
    }

    const usedIds = new Set((raw.campaigns ?? []).map((c) => c.id?.trim()).filter(Boolean));
    let nextId = 1;
    const freshId = () => {
      while (usedIds.has(`campaign-${nextId}`)) nextId++;
      usedIds.add(`campaign-${nextId}`);
      return `campaign-${nextId}`;
    };
    const date = (value: string | undefined) => (blank(value) ? undefined : (localInputToIso(value!, opts.timezone) ?? value));

    const mode = raw.expiry?.mode ?? "";
    const candidate = {
      version: 1,
      earning: { pointsPerUnit: num(raw.earning?.pointsPerUnit), rounding: raw.earning?.rounding, minimumOrderMinor },
      bonuses: {
        signup: num(raw.bonuses?.signup),
        firstOrder: num(raw.bonuses?.firstOrder),
        birthday: num(raw.bonuses?.birthday),
        profileCompleted: num(raw.bonuses?.profileCompleted),
      },
      customEvents: (raw.customEvents ?? []).map((e) => ({ key: e.key?.trim(), label: e.label, points: num(e.points) })),
      caps: {
        perDay: num(raw.caps?.perDay) ?? null,
        perMonth: num(raw.caps?.perMonth) ?? null,
        lifetime: num(raw.caps?.lifetime) ?? null,
      },
      campaigns: (raw.campaigns ?? []).map((c) => ({
        id: blank(c.id) ? freshId() : c.id!.trim(),
        name: c.name,
        startsAt: date(c.startsAt),
        endsAt: date(c.endsAt),
        multiplierPercent: num(c.multiplierPercent),
        appliesTo: c.appliesTo,
      })),
      pendingDays: num(raw.pendingDays),
      expiry: mode === "never" ? { mode } : { mode, months: num(raw.expiry?.months) },
      pointValue: { points: num(raw.pointValue?.points), minor: pointValueMinor },
    };

    const parsed = EarningRulesSchema.safeParse(candidate);
    if (!parsed.success) {
      const reported = new Set<string>();
      const report = (path: (string | number)[], message: string) => {
        const id = `${path.join(".")}\n${message}`;
        if (!reported.has(id)) issue(path, message);
        reported.add(id);
      };
      for (const i of parsed.error.issues) {
        const path = i.path.map((p) => (typeof p === "symbol" ? String(p) : p));
        const alias = PATH_ALIASES[path.join(".")];
        // Money fields already reported their own, friendlier error.
        if (alias && !moneyOk) continue;
        report(alias ? alias.split(".") : path, i.message);
      }
      for (const i of eventRowIssues(candidate.customEvents)) report(["customEvents", ...i.path], i.message);
      for (const i of campaignRowIssues(candidate.campaigns)) report(["campaigns", ...i.path], i.message);
      return z.NEVER;
    }
    if (!moneyOk) return z.NEVER;
    return parsed.data;
  });
}

/** The form's initial values for saved rules. */
export function earningRulesToForm(rules: EarningRules, opts: { currency: string; timezone: string }) {
  const digits = minorDigits(opts.currency);
  const s = (n: number | null) => (n === null ? "" : String(n));
  return {
    earning: {
      pointsPerUnit: s(rules.earning.pointsPerUnit),
      rounding: rules.earning.rounding,
      minimumOrder: formatMajorAmount(rules.earning.minimumOrderMinor, digits),
    },
    bonuses: {
      signup: s(rules.bonuses.signup),
      firstOrder: s(rules.bonuses.firstOrder),
      birthday: s(rules.bonuses.birthday),
      profileCompleted: s(rules.bonuses.profileCompleted),
    },
    customEvents: rules.customEvents.map((e) => ({ key: e.key, label: e.label, points: s(e.points) })),
    caps: { perDay: s(rules.caps.perDay), perMonth: s(rules.caps.perMonth), lifetime: s(rules.caps.lifetime) },
    campaigns: rules.campaigns.map((c) => ({
      id: c.id,
      name: c.name,
      startsAt: isoToLocalInput(c.startsAt, opts.timezone),
      endsAt: isoToLocalInput(c.endsAt, opts.timezone),
      multiplierPercent: s(c.multiplierPercent),
      appliesTo: c.appliesTo,
    })),
    pendingDays: s(rules.pendingDays),
    expiry: { mode: rules.expiry.mode, months: rules.expiry.mode === "never" ? "12" : s(rules.expiry.months) },
    pointValue: { points: s(rules.pointValue.points), amount: formatMajorAmount(rules.pointValue.minor, digits) },
  } satisfies EarningRulesFormValues;
}
