import { z } from "zod";
import { minorDigits } from "~/lib/money";
import { EarningRulesSchema, campaignRowIssues, eventRowIssues, wallTimeIn, zonedTimeToUtc, type EarningRules } from "./rules";

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

/** "12.5" → 1250 for a 2-digit currency; null when it is not a plain non-negative amount with at most `digits` decimals. */
export function parseMajorAmount(text: string, digits: number): number | null {
  const m = /^(\d{1,15})(?:\.(\d*))?$/.exec(text.trim());
  if (!m) return null;
  const frac = m[2] ?? "";
  if (frac.length > digits && !/^0*$/.test(frac.slice(digits))) return null;
  const minor = BigInt(m[1]!) * 10n ** BigInt(digits) + BigInt((frac.slice(0, digits) || "0").padEnd(digits, "0") || "0");
  return minor <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(minor) : null;
}

/** 1250 → "12.50" (digits 2), for an input's value: no symbol, no grouping. */
export function formatMajorAmount(minor: number, digits: number): string {
  if (digits === 0) return String(minor);
  const s = String(Math.abs(minor)).padStart(digits + 1, "0");
  return `${minor < 0 ? "-" : ""}${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/** A datetime-local value ("2026-07-04T09:00") read in `timezone`; null when it is not a real date-time. */
export function localInputToIso(value: string, timezone: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null;
  return zonedTimeToUtc({ year, month, day, hour, minute, second }, timezone).toISOString();
}

/** An instant as a datetime-local value in `timezone`. */
export function isoToLocalInput(iso: string, timezone: string): string {
  const w = wallTimeIn(new Date(iso), timezone);
  const p = (n: number, l = 2) => String(n).padStart(l, "0");
  return `${p(w.year, 4)}-${p(w.month)}-${p(w.day)}T${p(w.hour)}:${p(w.minute)}${w.second ? `:${p(w.second)}` : ""}`;
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
