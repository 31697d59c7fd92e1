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
  // One statement, not the memberships and then their merchants: every admin page reads this (issue 14).
  const { rows } = await sql<Merchant & { staff_role__: StaffRole }>`
    select m.*, a.role as staff_role__ from auth_staff_memberships(${staffUserId}) a
    join merchants m on m.id = a.merchant_id
    order by m.name`.execute(database);
  return rows.map(({ staff_role__: role, ...merchant }) => ({ merchant, role }));
}
