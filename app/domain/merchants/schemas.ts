import { z } from "zod";
import { emailSchema, passwordSchema, personNameSchema } from "~/domain/members/schemas";

/**
 * Field rules for a merchant, shared by the sign-up form, the settings page and the CLI. Pure: no I/O.
 * Currency and time zone lists come from the runtime's Intl data (ISO 4217 codes, IANA zones).
 */

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

export const slugSchema = z
  .string({ error: "Address is required" })
  .trim()
  .toLowerCase()
  .min(2, "Address must be at least 2 characters")
  .max(40, "Address must be at most 40 characters")
  .regex(/^[a-z0-9-]+$/, "Use lowercase letters, digits and dashes only")
  .regex(SLUG_PATTERN, "Address must start and end with a letter or digit")
  .refine((v) => !v.includes("--"), "Address must not contain two dashes in a row");

export function supportedCurrencies(): string[] {
  return Intl.supportedValuesOf("currency").filter((c) => /^[A-Z]{3}$/.test(c));
}

export function supportedTimeZones(): string[] {
  const zones = Intl.supportedValuesOf("timeZone");
  // Some runtimes list "UTC" only as an alias; it is the most common choice for a shop without a home zone.
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}

export const currencySchema = z
  .string({ error: "Currency is required" })
  .trim()
  .toUpperCase()
  .refine((v) => supportedCurrencies().includes(v), "Choose a currency from the list (ISO 4217 code)");

export const timezoneSchema = z
  .string({ error: "Time zone is required" })
  .trim()
  .refine((v) => supportedTimeZones().includes(v), "Choose a time zone from the list");

export const merchantNameSchema = z
  .string({ error: "Business name is required" })
  .trim()
  .min(1, "Business name is required")
  .max(120, "Business name must be at most 120 characters");

/** A suggestion for the slug field while the user types the business name. */
export function slugify(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/g, "");
}

/**
 * Merchant sign-up: the business and its owner's account. Here rather than in staff because creating a merchant
 * (create.server.ts) builds on staff accounts, so merchants sits after staff on the core floor.
 */
export const MerchantSignupSchema = z.object({
  merchantName: merchantNameSchema,
  slug: slugSchema,
  currency: currencySchema,
  timezone: timezoneSchema,
  name: personNameSchema,
  email: emailSchema,
  password: passwordSchema,
});

/** Sign-up while logged in: the account exists, only the business is new. */
export const AdditionalMerchantSchema = MerchantSignupSchema.pick({ merchantName: true, slug: true, currency: true, timezone: true });

// General merchant settings (the settings page, settings.server.ts): the rules the admin form enforces.

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
