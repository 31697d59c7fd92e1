import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireStaff } from "~/auth/guards.server";
import { adminPath } from "~/components/admin/use-admin";
import { NetworkValueTable } from "~/components/referrals/admin-referrals";
import { ReferralTree } from "~/components/referrals/referral-tree";
import { PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { treeChildren } from "~/domain/referrals-ui/tree-view.server";
import { ancestors, networkValue } from "~/domain/referrals/tree.server";
import { isId } from "~/lib/ids";
import { formatMoney } from "~/lib/money";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `Referral tree of ${data.root.name}` : "Referral tree" }];

const notFound = () => new Response("Member not found", { status: 404 });
const UPLINE = 5;

/** A member's referral tree: who referred them (a few levels up), their network value by level, and their referrals. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "analyst");
  const memberId = params.memberId ?? "";
  if (!isId("member", memberId)) throw notFound();
  // Tenant-scoped: another merchant's member id finds nothing here (RLS), hence 404.
  const found = await withTenant(db(), merchant.id, async (trx) => {
    const tree = await treeChildren(trx, merchant.id, memberId, merchant.currency, null);
    if (!tree) return null;
    const up = await ancestors(trx, merchant.id, memberId, UPLINE);
    const names = up.length
      ? await trx.selectFrom("members").select(["id", "name", "email"]).where("merchant_id", "=", merchant.id).where("id", "in", up.map((a) => a.memberId)).execute()
      : [];
    return { tree, up, names, network: await networkValue(trx, merchant.id, memberId) };
  });
  if (!found) throw notFound();
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

export default function ReferralTreePage() {
  const { slug, root, firstPage, upline, network } = useLoaderData<typeof loader>();
  return (
    <>
      <PageHeader
        title={`Referral tree of ${root.name}`}
        description={
          <Link to={adminPath(slug, `members/${root.memberId}`)} className="underline underline-offset-2">
            Open the member's page
          </Link>
        }
      />
      <div className="space-y-6">
        {upline.length ? (
          <nav aria-label="Referred by">
            <ol className="flex flex-wrap items-center gap-x-2 gap-y-1 text-sm text-stone-700">
              <li className="text-stone-600">Referred by</li>
              {upline.map((a, i) => (
                <li key={a.memberId} className="flex items-center gap-2">
                  {i > 0 ? <span aria-hidden>←</span> : null}
                  <Link to={adminPath(slug, `referrals/tree/${a.memberId}`)} className="font-medium text-brand-700 underline-offset-2 hover:underline">
                    {a.name}
                  </Link>
                  <span className="text-xs text-stone-600">(level {a.level})</span>
                </li>
              ))}
            </ol>
          </nav>
        ) : (
          <p className="text-sm text-stone-600">Nobody referred {root.name}: they are at the top of their tree.</p>
        )}
        <section aria-labelledby="network-value">
          <h2 id="network-value" className="mb-3 text-lg font-semibold text-stone-900">
            Network value: {network.total}
          </h2>
          <NetworkValueTable own={network.own} levels={network.levels} total={network.total} caption={`Network value of ${root.name} by level`} />
        </section>
        <section aria-labelledby="tree-heading">
          <h2 id="tree-heading" className="mb-3 text-lg font-semibold text-stone-900">
            Referrals
          </h2>
          <ReferralTree slug={slug} root={root} firstPage={firstPage} />
        </section>
      </div>
    </>
  );
}
