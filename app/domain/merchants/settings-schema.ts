import { z } from "zod";

/** General merchant settings: the rules the admin form enforces. Pure (no I/O), shared by server and browser. */

export const TAGLINE_MAX = 160;

// PostgreSQL text cannot store NUL, and other control characters have no place in a name or tagline.
const hasNoControlChars = (v: string) => ![...v].some((ch) => {
  const c = ch.charCodeAt(0);
  return (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f;
});

/** IANA zone names for the picker (ICU's canonical list, which still uses older names such as Asia/Calcutta). */
export function knownTimezones(): string[] {
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}

// Region/City names only: offset strings like "+05:00" or "GMT+5" are refused because PostgreSQL reads POSIX-style
// offsets with the opposite sign, so dates would silently shift.
const IANA_NAME = /^(?:Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)\/[A-Za-z0-9_+-]+(?:\/[A-Za-z0-9_+-]+)*$/;

/** A zone name that is IANA-shaped and known to this runtime (aliases such as Asia/Kolkata included). */
export function isKnownTimezone(value: string): boolean {
  if (value === "UTC") return true;
  if (value.length > 64 || !IANA_NAME.test(value)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const GeneralSettingsSchema = z.object({
  name: z
    .string({ error: "Merchant name is required" })
    .trim()
    .min(1, "Merchant name is required")
    .max(120, "Merchant name must be at most 120 characters")
    .refine(hasNoControlChars, "Merchant name must not contain control characters"),
  timezone: z
    .string({ error: "Choose a time zone" })
    .max(64, "Choose a time zone from the list")
    .refine(isKnownTimezone, "Choose a time zone from the list"),
  brandColor: z
    .string()
    .trim()
    .regex(/^#[0-9a-fA-F]{6}$/, "Brand colour must be a hex colour like #7c4a2d")
    .transform((v) => v.toLowerCase())
    .optional(),
  portalTagline: z
    .string()
    .trim()
    .max(TAGLINE_MAX, `Tagline must be at most ${TAGLINE_MAX} characters`)
    .refine(hasNoControlChars, "Tagline must not contain control characters")
    .optional(),
  membersOnlyPortal: z.boolean().default(false),
});

export type GeneralSettingsInput = z.output<typeof GeneralSettingsSchema>;
