import { formatDateTime } from "~/components/ui/format";
import { reasonLabel } from "~/components/referrals/views";
import { db, withTenant } from "~/db.server";
import { listReviews } from "~/domain/referrals/fraud.server";
import { ancestors, networkValue } from "~/domain/referrals/tree.server";
import { formatMoney } from "~/lib/money";
import { treeChildren } from "./tree-view.server";

/** The admin's referral pages (tree and review queue): the data their loaders return, formatted for the merchant. */

type MerchantRef = { id: string; slug: string; currency: string; timezone: string };

const UPLINE = 5;

/**
 * A member's referral tree: who referred them (a few levels up), their network value by level, and the first page
 * of their referrals. Null for a member this merchant does not have (RLS hides other merchants' members).
 */
export async function referralTreePage(merchant: MerchantRef, memberId: string) {
  const found = await withTenant(db(), merchant.id, async (trx) => {
    const tree = await treeChildren(trx, merchant.id, memberId, merchant.currency, null);
    if (!tree) return null;
    const up = await ancestors(trx, merchant.id, memberId, UPLINE);
    const names = up.length
      ? await trx.selectFrom("members").select(["id", "name", "email"]).where("merchant_id", "=", merchant.id).where("id", "in", up.map((a) => a.memberId)).execute()
      : [];
    return { tree, up, names, network: await networkValue(trx, merchant.id, memberId) };
  });
  if (!found) return null;
  const money = (minor: number) => formatMoney(minor, merchant.currency);
  const byId = new Map(found.names.map((n) => [n.id, n.name ?? n.email]));
  const { network } = found;
  return {
    slug: merchant.slug,
    root: { ...found.tree.parent, networkValue: money(network.totalMinor) },
    firstPage: found.tree.children,
    upline: found.up.map((a) => ({ memberId: a.memberId, level: a.level, name: byId.get(a.memberId) ?? a.memberId })),
    network: {
      own: money(network.own.valueMinor),
      total: money(network.totalMinor),
      levels: network.levels.map((l) => ({ level: l.level, members: l.count, revenue: money(l.revenueMinor), predicted: l.predictedMinor === null ? null : money(l.predictedMinor) })),
    },
  };
}

const OPEN = 50;
const DECIDED = 10;

/** The review queue: the open items (with how the friend arrived) and the last decisions (with who took them). */
export async function referralReviewPage(merchant: MerchantRef) {
  const { open, decided, people } = await withTenant(db(), merchant.id, async (trx) => {
    const open = await listReviews(trx, merchant.id, { status: "open", limit: OPEN });
    const decided = await listReviews(trx, merchant.id, { status: "decided", limit: DECIDED });
    const ids = [...new Set([...open, ...decided].flatMap((r) => [r.friendId, r.referrerId]))];
    const people = ids.length ? await trx.selectFrom("members").select(["id", "name"]).where("merchant_id", "=", merchant.id).where("id", "in", ids).execute() : [];
    const via = open.length
      ? await trx.selectFrom("referrals").select(["id", "via"]).where("merchant_id", "=", merchant.id).where("id", "in", open.map((o) => o.referralId)).execute()
      : [];
    return { open: open.map((o) => ({ ...o, via: via.find((v) => v.id === o.referralId)?.via ?? "code" })), decided, people };
  });
  const staffIds = [...new Set(decided.flatMap((d) => (d.decidedBy ? [d.decidedBy] : [])))];
  const staff = staffIds.length ? await db().selectFrom("staff_users").select(["id", "name"]).where("id", "in", staffIds).execute() : [];
  const nameOf = new Map(people.map((p) => [p.id, p.name]));
  const who = (id: string, email: string) => ({ memberId: id, name: nameOf.get(id) ?? email, email });
  return {
    slug: merchant.slug,
    items: open.map((r) => ({
      reviewId: r.id,
      referralId: r.referralId,
      friend: who(r.friendId, r.friendEmail),
      referrer: who(r.referrerId, r.referrerEmail),
      reasons: r.reasons.map(reasonLabel),
      via: r.via,
      createdAt: formatDateTime(r.createdAt, merchant.timezone),
    })),
    decided: decided.map((d) => ({
      reviewId: d.id,
      friend: nameOf.get(d.friendId) ?? d.friendEmail,
      referrer: nameOf.get(d.referrerId) ?? d.referrerEmail,
      decision: d.decision ?? "",
      note: d.note,
      decidedBy: staff.find((s) => s.id === d.decidedBy)?.name ?? null,
      decidedAt: formatDateTime(d.decidedAt, merchant.timezone),
    })),
  };
}
