import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { now } from "~/lib/clock.server";
import { clientIp, requireStaff } from "~/web/guards.server";
import { OfferForm } from "~/components/offers/offer-form";
import { PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { createOffer, grantableRewards, instantToLocal } from "~/domain/offers/offers.server";
import { DEFAULT_HOLDOUT_PERCENT, OfferFormSchema } from "~/domain/offers/schemas";
import { listSegments } from "~/domain/segments/segments.server";
import { readSubmission } from "~/lib/forms.server";
import { replyWithDomainError } from "~/web/form-action.server";

export const meta: MetaFunction = () => [{ title: "New offer" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "admin");
  const { segments, rewards } = await withTenant(db(), merchant.id, async (trx) => ({
    segments: (await listSegments(trx, merchant.id)).map((s) => ({ id: s.id, name: s.name })),
    rewards: await grantableRewards(trx, merchant.id),
  }));
  const at = now();
  const segmentId = new URL(request.url).searchParams.get("segment") ?? "";
  return {
    timezone: merchant.timezone,
    segments,
    rewards,
    values: {
      title: "",
      description: "",
      imageUrl: "",
      kind: "reward" as const,
      rewardId: "",
      multiplierPercent: "200",
      multiplierDays: "7",
      segmentId,
      startsAt: instantToLocal(at, merchant.timezone),
      endsAt: instantToLocal(new Date(at.getTime() + 14 * 86_400_000), merchant.timezone),
      stockTotal: "",
      holdoutPercent: String(DEFAULT_HOLDOUT_PERCENT),
    },
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const submission = await readSubmission(request, { schema: OfferFormSchema });
  if (submission.status !== "success") return data({ result: submission.reply() }, { status: 400 });
  const actor = { type: "staff" as const, id: user.id, ip: clientIp(request) };
  try {
    const offer = await withTenant(db(), merchant.id, (trx) => createOffer(trx, merchant, submission.value, actor, now()));
    return redirect(`/admin/${merchant.slug}/offers/${offer.id}`);
  } catch (err) {
    return replyWithDomainError(submission, err);
  }
}

export default function NewOffer() {
  const { timezone, segments, rewards, values } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <>
      <PageHeader title="New offer" description="Only the segment's treated members will see it; the holdout never does." />
      <OfferForm mode="create" values={values} segments={segments} rewards={rewards} timezone={timezone} lastResult={actionData?.result} />
    </>
  );
}
