import { roleAtLeast } from "~/auth/roles";
import { invalidateAllStaffSessions } from "~/auth/staff-session.server";
import { withTenant, type DB, type Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { conflict, notFound } from "~/lib/errors";
import { isId } from "~/lib/ids";
import type { StaffRole } from "~db/schema";

export interface TeamMember {
  staffUserId: string;
  name: string;
  email: string;
  role: StaffRole;
  since: Date;
}

export const LAST_OWNER_MESSAGE = "A merchant needs at least one owner. Make someone else owner first.";

export async function listTeam(database: DB, merchantId: string): Promise<TeamMember[]> {
  const rows = await withTenant(database, merchantId, (trx) =>
    trx
      .selectFrom("merchant_staff as ms")
      .innerJoin("staff_users as u", "u.id", "ms.staff_user_id")
      .select(["u.id", "u.name", "u.email", "ms.role", "ms.created_at"])
      .where("ms.merchant_id", "=", merchantId)
      .orderBy("ms.created_at")
      .execute(),
  );
  return rows.map((r) => ({ staffUserId: r.id, name: r.name, email: r.email, role: r.role, since: r.created_at }));
}

/**
 * Locks the merchant's whole team: role changes and removals are serialised, so two owners demoting each other at
 * the same moment cannot leave the merchant without an owner.
 */
async function lockTeam(trx: Trx, merchantId: string) {
  return trx.selectFrom("merchant_staff").select(["staff_user_id", "role"]).where("merchant_id", "=", merchantId).forUpdate().execute();
}

/**
 * Changes a team member's role. A promotion revokes that person's sessions (S4: a new session on privilege change),
 * so they log in again; a demotion takes effect on their next request because guards read the role live.
 */
export async function changeStaffRole(database: DB, merchantId: string, actor: Actor, staffUserId: string, role: StaffRole): Promise<void> {
  if (!isId("staff", staffUserId)) throw notFound("Team member");
  await withTenant(database, merchantId, async (trx) => {
    const team = await lockTeam(trx, merchantId);
    const target = team.find((m) => m.staff_user_id === staffUserId);
    if (!target) throw notFound("Team member");
    if (target.role === role) return;
    if (target.role === "owner" && team.filter((m) => m.role === "owner").length === 1) throw conflict(LAST_OWNER_MESSAGE, "role");
    await trx.updateTable("merchant_staff").set({ role }).where("merchant_id", "=", merchantId).where("staff_user_id", "=", staffUserId).execute();
    if (roleAtLeast(role, target.role)) {
      // Staff sessions are global (one login, many merchants): revoking them is what "new session" means here.
      await invalidateAllStaffSessions(trx, staffUserId);
    }
    await recordAudit(
      trx,
      merchantId,
      actor,
      "staff.role_changed",
      { type: "staff_user", id: staffUserId },
      {
        before: { role: target.role },
        after: { role },
      },
    );
  });
}

/** Removes someone from the merchant's team (never the last owner). Their account and other memberships stay. */
export async function removeStaff(database: DB, merchantId: string, actor: Actor, staffUserId: string): Promise<void> {
  if (!isId("staff", staffUserId)) throw notFound("Team member");
  await withTenant(database, merchantId, async (trx) => {
    const team = await lockTeam(trx, merchantId);
    const target = team.find((m) => m.staff_user_id === staffUserId);
    if (!target) throw notFound("Team member");
    if (target.role === "owner" && team.filter((m) => m.role === "owner").length === 1) throw conflict(LAST_OWNER_MESSAGE);
    await trx.deleteFrom("merchant_staff").where("merchant_id", "=", merchantId).where("staff_user_id", "=", staffUserId).execute();
    await recordAudit(trx, merchantId, actor, "staff.removed", { type: "staff_user", id: staffUserId }, { before: { role: target.role } });
  });
}
