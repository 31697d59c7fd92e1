import { numberFormat } from "./intl";

/** Money is integer minor units everywhere; formatting is the only place decimals appear. */
const MINOR_DIGITS: Record<string, number> = { JPY: 0, KRW: 0, CLP: 0, VND: 0, ISK: 0, HUF: 2, BHD: 3, KWD: 3, OMR: 3, JOD: 3, TND: 3 };

export function minorDigits(currency: string): number {
  return MINOR_DIGITS[currency.toUpperCase()] ?? 2;
}

/** Minor units as (fractional) currency units: 1234 → 12.34 USD, 1234 → 1234 JPY. */
export function toMajor(amountMinor: number, currency: string): number {
  return amountMinor / 10 ** minorDigits(currency);
}

/** A signed amount in currency units with `digits` decimals ("+0.770", "−12.50"); "—" when not finite. */
export function signedMajor(amountMinor: number, currency: string, digits: number): string {
  if (!Number.isFinite(amountMinor)) return "—";
  const major = numberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(Math.abs(toMajor(amountMinor, currency)));
  return `${amountMinor >= 0 ? "+" : "−"}${major}`;
}

export function formatMoney(amountMinor: number, currency: string, locale = "en-US"): string {
  const digits = minorDigits(currency);
  return numberFormat(locale, { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits }).format(
    amountMinor / 10 ** digits,
  );
}
