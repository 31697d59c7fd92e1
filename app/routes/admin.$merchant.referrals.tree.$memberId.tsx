import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { clientIp, requireStaff } from "~/auth/guards.server";
import { adminPath, canAct } from "~/components/admin/use-admin";
import { NetworkValueTable } from "~/components/referrals/admin-referrals";
import { CorrectReferrerForm } from "~/components/referrals/correct-referrer";
import { CorrectReferrerSchema } from "~/components/referrals/schemas";
import { ReferralTree } from "~/components/referrals/referral-tree";
import { PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { treeChildren } from "~/web/presenters/referrals/tree-view.server";
import { correctReferrer } from "~/domain/referrals/attribution.server";
import { findCodeOwner } from "~/domain/referrals/codes.server";
import { ancestors, networkValue } from "~/domain/referrals/tree.server";
import { DomainError } from "~/lib/errors";
import { readSubmission } from "~/lib/forms.server";
import { isId } from "~/lib/ids";
import { formatMoney } from "~/lib/money";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `Referral tree of ${data.root.name}` : "Referral tree" }];

const notFound = () => new Response("Member not found", { status: 404 });
const UPLINE = 5;

/** A member's referral tree: who referred them (a few levels up), their network value by level, and their referrals. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
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
    canCorrect: canAct(role, "admin"),
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

/** Staff correction of the member's referrer (admins): by e-mail or referral code, or removal; audited with the reason. */
export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const memberId = params.memberId ?? "";
  if (!isId("member", memberId)) throw notFound();
  const submission = await readSubmission(request, { schema: CorrectReferrerSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), done: null }, { status: 400 });
  const v = submission.value;
  try {
    const done = await withTenant(db(), merchant.id, async (trx) => {
      const member = await trx.selectFrom("members").select("id").where("merchant_id", "=", merchant.id).where("id", "=", memberId).executeTakeFirst();
      if (!member) return null;
      let referrerId: string | null = null;
      if (v.intent === "set") {
        const raw = v.referrer ?? "";
        const byEmail = raw.includes("@")
          ? await trx.selectFrom("members").select("id").where("merchant_id", "=", merchant.id).where("email", "=", raw.toLowerCase()).executeTakeFirst()
          : undefined;
        referrerId = byEmail?.id ?? (raw.includes("@") ? null : ((await findCodeOwner(trx, merchant.id, raw))?.memberId ?? null));
        if (!referrerId) throw new DomainError("not_found", "No member of this program has that e-mail address or referral code", { field: "referrer" });
      }
      await correctReferrer(trx, merchant.id, { memberId, referrerId, reason: v.reason, actor: { type: "staff", id: user.id, ip: clientIp(request) } });
      return v.intent === "set" ? "The referrer is corrected." : "The referrer is removed.";
    });
    if (!done) throw notFound();
    return { result: submission.reply({ resetForm: true }), done };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    // The domain names its own fields (referrer_id, member); on this form they belong to the referrer box or the form.
    const field = err.field === "reason" ? "reason" : err.field === "referrer" || err.field === "referrer_id" ? "referrer" : null;
    const reply = field ? submission.reply({ fieldErrors: { [field]: [err.message] } }) : submission.reply({ formErrors: [err.message] });
    return data({ result: reply, done: null }, { status: err.status });
  }
}

export default function ReferralTreePage() {
  const { slug, canCorrect, root, firstPage, upline, network } = useLoaderData<typeof loader>();
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
        {canCorrect ? <CorrectReferrerForm memberName={root.name} hasReferrer={upline.length > 0} /> : null}
      </div>
    </>
  );
}
