import type { StaffRole } from "~db/schema";

const RANK: Record<StaffRole, number> = { analyst: 0, admin: 1, owner: 2 };

/** Roles are ordered analyst < admin < owner; the domain (staff) and the web guards both compare with this. */
export function roleAtLeast(role: StaffRole, min: StaffRole): boolean {
  return RANK[role] >= RANK[min];
}
