import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { clientIp, requireStaff } from "~/web/guards.server";
import { SegmentForm } from "~/components/segments/segment-form";
import { PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { SegmentFormSchema } from "~/web/forms/segments";
import { EMPTY_RULE } from "~/domain/segments/rule";
import { createSegment, tierChoices } from "~/domain/segments/segments.server";
import { readSubmission } from "~/lib/forms.server";

export const meta: MetaFunction = () => [{ title: "New segment" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "admin");
  const tiers = await withTenant(db(), merchant.id, (trx) => tierChoices(trx, merchant.id));
  return { slug: merchant.slug, currency: merchant.currency, tiers };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const submission = await readSubmission(request, { schema: SegmentFormSchema });
  if (submission.status !== "success") return data({ result: submission.reply() }, { status: 400 });
  const actor = { type: "staff" as const, id: user.id, ip: clientIp(request) };
  const segment = await withTenant(db(), merchant.id, (trx) => createSegment(trx, merchant.id, submission.value, actor));
  return redirect(`/admin/${merchant.slug}/segments/${segment.id}?saved=1`);
}

export default function NewSegment() {
  const { slug, currency, tiers } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <>
      <PageHeader title="New segment" description="Combine conditions; the count updates as you edit." />
      <SegmentForm segment={{ name: "", description: null, rule: EMPTY_RULE }} slug={slug} currency={currency} tiers={tiers} editable lastResult={actionData?.result} />
    </>
  );
}
