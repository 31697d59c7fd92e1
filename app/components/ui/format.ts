import { dateTimeFormat } from "~/lib/intl";

/** Date formatting for screens (admin and portal): always in the merchant's time zone, so server and browser render the same text. */

export function formatDate(value: Date | string | null | undefined, timeZone: string): string {
  if (!value) return "—";
  const d = typeof value === "string" ? new Date(value) : value;
  return dateTimeFormat("en-US", { dateStyle: "medium", timeZone }).format(d);
}

export function formatDateTime(value: Date | string | null | undefined, timeZone: string): string {
  if (!value) return "—";
  const d = typeof value === "string" ? new Date(value) : value;
  return dateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "short", timeZone }).format(d);
}

/** A calendar date stored as 'YYYY-MM-DD' (birthdays): no time zone involved. */
export function formatDay(value: string | null | undefined): string {
  if (!value) return "—";
  return dateTimeFormat("en-US", { dateStyle: "medium", timeZone: "UTC" }).format(new Date(`${value}T00:00:00Z`));
}

export const STATUS_TONE = { active: "green", blocked: "red", deleted: "neutral" } as const;

export function statusTone(status: string): "green" | "red" | "neutral" {
  return (STATUS_TONE as Record<string, "green" | "red" | "neutral">)[status] ?? "neutral";
}
