import { useRouteLoaderData } from "@remix-run/react";
import type { StaffRole } from "~db/schema";

/** What the admin layout (routes/admin.$merchant) hands to every page below it. Plain data, safe for the browser. */
export interface AdminContext {
  merchant: { id: string; slug: string; name: string; currency: string; timezone: string };
  user: { id: string; name: string; email: string };
  role: StaffRole;
  /** Every merchant the user belongs to (for the switcher), this one included. */
  merchants: Array<{ slug: string; name: string; role: StaffRole }>;
}

export const ADMIN_LAYOUT_ROUTE_ID = "routes/admin.$merchant";

const RANK: Record<StaffRole, number> = { analyst: 0, admin: 1, owner: 2 };

/** Client-side mirror of roleAtLeast, for hiding controls; the server still enforces every action. */
export function canAct(role: StaffRole, min: StaffRole): boolean {
  return RANK[role] >= RANK[min];
}

export function useAdmin(): AdminContext {
  const data = useRouteLoaderData<AdminContext>(ADMIN_LAYOUT_ROUTE_ID);
  if (!data) throw new Error("useAdmin() must be used inside routes/admin.$merchant");
  return data;
}

/** Base path of the current merchant's admin, e.g. "/admin/northwind". */
export function adminPath(slug: string, sub = ""): string {
  return `/admin/${slug}${sub ? `/${sub.replace(/^\//, "")}` : ""}`;
}
