import { sql } from "kysely";
import { expect } from "vitest";
import { STAFF_COOKIE, memberCookieName } from "~/auth/cookies.server";
import { withTenant } from "~/db.server";
import { createMerchantWithOwner } from "~/domain/merchants/create.server";
import { newId } from "~/lib/ids";
import { testDb } from "./db";

/**
 * Helpers for the accounts/portal integration tests: a merchant of their own (random slug), realistic requests
 * with a same-origin Origin header, and a uniform view of whatever a loader or action returned or threw.
 */

export const ORIGIN = "http://localhost:3000";
export const PASSWORD = "correct horse battery staple";

export function uniq(prefix = "t"): string {
  return `${prefix}-${newId("member").slice(4, 16)}`;
}

export async function newMerchant(opts: { settings?: Record<string, unknown>; ownerEmail?: string } = {}) {
  const slug = uniq("acct");
  const ownerEmail = opts.ownerEmail ?? `${slug}-owner@example.com`;
  const { merchant, owner } = await createMerchantWithOwner(testDb(), {
    merchant: { name: `Shop ${slug}`, slug, currency: "EUR", timezone: "Europe/Berlin" },
    owner: { name: "Olive Owner", email: ownerEmail, password: PASSWORD },
  });
  if (opts.settings) {
    await testDb()
      .updateTable("merchants")
      .set({ settings: JSON.stringify(opts.settings) })
      .where("id", "=", merchant.id)
      .execute();
  }
  return { merchant: { ...merchant, settings: opts.settings ?? {} }, owner };
}

export function get(path: string, cookie?: string | null): Request {
  return new Request(`${ORIGIN}${path}`, { headers: cookie ? { Cookie: cookie } : {} });
}

export function post(path: string, form: Record<string, string>, cookie?: string | null): Request {
  const headers: Record<string, string> = { Origin: ORIGIN, "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "vitest" };
  if (cookie) headers.Cookie = cookie;
  return new Request(`${ORIGIN}${path}`, { method: "POST", headers, body: new URLSearchParams(form).toString() });
}

export interface Outcome {
  status: number;
  location: string | null;
  setCookie: string | null;
  // Each route returns its own shape; the tests assert on it directly.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
}

/** Runs a loader/action and normalises: returned or thrown Response, `data()` wrapper, or a plain object. */
export async function run(fn: () => Promise<unknown>): Promise<Outcome> {
  let value: unknown;
  try {
    value = await fn();
  } catch (err) {
    if (!(err instanceof Response)) throw err;
    value = err;
  }
  if (value instanceof Response) {
    const text = await value.text();
    return { status: value.status, location: value.headers.get("Location"), setCookie: value.headers.get("Set-Cookie"), data: text };
  }
  if (value && typeof value === "object" && (value as { type?: string }).type === "DataWithResponseInit") {
    const d = value as { data: unknown; init: ResponseInit | null };
    const headers = new Headers(d.init?.headers);
    return { status: d.init?.status ?? 200, location: headers.get("Location"), setCookie: headers.get("Set-Cookie"), data: d.data };
  }
  return { status: 200, location: null, setCookie: null, data: value };
}

/** `name=value` from a Set-Cookie header, to send back as a Cookie header. */
export function cookiePair(setCookie: string | null): string {
  expect(setCookie, "expected a Set-Cookie header").toBeTruthy();
  return setCookie!.split(";")[0]!;
}

export function tokenOf(cookie: string): string {
  return decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1));
}

export const staffCookieName = STAFF_COOKIE;
export { memberCookieName };

/** Field errors of a Conform reply. */
export function fieldErrors(outcome: Outcome): Record<string, string[] | null> {
  return outcome.data?.result?.error ?? {};
}

export async function count(
  table: "staff_users" | "merchants" | "login_throttle" | "platform_email_outbox" | "staff_sessions" | "staff_password_resets",
  where?: { column: string; value: string },
): Promise<number> {
  let q = testDb()
    .selectFrom(table)
    .select(sql<number>`count(*)::int`.as("n"));
  if (where) q = q.where(sql.ref(where.column), "=", where.value);
  return (await q.executeTakeFirstOrThrow()).n;
}

export async function tenantCount(
  merchantId: string,
  table: "members" | "member_sessions" | "member_password_resets" | "email_outbox" | "staff_invitations" | "merchant_staff" | "audit_log",
): Promise<number> {
  return withTenant(testDb(), merchantId, async (trx) => {
    const r = await trx
      .selectFrom(table)
      .select(sql<number>`count(*)::int`.as("n"))
      .executeTakeFirstOrThrow();
    return r.n;
  });
}

/** The last e-mail a merchant queued to `to`, and the link in it (for reset and invitation flows). */
export async function lastTenantEmail(merchantId: string, to: string) {
  const row = await withTenant(testDb(), merchantId, (trx) =>
    trx
      .selectFrom("email_outbox")
      .selectAll()
      .where("to_address", "=", to)
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst(),
  );
  return row ? { ...row, link: extractLink(row.text_body) } : undefined;
}

export async function lastPlatformEmail(to: string) {
  const row = await testDb()
    .selectFrom("platform_email_outbox")
    .selectAll()
    .where("to_address", "=", to)
    .orderBy("created_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ? { ...row, link: extractLink(row.text_body) } : undefined;
}

function extractLink(text: string): string | null {
  const m = text.match(/https?:\/\/[^\s)\]]+\/(?:reset-password|invite)\/[a-z0-9_]+\.[a-z2-7]+/);
  return m ? m[0] : null;
}

/** The path-and-token part of an e-mailed link: `/reset-password/<token>` → the token. */
export function tokenFromLink(link: string | null): string {
  expect(link, "expected a link in the e-mail").toBeTruthy();
  return link!.slice(link!.lastIndexOf("/") + 1);
}
