/**
 * Pure fraud helpers (unit-tested). Reason codes are stored on referrals and review items:
 *  self_email       the friend's e-mail is the referrer's once normalized            → no reward
 *  disposable_email the friend's e-mail domain is on the merchant's disposable list  → no reward
 *  same_device      the friend's device cookie is the referrer's or another friend's → no reward
 *  same_card        the qualifying order was paid with a card the referrer used       → no reward
 *  same_ip_ua       same IP and user agent as the referrer or another friend recently → review
 *  velocity         more sign-ups than allowed per hour for this referrer             → review
 *  refunded         the qualifying order was refunded inside the hold period          → void
 */
export const REJECT_REASONS = ["self_email", "disposable_email", "same_device", "same_card"] as const;
export const FLAG_REASONS = ["same_ip_ua", "velocity"] as const;
export type FraudReason = (typeof REJECT_REASONS)[number] | (typeof FLAG_REASONS)[number] | "refunded" | "staff";

const GMAIL = new Set(["gmail.com", "googlemail.com"]);

/**
 * The mailbox an address delivers to: lower case; at gmail/googlemail dots and `+tag` are ignored and the domain
 * is folded to gmail.com. Other providers keep dots; `+tag` is dropped everywhere (sub-addressing is near universal).
 */
export function normalizeEmail(email: string): string {
  const at = email.trim().toLowerCase().lastIndexOf("@");
  if (at < 0) return email.trim().toLowerCase();
  const lower = email.trim().toLowerCase();
  let local = lower.slice(0, at);
  let domain = lower.slice(at + 1);
  local = local.split("+")[0]!;
  if (GMAIL.has(domain)) {
    local = local.replaceAll(".", "");
    domain = "gmail.com";
  }
  return `${local}@${domain}`;
}

/** True when the address's domain (or a parent domain) is on the list. */
export function isDisposableEmail(email: string, domains: readonly string[]): boolean {
  const domain = email.trim().toLowerCase().split("@").pop() ?? "";
  const list = new Set(domains.map((d) => d.toLowerCase()));
  const parts = domain.split(".");
  for (let i = 0; i < parts.length - 1; i++) if (list.has(parts.slice(i).join("."))) return true;
  return false;
}
