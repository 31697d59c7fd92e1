import { getFormProps, getInputProps, useForm } from "@conform-to/react";
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { now } from "~/lib/clock.server";
import { clientIp, requireStaff } from "~/web/guards.server";
import { RewardSelect, SegmentSelect } from "~/components/offers/offer-form";
import { Button, Card, FormErrors, HoldoutSlider, PageHeader, TextField } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { createSurpriseGift } from "~/domain/offers/gifts.server";
import { grantableRewards } from "~/domain/offers/offers.server";
import { DEFAULT_HOLDOUT_PERCENT, GiftFormSchema } from "~/domain/offers/schemas";
import { listSegments } from "~/domain/segments/segments.server";
import { readSubmission } from "~/lib/forms.server";
import { replyWithDomainError } from "~/web/form-action.server";

export const meta: MetaFunction = () => [{ title: "New surprise gift" }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant } = await requireStaff(request, params.merchant, "admin");
  return withTenant(db(), merchant.id, async (trx) => ({
    segments: (await listSegments(trx, merchant.id)).map((s) => ({ id: s.id, name: s.name })),
    rewards: await grantableRewards(trx, merchant.id),
  }));
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const submission = await readSubmission(request, { schema: GiftFormSchema });
  if (submission.status !== "success") return data({ result: submission.reply() }, { status: 400 });
  const actor = { type: "staff" as const, id: user.id, ip: clientIp(request) };
  try {
    const gift = await withTenant(db(), merchant.id, (trx) => createSurpriseGift(trx, merchant.id, submission.value, actor, now()));
    return redirect(`/admin/${merchant.slug}/offers/gifts/${gift.id}`);
  } catch (err) {
    return replyWithDomainError(submission, err);
  }
}

export default function NewGift() {
  const { segments, rewards } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const nav = useNavigation();
  const [form, fields] = useForm({ lastResult: actionData?.result, defaultValue: { name: "", rewardId: "", segmentId: "", holdoutPercent: String(DEFAULT_HOLDOUT_PERCENT) } });
  return (
    <>
      <PageHeader title="New surprise gift" description="Grants a reward to every treated member of a segment at once, in the background." />
      <Form method="post" {...getFormProps(form)} className="space-y-6">
        <FormErrors id={form.errorId} errors={form.errors} />
        <Card title="Gift">
          <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
            <TextField label="Name" className="sm:col-span-2" {...getInputProps(fields.name, { type: "text", ariaAttributes: false })} key={fields.name.key} errors={fields.name.errors} maxLength={120} />
            <RewardSelect field={fields.rewardId} rewards={rewards} />
            <SegmentSelect field={fields.segmentId} segments={segments} />
            <HoldoutSlider
              name="holdoutPercent"
              className="sm:col-span-2"
              defaultPercent={DEFAULT_HOLDOUT_PERCENT}
              of="the segment"
              errors={fields.holdoutPercent.errors}
              hint="Held-out members receive nothing; comparing them with the rest measures what the gift changed."
            />
          </div>
        </Card>
        <Button type="submit" busy={nav.state === "submitting"}>
          Send gift
        </Button>
      </Form>
    </>
  );
}
