import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { clientIp, requireStaff, roleAtLeast } from "~/web/guards.server";
import { AsOf } from "~/components/admin/as-of";
import { formatDateTime } from "~/components/ui/format";
import { canAct } from "~/components/admin/use-admin";
import { ExperimentFigures, offerState, ProgressBar, usePolling } from "~/components/offers/admin-offers";
import { OfferForm } from "~/components/offers/offer-form";
import { Alert, Badge, Button, Card, PageHeader, TextField } from "~/components/ui";
import { db, withTenant } from "~/db.server";
import { getOffer } from "~/domain/offers/offers.server";
import { refreshOfferCounts } from "~/domain/offers/summaries.server";
import { readForm } from "~/lib/forms.server";
import { isId } from "~/lib/ids";
import { announceOfferAction, setOfferStatusAction, updateOfferAction } from "~/web/actions/offer.server";
import { notFoundResponse } from "~/web/form-action.server";
import { offerPage } from "~/web/presenters/offer-page.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.offer.title} · Offers` : "Offer" }];

const NOT_FOUND = "Offer not found";

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { merchant, role } = await requireStaff(request, params.merchant, "analyst");
  const offerId = params.offerId ?? "";
  if (!isId("offer", offerId)) throw notFoundResponse(NOT_FOUND);
  const page = await offerPage(merchant, offerId);
  if (!page) throw notFoundResponse(NOT_FOUND);
  return { ...page, role, canRefresh: roleAtLeast(role, "admin") };
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { merchant, user } = await requireStaff(request, params.merchant, "admin");
  const offerId = params.offerId ?? "";
  if (!isId("offer", offerId)) throw notFoundResponse(NOT_FOUND);
  const actor = { type: "staff" as const, id: user.id, ip: clientIp(request) };
  const form = await readForm(request);
  const offer = await withTenant(db(), merchant.id, (trx) => getOffer(trx, merchant.id, offerId));
  if (!offer) throw notFoundResponse(NOT_FOUND);
  const intent = form.get("intent");
  // intent=refresh: recount the experiment now instead of waiting for the summaries job.
  if (intent === "refresh") {
    await withTenant(db(), merchant.id, (trx) => refreshOfferCounts(trx, merchant.id, offer.experimentId, { status: offer.status }));
    return { intent: "refresh" as const, message: "Figures recomputed." };
  }
  if (intent === "announce") return announceOfferAction(merchant.id, offerId, form, actor);
  if (intent === "archive" || intent === "activate") return setOfferStatusAction(merchant, offer, intent, actor);
  return updateOfferAction(merchant, offer, form, actor);
}

export default function OfferDetail() {
  const { timezone, role, at, offer, values, counts, asOf, canRefresh, announcements, segments, rewards } = useLoaderData<typeof loader>();
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
          <AsOf asOf={asOf} timezone={timezone} canRefresh={canRefresh} busy={nav.state === "submitting" && nav.formData?.get("intent") === "refresh"} />
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
