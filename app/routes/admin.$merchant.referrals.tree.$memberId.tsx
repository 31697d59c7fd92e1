import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { clientIp, requireStaff } from "~/web/guards.server";
import { adminPath, canAct } from "~/components/admin/use-admin";
import { NetworkValueTable } from "~/components/referrals/admin-referrals";
import { CorrectReferrerForm } from "~/components/referrals/correct-referrer";
import { CorrectReferrerSchema } from "~/web/forms/referrals";
import { ReferralTree } from "~/components/referrals/referral-tree";
import { PageHeader } from "~/components/ui";
import { readSubmission } from "~/lib/forms.server";
import { isId } from "~/lib/ids";
import { correctReferrerAction } from "~/web/actions/referrals.server";
import { notFoundResponse } from "~/web/form-action.server";
import { referralTreePage } from "~/web/presenters/referrals/admin-pages.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `Referral tree of ${data.root.name}` : "Referral tree" }];

const NOT_FOUND = "Member not found";

/** A member's referral tree: who referred them (a few levels up), their network value by level, and their referrals. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const memberId = params.memberId ?? "";
  if (!isId("member", memberId)) throw notFoundResponse(NOT_FOUND);
  const page = await referralTreePage(merchant, memberId);
  if (!page) throw notFoundResponse(NOT_FOUND);
  return { ...page, canCorrect: canAct(role, "admin") };
}

/** Staff correction of the member's referrer (admins): by e-mail or referral code, or removal; audited with the reason. */
export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const memberId = params.memberId ?? "";
  if (!isId("member", memberId)) throw notFoundResponse(NOT_FOUND);
  const submission = await readSubmission(request, { schema: CorrectReferrerSchema });
  const reply = await correctReferrerAction(merchant.id, memberId, submission, { type: "staff", id: user.id, ip: clientIp(request) });
  if (!reply) throw notFoundResponse(NOT_FOUND);
  return reply;
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
