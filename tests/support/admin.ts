import { withTenant } from "~/db.server";
import { createStaffSession } from "~/auth/staff-session.server";
import { STAFF_COOKIE } from "~/auth/cookies.server";
import { newId } from "~/lib/ids";
import type { StaffRole } from "~db/schema";
import { testDb } from "./db";

/** Helpers for the admin-area integration tests (the API tests use them too): a merchant of their own, staff with a role, realistic requests. */

export const ORIGIN = "http://localhost:3000";

export async function createMerchant(opts: { currency?: string; timezone?: string; name?: string } = {}) {
  const id = newId("merchant");
  const slug = `adm-${id.slice(4, 16)}`;
  await testDb()
    .insertInto("merchants")
    .values({ id, slug, name: opts.name ?? "Admin Test Co", currency: opts.currency ?? "USD", timezone: opts.timezone ?? "UTC" })
    .execute();
  return { id, slug };
}

/** A staff user with `role` at the merchant, and a Cookie header carrying a live session. */
export async function createStaff(merchantId: string, role: StaffRole) {
  const db = testDb();
  const id = newId("staff");
  await db.insertInto("staff_users").values({ id, email: `${id}@example.com`, name: `Staff ${role}`, password_hash: "x" }).execute();
  await withTenant(db, merchantId, (trx) => trx.insertInto("merchant_staff").values({ merchant_id: merchantId, staff_user_id: id, role }).execute());
  const { token } = await createStaffSession(db, id);
  return { id, cookie: `${STAFF_COOKIE}=${encodeURIComponent(token)}` };
}

export function getRequest(path: string, cookie: string): Request {
  return new Request(`${ORIGIN}${path}`, { headers: { Cookie: cookie } });
}

export function postRequest(path: string, cookie: string, form: Array<[string, string]> | Record<string, string>): Request {
  return new Request(`${ORIGIN}${path}`, {
    method: "POST",
    headers: { Cookie: cookie, Origin: ORIGIN, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
}

export interface SeedMember {
  email: string;
  name?: string | null;
  external_id?: string | null;
  status?: "active" | "blocked" | "deleted";
  created_at?: string;
}

export async function insertMembers(merchantId: string, members: SeedMember[]): Promise<string[]> {
  const ids = members.map(() => newId("member"));
  await withTenant(testDb(), merchantId, async (trx) => {
    await trx
      .insertInto("members")
      .values(
        members.map((m, i) => ({
          merchant_id: merchantId,
          id: ids[i]!,
          email: m.email,
          name: m.name ?? null,
          external_id: m.external_id ?? null,
          status: m.status ?? "active",
          created_at: m.created_at ?? new Date().toISOString(),
          updated_at: m.created_at ?? new Date().toISOString(),
        })),
      )
      .execute();
  });
  return ids;
}

export async function insertOrder(merchantId: string, memberId: string, amountMinor: number, occurredAt: string) {
  await withTenant(testDb(), merchantId, (trx) =>
    trx
      .insertInto("orders")
      .values({
        merchant_id: merchantId,
        id: newId("order"),
        member_id: memberId,
        source: "seed",
        external_order_id: newId("order"),
        amount_minor: amountMinor,
        currency: "USD",
        occurred_at: occurredAt,
      })
      .execute(),
  );
}

/** Expects `fn` to throw a Response (guards and 404s) and returns it. */
export async function thrownResponse(fn: () => Promise<unknown>): Promise<Response> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof Response) return e;
    throw e;
  }
  throw new Error("expected a thrown Response");
}

