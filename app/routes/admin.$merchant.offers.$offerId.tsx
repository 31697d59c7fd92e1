import { parseWithZod } from "@conform-to/zod/v4";
import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { now } from "~/lib/clock.server";
import { clientIp, requireStaff } from "~/auth/guards.server";
import { formatDateTime } from "~/components/admin/format";
import { canAct } from "~/components/admin/use-admin";
import { ExperimentFigures, offerState, ProgressBar, usePolling } from "~/components/offers/admin-offers";
import { OfferForm } from "~/components/offers/offer-form";
import { offerBenefit } from "~/components/offers/portal-offers";
import { Alert, Badge, Button, Card, PageHeader, TextField } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { createAnnouncement, listAnnouncements } from "~/domain/offers/announcements.server";
import { experimentCounts, getOffer, grantableRewards, instantToLocal, updateOffer } from "~/domain/offers/offers.server";
import { AnnouncementFormSchema, OfferFormSchema } from "~/domain/offers/schemas";
import { listSegments } from "~/domain/segments/segments.server";
import { DomainError } from "~/lib/errors";
import { readForm, replyWithDomainError } from "~/lib/forms.server";
import { isId } from "~/lib/ids";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.offer.title} · Offers` : "Offer" }];

const notFound = () => new Response("Offer not found", { status: 404 });

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const offerId = params.offerId ?? "";
  if (!isId("offer", offerId)) throw notFound();
  const found = await withTenant(db(), merchant.id, async (trx) => {
    const offer = await getOffer(trx, merchant.id, offerId);
    if (!offer) return null;
    return {
      offer,
      counts: await experimentCounts(trx, merchant.id, offer.experimentId),
      announcements: await listAnnouncements(trx, merchant.id, offerId),
      segments: (await listSegments(trx, merchant.id)).map((s) => ({ id: s.id, name: s.name })),
      rewards: await grantableRewards(trx, merchant.id),
    };
  });
  if (!found) throw notFound();
  const { offer } = found;
  const tz = merchant.timezone;
  return {
    slug: merchant.slug,
    timezone: tz,
    role,
    at: now().toISOString(),
    offer: {
      id: offer.id,
      title: offer.title,
      status: offer.status,
      startsAt: offer.startsAt.toISOString(),
      endsAt: offer.endsAt.toISOString(),
      benefit: offerBenefit(offer),
      holdoutBps: offer.holdoutBps,
      claimedCount: offer.claimedCount,
      stockTotal: offer.stockTotal,
      segmentName: found.segments.find((s) => s.id === offer.segmentId)?.name ?? "",
    },
    values: {
      title: offer.title,
      description: offer.description,
      imageUrl: offer.imageUrl ?? "",
      kind: offer.kind,
      rewardId: offer.rewardId ?? "",
      multiplierPercent: offer.multiplierPercent ? String(offer.multiplierPercent) : "",
      multiplierDays: offer.multiplierDays ? String(offer.multiplierDays) : "",
      segmentId: offer.segmentId,
      startsAt: instantToLocal(offer.startsAt, tz),
      endsAt: instantToLocal(offer.endsAt, tz),
      stockTotal: offer.stockTotal ? String(offer.stockTotal) : "",
      holdoutPercent: String(offer.holdoutBps / 100),
    },
    counts: found.counts,
    announcements: found.announcements.map((a) => ({ id: a.id, status: a.status, total: a.total, sent: a.sent, skipped: a.skipped, perMinute: a.perMinute, createdAt: a.createdAt.toISOString(), error: a.error })),
    segments: found.segments,
    rewards: found.rewards,
  };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const offerId = params.offerId ?? "";
  if (!isId("offer", offerId)) throw notFound();
  const actor = { type: "staff" as const, id: user.id, ip: clientIp(request) };
  const form = await readForm(request);
  const intent = form.get("intent");
  const at = now();
  const existing = await withTenant(db(), merchant.id, (trx) => getOffer(trx, merchant.id, offerId));
  if (!existing) throw notFound();

  if (intent === "announce") {
    const submission = parseWithZod(form, { schema: AnnouncementFormSchema });
    if (submission.status !== "success") return data({ intent, result: submission.reply(), message: null }, { status: 400 });
    try {
      const a = await withTenant(db(), merchant.id, (trx) => createAnnouncement(trx, merchant.id, offerId, submission.value.perMinute, actor, at));
      return { intent, result: submission.reply({ resetForm: true }), message: `Sending to ${a.total.toLocaleString("en-US")} treated members.` };
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return data({ intent, result: submission.reply({ formErrors: [err.message] }), message: null }, { status: err.status });
    }
  }
  if (intent === "archive" || intent === "activate") {
    const values = {
      ...formValues(existing, merchant.timezone),
      status: intent === "archive" ? ("archived" as const) : ("active" as const),
    };
    const parsed = OfferFormSchema.parse(values);
    await withTenant(db(), merchant.id, (trx) => updateOffer(trx, merchant, offerId, { ...parsed, status: values.status }, actor, at));
    return { intent, result: undefined, message: intent === "archive" ? "Offer archived: members no longer see it." : "Offer active again." };
  }
  // What the offer grants and its holdout are fixed: the disabled fields are filled from the offer as it is.
  for (const [k, v] of Object.entries(formValues(existing, merchant.timezone))) {
    if (["kind", "rewardId", "multiplierPercent", "multiplierDays", "holdoutPercent"].includes(k)) form.set(k, String(v ?? ""));
  }
  const submission = parseWithZod(form, { schema: OfferFormSchema });
  if (submission.status !== "success") return data({ intent: "update", result: submission.reply(), message: null }, { status: 400 });
  try {
    await withTenant(db(), merchant.id, (trx) => updateOffer(trx, merchant, offerId, submission.value, actor, at));
    return { intent: "update", result: submission.reply(), message: "Offer saved." };
  } catch (err) {
    const reply = replyWithDomainError(submission, err);
    return data({ intent: "update", result: reply.data.result, message: null }, { status: reply.init?.status ?? 400 });
  }
}

function formValues(o: NonNullable<Awaited<ReturnType<typeof getOffer>>>, tz: string) {
  return {
    title: o.title,
    description: o.description,
    imageUrl: o.imageUrl ?? "",
    kind: o.kind,
    rewardId: o.rewardId ?? "",
    multiplierPercent: o.multiplierPercent ?? "",
    multiplierDays: o.multiplierDays ?? "",
    segmentId: o.segmentId,
    startsAt: instantToLocal(o.startsAt, tz),
    endsAt: instantToLocal(o.endsAt, tz),
    stockTotal: o.stockTotal ?? "",
    holdoutPercent: o.holdoutBps / 100,
  };
}

export default function OfferDetail() {
  const { timezone, role, at, offer, values, counts, announcements, segments, rewards } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const nav = useNavigation();
  const admin = canAct(role, "admin");
  const running = announcements.some((a) => a.status === "queued" || a.status === "running");
  usePolling(running);
  const state = offerState(offer, at);
  const announceErrors = actionData?.intent === "announce" && actionData.result?.error?.[""];
  return (
    <>
      <PageHeader
        title={offer.title}
        description={
          <>
            {offer.benefit} · Segment: {offer.segmentName} · {offer.holdoutBps / 100}% held out · <Badge tone={state.tone}>{state.label}</Badge>
          </>
        }
        actions={
          admin ? (
            <Form method="post">
              <input type="hidden" name="intent" value={offer.status === "archived" ? "activate" : "archive"} />
              <Button type="submit" variant="secondary">
                {offer.status === "archived" ? "Make active" : "Archive"}
              </Button>
            </Form>
          ) : null
        }
      />
      <div className="space-y-6">
        {actionData?.message ? <Alert tone="success">{actionData.message}</Alert> : null}
        <section aria-labelledby="figures" className="space-y-2">
          <h2 id="figures" className="text-lg font-semibold text-stone-900">
            Experiment
          </h2>
          <ExperimentFigures counts={counts} />
          <p className="text-xs text-stone-500">
            Claimed {offer.claimedCount.toLocaleString("en-US")}
            {offer.stockTotal !== null ? ` of ${offer.stockTotal.toLocaleString("en-US")} in stock` : ""}. Seen, e-mailed and claimed only ever count treated members.
          </p>
        </section>
        <Card title="Announcement e-mails">
          <div className="space-y-4">
            {announcements.map((a) => (
              <div key={a.id} className="space-y-1">
                <ProgressBar label={`Sent ${formatDateTime(a.createdAt, timezone)} (${a.status})`} done={a.sent + a.skipped} total={Math.max(a.total, a.sent + a.skipped)} />
                <p className="text-xs text-stone-500">
                  {a.sent.toLocaleString("en-US")} e-mailed, {a.skipped.toLocaleString("en-US")} skipped (unsubscribed), at most {a.perMinute.toLocaleString("en-US")} per minute.
                  {a.error ? ` Failed: ${a.error}` : ""}
                </p>
              </div>
            ))}
            {admin ? (
              <Form method="post" className="flex flex-wrap items-end gap-3">
                <input type="hidden" name="intent" value="announce" />
                <TextField label="E-mails per minute" name="perMinute" type="number" min={1} max={100000} defaultValue="100" className="w-48" />
                <Button type="submit" busy={nav.state === "submitting" && nav.formData?.get("intent") === "announce"}>
                  Send announcement
                </Button>
                <p className="w-full text-xs text-stone-500">E-mails the segment&apos;s treated members who have not unsubscribed. Held-out members are never e-mailed.</p>
                {announceErrors ? (
                  <p className="w-full text-sm text-red-700" role="alert">
                    {announceErrors[0]}
                  </p>
                ) : null}
              </Form>
            ) : null}
          </div>
        </Card>
        {admin ? (
          <section aria-labelledby="edit" className="space-y-3">
            <h2 id="edit" className="text-lg font-semibold text-stone-900">
              Edit offer
            </h2>
            <OfferForm mode="edit" values={values} segments={segments} rewards={rewards} timezone={timezone} lastResult={actionData?.intent === "update" ? actionData.result : undefined} />
          </section>
        ) : null}
      </div>
    </>
  );
}
