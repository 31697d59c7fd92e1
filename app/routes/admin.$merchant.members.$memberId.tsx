import { randomUUID } from "node:crypto";
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { clientIp, requireStaff } from "~/web/guards.server";
import { AuditTrail, BlockControl, MemberOrders, MemberSummary } from "~/components/admin/member-profile";
import { canAct } from "~/components/admin/use-admin";
import { AdjustPointsCard, LedgerTable, PointsSummaryCard } from "~/components/points/admin-points";
import { MemberRewardsPanel } from "~/components/rewards/member-rewards-panel";
import { Alert, PageHeader } from "~/components/ui";
import type { Actor } from "~/domain/audit/audit.server";
import { readForm, refuseUnstorable } from "~/lib/forms.server";
import { isId } from "~/lib/ids";
import { MemberTierPanel } from "~/components/tiers/member-tier-panel";
import { MemberCltvPanel } from "~/components/cltv/member-cltv-panel";
import { MemberReferralPanel } from "~/components/referrals/member-panel";
import { MemberTagsPanel } from "~/components/segments/member-tags-panel";
import { adjustPointsAction, blockMemberAction, forgiveDebtAction, MEMBER_NOT_FOUND } from "~/web/actions/member.server";
import { notFoundResponse } from "~/web/form-action.server";
import { memberPage } from "~/web/presenters/member-page.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.profile.member.name ?? data.profile.member.email} · Members` : "Member" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const memberId = params.memberId ?? "";
  if (!isId("member", memberId)) throw notFoundResponse(MEMBER_NOT_FOUND);
  const page = await memberPage(merchant, memberId, new URL(request.url).searchParams.get("ledger"));
  if (!page) throw notFoundResponse(MEMBER_NOT_FOUND);
  // One-time keys for this render's forms: a double submit reuses the key, so the ledger records it once.
  return { ...page, role, adjustKey: randomUUID(), forgiveKey: randomUUID() };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const memberId = params.memberId ?? "";
  if (!isId("member", memberId)) throw notFoundResponse(MEMBER_NOT_FOUND);
  // The adjustment form reports unstorable text beside its field; every other intent refuses it outright.
  const form = await readForm(request, { unstorable: "report" });
  const actor: Actor = { type: "staff", id: user.id, ip: clientIp(request) };
  if (form.get("intent") === "adjust") return adjustPointsAction(merchant.id, memberId, form, actor);
  refuseUnstorable(form);
  if (form.get("intent") === "forgive") return forgiveDebtAction(merchant.id, memberId, form, actor);
  return blockMemberAction(merchant.id, memberId, form, actor);
}

export default function MemberPage() {
  const { profile, role, currency, timezone, points, ledger, newerHref, olderHref, adjustKey, forgiveKey, tier, cltv, referrals, slug, tags, rewards } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const m = profile.member;
  const admin = canAct(role, "admin");
  const error = result && "error" in result ? result.error : null;
  const notice = result && "notice" in result ? result.notice : null;
  const adjustResult = result && "intent" in result && result.intent === "adjust" ? (result.result ?? undefined) : undefined;
  const formKey = (result && "nextKey" in result && result.nextKey) || adjustKey;
  return (
    <>
      <PageHeader title={m.name || m.email} description={m.name ? m.email : undefined} actions={<BlockControl status={m.status} role={role} />} />
      {error ? <p role="alert" className="mb-4 text-sm text-red-700">{error}</p> : null}
      {notice ? (
        <div className="mb-4">
          <Alert tone="success">{notice}</Alert>
        </div>
      ) : null}
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-2">
        <MemberSummary profile={profile} currency={currency} timezone={timezone} />
        <PointsSummaryCard balance={points} canForgive={admin && m.status !== "deleted"} forgiveKey={forgiveKey} />
        {admin && m.status !== "deleted" ? <AdjustPointsCard formKey={formKey} lastResult={adjustResult} /> : null}
      </div>
      <MemberTierPanel memberId={m.id} role={role} view={tier.view} history={tier.history} />
      <MemberCltvPanel cltv={cltv} currency={currency} />
      <MemberReferralPanel slug={slug} memberId={m.id} panel={referrals} />
      <MemberTagsPanel slug={slug} memberId={m.id} tags={tags} editable={admin && m.status !== "deleted"} />
      <MemberRewardsPanel rows={rewards} />
      <LedgerTable rows={ledger} newerHref={newerHref} olderHref={olderHref} />
      <MemberOrders orders={profile.recentOrders} total={profile.orders.count} timezone={timezone} />
      <AuditTrail entries={profile.audit} timezone={timezone} />
    </>
  );
}
