import { randomUUID } from "node:crypto";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { clientIp, requireStaff } from "~/auth/guards.server";
import { now } from "~/lib/clock.server";
import { formatDateTime } from "~/components/admin/format";
import { AuditTrail, BlockControl, MemberOrders, MemberSummary } from "~/components/admin/member-profile";
import { canAct } from "~/components/admin/use-admin";
import { AdjustPointsCard, LedgerTable, PointsSummaryCard } from "~/components/points/admin-points";
import { MemberRewardsPanel } from "~/components/rewards/member-rewards-panel";
import { memberRewardsPanel } from "~/domain/rewards/catalog.server";
import { AdjustPointsSchema, ForgiveClawbackSchema } from "~/components/points/schemas";
import { pointsLabel, signedPoints } from "~/domain/points/text";
import { balanceView, ledgerRow } from "~/components/points/views";
import { Alert, PageHeader } from "~/components/ui";
import { db, withTenant, type Trx } from "~/db.server";
import type { Actor } from "~/domain/audit/audit.server";
import { getMemberProfile, setMemberBlocked } from "~/domain/members/profile.server";
import { getMemberBalance, listMemberLedger } from "~/domain/points/balance.server";
import { adjustPoints, forgiveClawback } from "~/domain/points/ledger.server";
import { getEarningRules } from "~/domain/points/rules.server";
import { parseSubmission, readForm, refuseUnstorable, replyWithDomainError } from "~/lib/forms.server";
import { DomainError } from "~/lib/errors";
import { isId } from "~/lib/ids";
import { MemberTierPanel } from "~/components/tiers/member-tier-panel";
import { memberTierPanelData } from "~/domain/tiers/member-panel.server";
import { MemberCltvPanel } from "~/components/cltv/member-cltv-panel";
import { memberCltv } from "~/domain/cltv/report.server";
import { MemberReferralPanel } from "~/components/referrals/member-panel";
import { memberReferralPanel } from "~/web/presenters/referrals/member-panel.server";
import { MemberTagsPanel } from "~/components/segments/member-tags-panel";
import { memberTags } from "~/domain/segments/segments.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.profile.member.name ?? data.profile.member.email} · Members` : "Member" }];

const notFound = () => new Response("Member not found", { status: 404 });
const LEDGER_PAGE = 25;

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const memberId = params.memberId ?? "";
  if (!isId("member", memberId)) throw notFound();
  const cursor = new URL(request.url).searchParams.get("ledger");
  const at = now();
  // Tenant-scoped: a member id of another merchant finds nothing here (RLS), hence 404.
  const found = await withTenant(db(), merchant.id, async (trx) => {
    const profile = await getMemberProfile(trx, merchant.id, memberId);
    if (!profile) return null;
    const rules = await getEarningRules(trx, merchant.id);
    const ledger = await listMemberLedger(trx, merchant.id, memberId, { cursor, limit: LEDGER_PAGE }).catch((e) => {
      if (e instanceof DomainError) throw new Response(e.message, { status: 400 });
      throw e;
    });
    return { profile, rules, ledger, balance: await getMemberBalance(trx, merchant.id, memberId), tier: await memberTierPanelData(trx, merchant.id, memberId, at), cltv: await memberCltv(trx, merchant.id, memberId), referrals: await memberReferralPanel(trx, merchant.id, memberId, merchant.currency), tags: await memberTags(trx, merchant.id, memberId), rewards: await memberRewardsPanel(trx, merchant.id, memberId, merchant.timezone) };
  });
  if (!found) throw notFound();
  const staffIds = [...new Set(found.ledger.rows.filter((r) => r.actorType === "staff" && r.actorId).map((r) => r.actorId!))];
  const staff = staffIds.length ? await db().selectFrom("staff_users").select(["id", "name"]).where("id", "in", staffIds).execute() : [];
  const names = Object.fromEntries(staff.map((s) => [s.id, s.name]));
  const base = `/admin/${merchant.slug}/members/${memberId}`;
  return {
    profile: found.profile,
    role,
    currency: merchant.currency,
    timezone: merchant.timezone,
    points: balanceView(found.balance, { pendingDays: found.rules.pendingDays, expiryMode: found.rules.expiry.mode }, merchant.timezone, at),
    ledger: found.ledger.rows.map((l) => ledgerRow(l, names, (d) => formatDateTime(d, merchant.timezone))),
    newerHref: cursor ? base : null,
    olderHref: found.ledger.nextCursor ? `${base}?ledger=${encodeURIComponent(found.ledger.nextCursor)}` : null,
    // One-time keys for this render's forms: a double submit reuses the key, so the ledger records it once.
    adjustKey: randomUUID(),
    forgiveKey: randomUUID(),
    tier: found.tier,
    cltv: found.cltv,
    referrals: found.referrals,
    rewards: found.rewards,
    tags: found.tags,
    slug: merchant.slug,
  };
}

const BlockSchema = z.object({ intent: z.enum(["block", "unblock"]) });

/** The member, locked for the rest of the transaction; 404 for an id this merchant does not have. */
async function memberForPoints(trx: Trx, merchantId: string, memberId: string) {
  const member = await trx.selectFrom("members").select("status").where("merchant_id", "=", merchantId).where("id", "=", memberId).forUpdate().executeTakeFirst();
  if (!member) throw notFound();
  if (member.status === "deleted") throw new DomainError("conflict", "This member has been deleted; their points can no longer change.", { status: 409 });
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const memberId = params.memberId ?? "";
  if (!isId("member", memberId)) throw notFound();
  // The adjustment form reports unstorable text beside its field; every other intent refuses it outright.
  const form = await readForm(request, { unstorable: "report" });
  const actor: Actor = { type: "staff", id: user.id, ip: clientIp(request) };

  if (form.get("intent") === "adjust") {
    const submission = parseSubmission(form, { schema: AdjustPointsSchema });
    if (submission.status !== "success") return data({ intent: "adjust" as const, result: submission.reply(), notice: null, error: null }, { status: 400 });
    const v = submission.value;
    try {
      const r = await withTenant(db(), merchant.id, async (trx) => {
        await memberForPoints(trx, merchant.id, memberId);
        // adjustPoints gives credited points the merchant's expiry policy, like any other points.
        const idempotencyKey = `admin-adjust:${v.key}`;
        return adjustPoints(trx, merchant.id, { memberId, points: v.points, reason: v.reason, note: v.note ?? null, idempotencyKey, actor });
      });
      const notice = r.replayed ? "This adjustment was already recorded." : `${signedPoints(v.points)} ${Math.abs(v.points) === 1 ? "point" : "points"} recorded.`;
      // A fresh key right away: the next adjustment may be sent before the page's data has reloaded.
      return { intent: "adjust" as const, result: submission.reply({ resetForm: true }), notice, error: null, nextKey: randomUUID() };
    } catch (err) {
      if (err instanceof Response) throw err;
      // The form's one-time key came back with another amount: the ledger refused to treat it as a replay.
      if (err instanceof DomainError && err.code === "idempotency_conflict") {
        const reply = submission.reply({ formErrors: ["This form was already used for another adjustment; reload the page and try again."] });
        return data({ intent: "adjust" as const, result: reply, notice: null, error: null }, { status: 409 });
      }
      const reply = replyWithDomainError(submission, err, { fields: ["points", "reason", "note"] });
      return data({ intent: "adjust" as const, result: reply.data.result, notice: null, error: null }, reply.init ?? undefined);
    }
  }

  refuseUnstorable(form);

  if (form.get("intent") === "forgive") {
    const parsed = ForgiveClawbackSchema.safeParse(Object.fromEntries(form));
    if (!parsed.success) return data({ intent: "forgive" as const, result: null, notice: null, error: parsed.error.issues[0]!.message }, { status: 400 });
    try {
      const r = await withTenant(db(), merchant.id, async (trx) => {
        await memberForPoints(trx, merchant.id, memberId);
        return forgiveClawback(trx, merchant.id, { memberId, idempotencyKey: `admin-forgive:${parsed.data.key}`, actor });
      });
      return { intent: "forgive" as const, result: null, notice: r.replayed ? "The debt was already forgiven." : `${pointsLabel(r.points)} of debt forgiven.`, error: null };
    } catch (err) {
      if (err instanceof Response || !(err instanceof DomainError)) throw err;
      return data({ intent: "forgive" as const, result: null, notice: null, error: err.message }, { status: err.status });
    }
  }

  const parsed = BlockSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return data({ ok: false as const, error: "Unknown action." }, { status: 400 });
  try {
    const result = await withTenant(db(), merchant.id, (trx) => setMemberBlocked(trx, merchant.id, memberId, parsed.data.intent === "block", actor));
    return { ok: true as const, status: result.status };
  } catch (e) {
    if (e instanceof DomainError) return data({ ok: false as const, error: e.message }, { status: e.status });
    throw e;
  }
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
