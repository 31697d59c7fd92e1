import { sql } from "kysely";
import type { DB } from "~/db.server";
import type { Merchant, StaffRole } from "~db/schema";

/** The merchants table is the tenant directory (no RLS): looking a merchant up by slug is how a request finds its tenant. */
export async function findMerchantBySlug(database: DB, slug: string): Promise<Merchant | undefined> {
  if (!/^[a-z0-9-]{1,40}$/.test(slug)) return undefined;
  return database.selectFrom("merchants").selectAll().where("slug", "=", slug).executeTakeFirst();
}

/** Which merchants a staff user belongs to, through the one SECURITY DEFINER door (merchant_staff is RLS-protected). */
export async function staffMemberships(database: DB, staffUserId: string): Promise<Array<{ merchant: Merchant; role: StaffRole }>> {
  const rows = await sql<{ merchant_id: string; role: StaffRole }>`select merchant_id, role from auth_staff_memberships(${staffUserId})`.execute(database);
  if (!rows.rows.length) return [];
  const merchants = await database.selectFrom("merchants").selectAll().where("id", "in", rows.rows.map((r) => r.merchant_id)).orderBy("name").execute();
  const roleOf = new Map(rows.rows.map((r) => [r.merchant_id, r.role]));
  return merchants.map((merchant) => ({ merchant, role: roleOf.get(merchant.id)! }));
}
