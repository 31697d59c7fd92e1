import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { clientIp, requireStaff } from "~/web/guards.server";
import { canAct } from "~/components/admin/use-admin";
import { SegmentForm } from "~/components/segments/segment-form";
import { PageHeader } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { SegmentFormSchema } from "~/web/forms/segments";
import { getSegment, tierChoices, updateSegment } from "~/domain/segments/segments.server";
import { readSubmission } from "~/lib/forms.server";
import { isId } from "~/lib/ids";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.segment.name} · Segments` : "Segment" }];

const notFound = () => new Response("Segment not found", { status: 404 });

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const segmentId = params.segmentId ?? "";
  if (!isId("segment", segmentId)) throw notFound();
  const found = await withTenant(db(), merchant.id, async (trx) => ({ segment: await getSegment(trx, merchant.id, segmentId), tiers: await tierChoices(trx, merchant.id) }));
  if (!found.segment) throw notFound();
  const saved = new URL(request.url).searchParams.get("saved") === "1";
  const { id, name, description, rule } = found.segment;
  return { slug: merchant.slug, currency: merchant.currency, role, tiers: found.tiers, segment: { id, name, description, rule }, saved };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const segmentId = params.segmentId ?? "";
  if (!isId("segment", segmentId)) throw notFound();
  const submission = await readSubmission(request, { schema: SegmentFormSchema });
  if (submission.status !== "success") return data({ result: submission.reply(), saved: false }, { status: 400 });
  const actor = { type: "staff" as const, id: user.id, ip: clientIp(request) };
  const exists = await withTenant(db(), merchant.id, async (trx) => {
    if (!(await getSegment(trx, merchant.id, segmentId))) return false;
    await updateSegment(trx, merchant.id, segmentId, submission.value, actor);
    return true;
  });
  if (!exists) throw notFound();
  return { result: submission.reply(), saved: true };
}

export default function EditSegment() {
  const { slug, currency, role, tiers, segment, saved } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  return (
    <>
      <PageHeader title={segment.name} description="Edit the rule; offers and gifts use it the next time they draw members." />
      <SegmentForm
        key={segment.id}
        segment={segment}
        slug={slug}
        currency={currency}
        tiers={tiers}
        editable={canAct(role, "admin")}
        lastResult={actionData?.result}
        saved={actionData?.saved ?? saved}
      />
    </>
  );
}
