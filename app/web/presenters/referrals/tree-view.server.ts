import type { TreeChildrenPage, TreeNodeView } from "~/components/referrals/views";
import { reasonLabel } from "~/components/referrals/views";
import type { Trx } from "~/db.server";
import { subtreePage, type TreeNode } from "~/domain/referrals/tree.server";
import { formatMoney } from "~/lib/money";

export const TREE_PAGE = 25;

export function treeNodeView(n: TreeNode, currency: string, memberStatus = "active"): TreeNodeView {
  return {
    memberId: n.memberId,
    name: n.name ?? n.email,
    email: n.email,
    memberStatus,
    referralStatus: n.status,
    revenue: formatMoney(n.revenueMinor, currency),
    networkValue: null,
    childCount: n.childCount,
    flags: n.reasons.map(reasonLabel),
  };
}

/** One page of a member's direct referrals for the tree view; null when the member is not this merchant's. */
export async function treeChildren(trx: Trx, merchantId: string, memberId: string, currency: string, after: string | null) {
  const page = await subtreePage(trx, merchantId, memberId, { limit: TREE_PAGE, after });
  if (!page.parent) return null;
  const statuses = await memberStatuses(trx, merchantId, [page.parent.memberId, ...page.children.map((c) => c.memberId)]);
  const children: TreeChildrenPage = {
    nodes: page.children.map((c) => treeNodeView(c, currency, statuses.get(c.memberId))),
    nextCursor: page.nextCursor,
  };
  return { parent: treeNodeView(page.parent, currency, statuses.get(page.parent.memberId)), children };
}

async function memberStatuses(trx: Trx, merchantId: string, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await trx.selectFrom("members").select(["id", "status"]).where("merchant_id", "=", merchantId).where("id", "in", ids).execute();
  return new Map(rows.map((r) => [r.id, r.status]));
}
