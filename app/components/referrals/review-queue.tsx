import { getFormProps, getTextareaProps, useForm, type SubmissionResult } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { Link, useFetcher } from "@remix-run/react";
import { adminPath } from "~/components/admin/use-admin";
import { Alert, Badge, Button, EmptyState, FormErrors, TextAreaField } from "~/components/ui";
import { ReviewDecisionSchema } from "~/web/forms/referrals";

export interface ReviewItemView {
  reviewId: string;
  referralId: string;
  friend: { memberId: string; name: string; email: string };
  referrer: { memberId: string; name: string; email: string };
  reasons: string[];
  via: string;
  createdAt: string;
}

export interface DecidedItemView {
  reviewId: string;
  friend: string;
  referrer: string;
  decision: string;
  note: string | null;
  decidedBy: string | null;
  decidedAt: string;
}

export type DecisionResult = { reviewId: string; result: SubmissionResult<string[]>; decided: string | null };

const DECISION_LABEL: Record<string, string> = { approve: "Approved", reject: "Rejected", block_referrer: "Referrer blocked" };

function Person({ slug, who }: { slug: string; who: { memberId: string; name: string; email: string } }) {
  return (
    <span>
      <Link to={adminPath(slug, `members/${who.memberId}`)} className="font-medium text-brand-700 underline-offset-2 hover:underline">
        {who.name}
      </Link>{" "}
      <span className="text-xs text-stone-600">{who.email}</span>
    </span>
  );
}

/** One flagged referral with its reasons and the decision form (reason required, three outcomes). */
function ReviewCard({ slug, item, canDecide }: { slug: string; item: ReviewItemView; canDecide: boolean }) {
  const fetcher = useFetcher<DecisionResult>();
  const [form, fields] = useForm({
    id: `review-${item.reviewId}`,
    lastResult: fetcher.state === "idle" ? fetcher.data?.result : undefined,
    onValidate: ({ formData }) => parseWithZod(formData, { schema: ReviewDecisionSchema }),
    shouldValidate: "onSubmit",
    shouldRevalidate: "onInput",
  });
  const decided = fetcher.state === "idle" ? fetcher.data?.decided : null;
  return (
    <li className="rounded-lg border border-stone-200 bg-white p-4 shadow-sm">
      <h3 className="text-sm text-stone-800">
        <Person slug={slug} who={item.friend} /> <span className="text-stone-600">referred by</span> <Person slug={slug} who={item.referrer} />
      </h3>
      <p className="mt-1 text-xs text-stone-600">
        Flagged {item.createdAt} · attributed by {item.via} ·{" "}
        <Link to={adminPath(slug, `referrals/tree/${item.referrer.memberId}`)} className="underline underline-offset-2">
          referrer's tree
        </Link>
      </p>
      <ul aria-label="Why it was flagged" className="mt-2 flex flex-wrap gap-1">
        {item.reasons.map((r) => (
          <li key={r}>
            <Badge tone="amber">{r}</Badge>
          </li>
        ))}
      </ul>
      {decided ? (
        <div className="mt-3">
          <Alert tone="success">{decided}</Alert>
        </div>
      ) : canDecide ? (
        <fetcher.Form method="post" {...getFormProps(form)} className="mt-3 space-y-3">
          <input type="hidden" name="reviewId" value={item.reviewId} />
          <FormErrors errors={form.errors} id={form.errorId} />
          <TextAreaField
            label="Reason for the decision"
            hint="Recorded in the audit trail."
            rows={2}
            errors={fields.reason.errors ?? fields.decision.errors}
            {...getTextareaProps(fields.reason, { ariaAttributes: false })}
            key={fields.reason.key}
          />
          <div className="flex flex-wrap gap-2">
            <Button type="submit" name="decision" value="approve" size="sm" busy={fetcher.state !== "idle" && fetcher.formData?.get("decision") === "approve"}>
              Approve and pay
            </Button>
            <Button type="submit" name="decision" value="reject" variant="secondary" size="sm" busy={fetcher.state !== "idle" && fetcher.formData?.get("decision") === "reject"}>
              Reject
            </Button>
            <Button
              type="submit"
              name="decision"
              value="block_referrer"
              variant="danger"
              size="sm"
              busy={fetcher.state !== "idle" && fetcher.formData?.get("decision") === "block_referrer"}
            >
              Reject and block the referrer
            </Button>
          </div>
        </fetcher.Form>
      ) : (
        <p className="mt-3 text-sm text-stone-600">Admins and owners decide flagged referrals.</p>
      )}
    </li>
  );
}

export function ReviewQueue({ slug, items, canDecide }: { slug: string; items: ReviewItemView[]; canDecide: boolean }) {
  if (!items.length) {
    return <EmptyState title="Nothing to review">Referrals flagged by the fraud rules wait here until someone approves or rejects them.</EmptyState>;
  }
  return (
    <ul aria-label="Flagged referrals" className="space-y-3">
      {items.map((item) => (
        <ReviewCard key={item.reviewId} slug={slug} item={item} canDecide={canDecide} />
      ))}
    </ul>
  );
}

export function DecidedReviews({ items }: { items: DecidedItemView[] }) {
  if (!items.length) return null;
  return (
    <section aria-labelledby="decided-reviews" className="mt-8">
      <h2 id="decided-reviews" className="mb-3 text-lg font-semibold text-stone-900">
        Recent decisions
      </h2>
      <ul className="divide-y divide-stone-200 rounded-lg border border-stone-200 bg-white">
        {items.map((d) => (
          <li key={d.reviewId} className="px-4 py-2 text-sm">
            <span className="font-medium text-stone-900">{DECISION_LABEL[d.decision] ?? d.decision}</span>: {d.friend} (referred by {d.referrer})
            <span className="block text-xs text-stone-600">
              {d.decidedAt}
              {d.decidedBy ? ` by ${d.decidedBy}` : ""}
              {d.note ? ` — “${d.note}”` : ""}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
