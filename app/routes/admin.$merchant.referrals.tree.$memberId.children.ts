import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "~/web/guards.server";
import { db, withTenant } from "~/db.server";
import { treeChildren } from "~/web/presenters/referrals/tree-view.server";
import { isId } from "~/lib/ids";

/** One page of a member's direct referrals, for the tree view's expand and "show more" (loaded by a fetcher). */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  const memberId = params.memberId ?? "";
  const cursor = new URL(request.url).searchParams.get("cursor");
  if (!isId("member", memberId) || (cursor !== null && !isId("member", cursor))) throw new Response("Member not found", { status: 404 });
  const tree = await withTenant(db(), merchant.id, (trx) => treeChildren(trx, merchant.id, memberId, merchant.currency, cursor));
  if (!tree) throw new Response("Member not found", { status: 404 });
  return tree.children;
}
