import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { clientIp, requireStaff } from "~/auth/guards.server";
import { formatDateTime } from "~/components/admin/format";
import { canAct } from "~/components/admin/use-admin";
import { DecidedReviews, ReviewQueue } from "~/components/referrals/review-queue";
import { ReviewDecisionSchema } from "~/components/referrals/schemas";
import { reasonLabel } from "~/components/referrals/views";
import { PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { listReviews } from "~/domain/referrals/fraud.server";
import { decideReview } from "~/domain/referrals/qualification.server";
import { DomainError } from "~/lib/errors";
import { readSubmission } from "~/lib/forms.server";
import { isId } from "~/lib/ids";

export const meta: MetaFunction = () => [{ title: "Referral review queue" }];

const OPEN = 50;
const DECIDED = 10;
const DONE: Record<string, string> = {
  approve: "Approved: the referral continues and pays when it qualifies.",
  reject: "Rejected: this referral will not pay.",
  block_referrer: "Rejected, and the referrer is blocked: their links no longer attribute.",
};

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
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
    canDecide: canAct(role, "admin"),
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

/** Approve, reject, or reject and block the referrer: a reason is required and the decision is audited. */
export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const submission = await readSubmission(request, { schema: ReviewDecisionSchema });
  const reviewId = submission.payload.reviewId;
  const echo = typeof reviewId === "string" ? reviewId : "";
  if (submission.status !== "success") return data({ reviewId: echo, result: submission.reply(), decided: null }, { status: 400 });
  const v = submission.value;
  if (!isId("referralReview", v.reviewId)) return data({ reviewId: echo, result: submission.reply({ formErrors: ["Review item not found"] }), decided: null }, { status: 404 });
  try {
    await withTenant(db(), merchant.id, (trx) =>
      decideReview(trx, merchant.id, v.reviewId, { decision: v.decision, note: v.reason }, { type: "staff", id: user.id, ip: clientIp(request) }),
    );
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return data({ reviewId: echo, result: submission.reply({ formErrors: [err.message] }), decided: null }, { status: err.status });
  }
  return { reviewId: echo, result: submission.reply({ resetForm: true }), decided: DONE[v.decision]! };
}

export default function ReferralReview() {
  const { slug, canDecide, items, decided } = useLoaderData<typeof loader>();
  return (
    <>
      <PageHeader
        title="Review queue"
        description="Referrals the fraud rules flagged (same IP and browser, too many sign-ups per hour) pay nothing until someone decides. Every decision is audited."
      />
      <ReviewQueue slug={slug} items={items} canDecide={canDecide} />
      <DecidedReviews items={decided} />
    </>
  );
}
