import { redirect } from "@remix-run/node";
import { db } from "~/db.server";
import { findMerchantBySlug, staffMemberships } from "~/domain/merchants/merchants.server";
import type { Merchant, StaffRole } from "~db/schema";
import { memberCookieName, readCookie, STAFF_COOKIE } from "~/auth/cookies.server";
import { validateMemberSessionToken, type MemberSession, type MemberSessionMember } from "~/auth/member-session.server";
import { roleAtLeast } from "~/auth/roles";
import { validateStaffSessionToken, type StaffSession, type StaffSessionUser } from "~/auth/staff-session.server";
import { oncePerRequest } from "./request-scope.server";

/**
 * Guards for loaders and actions: they return the caller's context or throw a Response (redirect, 403, 404).
 * A staff member who does not belong to a merchant gets 404, the same as for a merchant that does not exist,
 * so slugs of other merchants reveal nothing. They are web: they read merchants, which auth (below the domain) may not.
 */

// Live in auth because the domain uses them too; re-exported so a route has one import for its guard.
export { clientIp } from "~/auth/client-ip";
export { roleAtLeast };

export interface StaffContext {
  user: StaffSessionUser;
  session: StaffSession;
  merchant: Merchant;
  role: StaffRole;
}

export async function getStaffUser(request: Request): Promise<{ user: StaffSessionUser; session: StaffSession } | null> {
  return oncePerRequest(request, "staff-user", () => validateStaffSessionToken(db(), readCookie(request, STAFF_COOKIE)));
}

/** The staff user's merchants and roles (once per page request, see request-scope.server.ts). */
export function staffMembershipsOf(request: Request, staffUserId: string): ReturnType<typeof staffMemberships> {
  return oncePerRequest(request, `memberships:${staffUserId}`, () => staffMemberships(db(), staffUserId));
}

function loginRedirect(request: Request, loginPath: string): Response {
  const url = new URL(request.url);
  const back = url.pathname + url.search;
  return redirect(`${loginPath}?redirectTo=${encodeURIComponent(back)}`);
}

export async function requireStaffUser(request: Request): Promise<{ user: StaffSessionUser; session: StaffSession }> {
  const auth = await getStaffUser(request);
  if (!auth) throw loginRedirect(request, "/login");
  return auth;
}

export async function requireStaff(request: Request, merchantSlug: string | undefined, minRole: StaffRole = "analyst"): Promise<StaffContext> {
  const auth = await requireStaffUser(request);
  // The merchant comes with the memberships (one statement the layout shares), not from a lookup by slug of its own:
  // a merchant that does not exist and one the user does not belong to are the same 404.
  const membership = merchantSlug ? (await staffMembershipsOf(request, auth.user.id)).find((m) => m.merchant.slug === merchantSlug) : undefined;
  if (!membership) throw new Response("Not found", { status: 404 });
  const merchant = membership.merchant;
  if (!roleAtLeast(membership.role, minRole)) {
    throw new Response(`This needs the ${minRole} role; you are ${membership.role}.`, { status: 403 });
  }
  return { ...auth, merchant, role: membership.role };
}

export interface MemberContext {
  merchant: Merchant;
  member: MemberSessionMember;
  session: MemberSession;
}

/** The portal's merchant, or 404 (read once per page request when given the request: layout and page share it). */
export async function requirePortalMerchant(merchantSlug: string | undefined, request?: Request): Promise<Merchant> {
  const find = (slug: string) => (request ? oncePerRequest(request, `merchant:${slug}`, () => findMerchantBySlug(db(), slug)) : findMerchantBySlug(db(), slug));
  const merchant = merchantSlug ? await find(merchantSlug) : undefined;
  if (!merchant) throw new Response("Not found", { status: 404 });
  return merchant;
}

export async function getMember(request: Request, merchant: Merchant): Promise<{ member: MemberSessionMember; session: MemberSession } | null> {
  return oncePerRequest(request, `member:${merchant.id}`, () => validateMemberSessionToken(db(), merchant.id, readCookie(request, memberCookieName(merchant.slug))));
}

export async function requireMember(request: Request, merchantSlug: string | undefined): Promise<MemberContext> {
  const merchant = await requirePortalMerchant(merchantSlug, request);
  const auth = await getMember(request, merchant);
  if (!auth) throw loginRedirect(request, `/p/${merchant.slug}/login`);
  return { merchant, ...auth };
}

/**
 * The `membersOnlyPortal` setting: pages other than login, sign-up and password reset need a member session.
 * Returns the member when there is one; redirects to the portal login when the portal is closed to visitors.
 */
export async function portalVisitor(request: Request, merchant: Merchant) {
  const auth = await getMember(request, merchant);
  if (!auth && merchant.settings?.membersOnlyPortal) {
    const url = new URL(request.url);
    throw redirect(`/p/${merchant.slug}/login?redirectTo=${encodeURIComponent(url.pathname + url.search)}`);
  }
  return auth;
}
