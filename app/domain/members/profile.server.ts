import { invalidateAllMemberSessions } from "~/auth/member-session.server";
import { sql } from "kysely";
import { withBegin, type Trx } from "~/db.server";
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

/**
 * The member with their order summary, recent orders and audit trail, in one statement (it was four round trips
 * of the admin member page; issue 14). orders_member_idx (merchant_id, member_id, occurred_at) serves both order reads.
 */
export async function getMemberProfile(trx: Trx, merchantId: string, memberId: string): Promise<MemberProfile | null> {
  // withBegin: when this opens the page's transaction, it goes with `begin` in one round trip.
  const { rows } = await trx.executeQuery(withBegin(sql<
    MemberProfile["member"] & {
      n: number;
      total: number;
      average: number | null;
      first_at: Date | null;
      last_at: Date | null;
      recent_orders: Array<Omit<MemberProfile["recentOrders"][number], "occurred_at"> & { occurred_at: string }>;
      audit: Array<Omit<MemberProfile["audit"][number], "created_at"> & { created_at: string }>;
    }
  >`
    select m.id, m.email, m.name, m.external_id, m.birthday, m.status, m.created_at, m.updated_at,
      s.n, s.total, s.average, s.first_at, s.last_at,
      (select coalesce(json_agg(o order by o.occurred_at desc, o.id desc), '[]') from (
        select id, source, external_order_id, amount_minor, currency, occurred_at from orders
        where merchant_id = ${merchantId} and member_id = ${memberId}
        order by occurred_at desc, id desc limit ${RECENT_ORDERS}
      ) o) as recent_orders,
      (select coalesce(json_agg(a order by a.created_at desc, a.id desc), '[]') from (
        select a.id, a.action, a.actor_type, a.actor_id, u.name as actor_name, a.before, a.after, a.created_at
        from audit_log a left join staff_users u on u.id = a.actor_id and a.actor_type = 'staff'
        where a.merchant_id = ${merchantId} and a.target_type = 'member' and a.target_id = ${memberId}
        order by a.created_at desc, a.id desc limit ${AUDIT_ENTRIES}
      ) a) as audit
    from members m
    cross join lateral (
      select count(*)::int as n, coalesce(sum(amount_minor), 0)::bigint as total, round(avg(amount_minor))::bigint as average,
             min(occurred_at) as first_at, max(occurred_at) as last_at
      from orders where merchant_id = ${merchantId} and member_id = ${memberId}
    ) s
    where m.merchant_id = ${merchantId} and m.id = ${memberId}`.compile(trx)));
  const r = rows[0];
  if (!r) return null;
  return {
    member: { id: r.id, email: String(r.email), name: r.name, external_id: r.external_id, birthday: r.birthday, status: r.status, created_at: r.created_at, updated_at: r.updated_at },
    orders: { count: r.n, totalMinor: r.total, averageMinor: r.n ? r.average : null, firstAt: r.first_at, lastAt: r.last_at },
    recentOrders: r.recent_orders.map((o) => ({ ...o, occurred_at: new Date(o.occurred_at) })),
    audit: r.audit.map((a) => ({ ...a, created_at: new Date(a.created_at) })),
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
