import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { clientIp, requireStaff } from "~/web/guards.server";
import { canAct } from "~/components/admin/use-admin";
import { DecidedReviews, ReviewQueue } from "~/components/referrals/review-queue";
import { ReviewDecisionSchema } from "~/web/forms/referrals";
import { PageHeader } from "~/components/ui";
import { readSubmission } from "~/lib/forms.server";
import { decideReviewAction } from "~/web/actions/referrals.server";
import { referralReviewPage } from "~/web/presenters/referrals/admin-pages.server";

export const meta: MetaFunction = () => [{ title: "Referral review queue" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  return { ...(await referralReviewPage(merchant)), canDecide: canAct(role, "admin") };
}

/** Approve, reject, or reject and block the referrer: a reason is required and the decision is audited. */
export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const submission = await readSubmission(request, { schema: ReviewDecisionSchema });
  return decideReviewAction(merchant.id, submission, { type: "staff", id: user.id, ip: clientIp(request) });
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
