import { z } from "zod";

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
