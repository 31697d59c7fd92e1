import { invalidateAllMemberSessions } from "~/auth/member-session.server";
import { sql } from "kysely";
import type { Trx } from "~/db.server";
import { recordAudit, type Actor } from "~/domain/audit/audit.server";
import { conflict, notFound } from "~/lib/errors";

/** What the admin's member page shows. Every read runs on a tenant-scoped trx, so another merchant's id finds nothing. */

export interface MemberProfile {
  member: {
    id: string;
    email: string;
    name: string | null;
    external_id: string | null;
    birthday: string | null;
    status: string;
    created_at: Date;
    updated_at: Date;
  };
  orders: { count: number; totalMinor: number; averageMinor: number | null; firstAt: Date | null; lastAt: Date | null };
  recentOrders: Array<{ id: string; source: string; external_order_id: string; amount_minor: number; currency: string; occurred_at: Date }>;
  audit: Array<{
    id: string;
    action: string;
    actor_type: string;
    actor_id: string | null;
    actor_name: string | null;
    before: unknown;
    after: unknown;
    created_at: Date;
  }>;
}

export const RECENT_ORDERS = 20;
export const AUDIT_ENTRIES = 50;

export async function getMemberProfile(trx: Trx, merchantId: string, memberId: string): Promise<MemberProfile | null> {
  const member = await trx
    .selectFrom("members")
    .select(["id", "email", "name", "external_id", "birthday", "status", "created_at", "updated_at"])
    .where("merchant_id", "=", merchantId)
    .where("id", "=", memberId)
    .executeTakeFirst();
  if (!member) return null;

  // orders_member_idx (merchant_id, member_id, occurred_at) serves all three order reads.
  const summary = await sql<{ n: number; total: number; average: number | null; first_at: Date | null; last_at: Date | null }>`
    select count(*)::int as n, coalesce(sum(amount_minor), 0)::bigint as total, round(avg(amount_minor))::bigint as average,
           min(occurred_at) as first_at, max(occurred_at) as last_at
    from orders where merchant_id = ${merchantId} and member_id = ${memberId}`.execute(trx);
  const s = summary.rows[0]!;

  const recentOrders = await trx
    .selectFrom("orders")
    .select(["id", "source", "external_order_id", "amount_minor", "currency", "occurred_at"])
    .where("merchant_id", "=", merchantId)
    .where("member_id", "=", memberId)
    .orderBy("occurred_at", "desc")
    .orderBy("id", "desc")
    .limit(RECENT_ORDERS)
    .execute();

  const audit = await trx
    .selectFrom("audit_log as a")
    .leftJoin("staff_users as u", (j) => j.onRef("u.id", "=", "a.actor_id").on("a.actor_type", "=", "staff"))
    .select(["a.id", "a.action", "a.actor_type", "a.actor_id", "u.name as actor_name", "a.before", "a.after", "a.created_at"])
    .where("a.merchant_id", "=", merchantId)
    .where("a.target_type", "=", "member")
    .where("a.target_id", "=", memberId)
    .orderBy("a.created_at", "desc")
    .orderBy("a.id", "desc")
    .limit(AUDIT_ENTRIES)
    .execute();

  return {
    member: { ...member, email: String(member.email) },
    orders: { count: s.n, totalMinor: s.total, averageMinor: s.n ? s.average : null, firstAt: s.first_at, lastAt: s.last_at },
    recentOrders,
    audit,
  };
}

/**
 * Blocks or unblocks a member. Blocking also ends their portal sessions. Setting the status it already has
 * changes nothing and writes no audit entry; a deleted member stays deleted.
 */
export async function setMemberBlocked(
  trx: Trx,
  merchantId: string,
  memberId: string,
  blocked: boolean,
  actor: Actor,
): Promise<{ status: "active" | "blocked"; changed: boolean }> {
  const current = await trx
    .selectFrom("members")
    .select("status")
    .where("merchant_id", "=", merchantId)
    .where("id", "=", memberId)
    .forUpdate()
    .executeTakeFirst();
  if (!current) throw notFound("Member");
  if (current.status === "deleted") throw conflict("This member has been deleted and can no longer be blocked or unblocked.");
  const next = blocked ? "blocked" : "active";
  if (current.status === next) return { status: next, changed: false };

  await trx
    .updateTable("members")
    .set({ status: next, updated_at: sql<Date>`now()` })
    .where("merchant_id", "=", merchantId)
    .where("id", "=", memberId)
    .execute();
  if (blocked) {
    await invalidateAllMemberSessions(trx, merchantId, memberId);
  }
  await recordAudit(trx, merchantId, actor, blocked ? "member.blocked" : "member.unblocked", { type: "member", id: memberId }, {
    before: { status: current.status },
    after: { status: next },
  });
  return { status: next, changed: true };
}
